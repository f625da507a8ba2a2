// Engine: the PromQL entry point for the HTTP API and alerting. Parses, type-checks and evaluates
// a query against a storage::Querier source, enforcing the per-query limits (timeout,
// cancellation, samples loaded, points per series).
//
// Thread-safe: one Engine may run any number of queries concurrently; each query runs on the
// calling thread.
//
// Errors (base::Status) and their Prometheus error types (see ErrorTypeOf):
//   InvalidArgument    -> bad_data   (parse errors, bad range/step)
//   DeadlineExceeded   -> timeout    ("query timed out in expression evaluation")
//   Cancelled          -> canceled   ("query was canceled in expression evaluation")
//   Internal, IoError, Corruption, Unavailable -> internal (storage read failures)
//   everything else    -> execution  (e.g. "query processing would load too many samples into
//                                     memory in query execution", many-to-many matching)
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "query/evaluator.h"
#include "query/value.h"
#include "storage/base/status.h"

namespace tidemark::query {

struct EngineOptions {
  int64_t lookback_delta_ms = 5 * 60'000;
  // Step of subqueries written without one (`x[5m:]`).
  int64_t default_subquery_step_ms = 60'000;
  // Samples (loaded or computed) a query may hold in memory at once.
  int64_t max_samples = 50'000'000;
  int64_t timeout_ms = 2 * 60'000;
  // Range queries whose (end - start) / step + 1 exceeds this are rejected.
  int64_t max_points_per_series = 11'000;
};

// Per-query choices of a range query.
struct QueryOptions {
  // Read raw samples only, never rollup tiers (the HTTP APIs' tier=raw).
  bool force_raw = false;
};

// What answered a query.
struct QueryInfo {
  std::vector<int64_t> rollup_resolutions;  // rollup tiers (ms) that answered some selector
  bool raw = false;                         // some selector read raw samples
  // "raw", "5m", "1h", "5m+raw", ... ("raw" when nothing was read at all).
  std::string TierSummary() const;
};

// Prometheus API error types.
enum class ErrorType { kNone, kBadData, kExecution, kTimeout, kCanceled, kInternal };

// "bad_data", "execution", "timeout", "canceled", "internal" ("" for kNone).
std::string_view ErrorTypeName(ErrorType type);
ErrorType ErrorTypeOf(const base::Status& status);

// Usage (the caller owns the store and picks the querier source):
//
//   query::Engine engine(options);
//   query::QuerierFactory source = [&storage](int64_t mint, int64_t maxt) {
//     return storage.NewQuerier(mint, maxt);
//   };
//   base::Result<query::Value> r = engine.RangeQuery(source, "rate(x[5m])", start, end, step);
//   if (!r.ok()) reply(query::ErrorTypeName(query::ErrorTypeOf(r.status())), r.status().message());
//
// An Engine holds only its options, so a per-request timeout is a per-request Engine.
class Engine {
 public:
  explicit Engine(EngineOptions options = {}) : options_(options) {}

  // Evaluates `query` at `time_ms`. The Value is a Vector, Scalar, String or (for a range-vector
  // expression) a Matrix. `cancel`, when given, aborts the query once it becomes true.
  base::Result<Value> InstantQuery(const QuerierFactory& querier_factory, std::string_view query,
                                   int64_t time_ms,
                                   const std::atomic<bool>* cancel = nullptr) const;

  // Evaluates `query` at start, start + step, ..., end (ms). The Value is always a Matrix sorted
  // by labels. InvalidArgument when step <= 0, end < start, too many points per series, or the
  // expression is not a scalar or instant vector.
  base::Result<Value> RangeQuery(const QuerierFactory& querier_factory, std::string_view query,
                                 int64_t start_ms, int64_t end_ms, int64_t step_ms,
                                 const std::atomic<bool>* cancel = nullptr) const {
    return RangeQuery(querier_factory, query, start_ms, end_ms, step_ms, QueryOptions{}, nullptr,
                      cancel);
  }
  // As above; unless options.force_raw, selectors whose steps and ranges are multiples of a
  // rollup tier's resolution read that tier (query/evaluator_rollups.cc). `info` (optional)
  // receives which tiers answered.
  base::Result<Value> RangeQuery(const QuerierFactory& querier_factory, std::string_view query,
                                 int64_t start_ms, int64_t end_ms, int64_t step_ms,
                                 const QueryOptions& options, QueryInfo* info,
                                 const std::atomic<bool>* cancel = nullptr) const;

  const EngineOptions& options() const { return options_; }

 private:
  base::Result<Value> Execute(const QuerierFactory& factory, std::string_view query,
                              const Steps& steps, bool instant, bool use_rollups, QueryInfo* info,
                              const std::atomic<bool>* cancel) const;

  EngineOptions options_;
};

}  // namespace tidemark::query
