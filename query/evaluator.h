// The PromQL evaluator: walks a type-checked AST over a grid of steps (one step for an instant
// query) and reads series only through storage::Querier. Every node yields a Matrix whose series
// carry points at step times; range-vector nodes (selectors, subqueries) yield raw samples that
// functions slice into windows. Semantics follow Prometheus 2.42 (lookback, staleness, offset,
// @, subquery alignment, vector matching, extrapolation).
//
// An Evaluator runs one query on one thread. Errors are thrown as EvalError internally and
// surface from Run as a base::Status (its only catch site).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "query/ast.h"
#include "query/value.h"
#include "storage/base/status.h"
#include "storage/querier.h"

namespace tidemark::query {

// Opens a reader over [mint, maxt] (ms, inclusive). Called once per selector evaluation.
using QuerierFactory = std::function<std::unique_ptr<storage::Querier>(int64_t mint, int64_t maxt)>;

// The evaluation grid: start, start + interval, ..., up to end (inclusive). interval > 0.
struct Steps {
  int64_t start;
  int64_t end;
  int64_t interval;
  size_t Count() const { return static_cast<size_t>((end - start) / interval) + 1; }
  int64_t At(size_t i) const { return start + static_cast<int64_t>(i) * interval; }
};

struct EvalOptions {
  int64_t lookback_ms = 5 * 60'000;
  int64_t default_subquery_step_ms = 60'000;
  // Samples read from storage plus points produced by nodes, per query.
  int64_t max_samples = 50'000'000;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  std::string timeout_text = "";  // e.g. "2m0s", for the timeout message
  const std::atomic<bool>* cancel = nullptr;
  // Answer *_over_time, rate/increase and plain selectors from rollup tiers when the steps,
  // ranges and offsets line up with a tier's resolution (storage/docs/rollups.md).
  bool use_rollups = false;
};

// One element of an instant vector at a step, pointing at its series' labels.
struct StepSample {
  const storage::Labels* metric;
  double v;
  size_t index;  // the series' position in its input Matrix
};
using StepVector = std::vector<StepSample>;

// Walks a Matrix step by step (steps strictly increasing).
class StepCursor {
 public:
  explicit StepCursor(const Matrix* m) : m_(m), pos_(m->size(), 0) {}
  // Fills `out` with the samples of every series that has a point at `ts`.
  void At(int64_t ts, StepVector* out);

 private:
  const Matrix* m_;
  std::vector<size_t> pos_;
};

// Collects per-step samples into series keyed by label set, in first-seen order.
class MatrixBuilder {
 public:
  // Throws when a label set repeats within one step.
  void Add(const storage::Labels& metric, int64_t ts, double v);
  Matrix Finish() { return std::move(out_); }
  size_t points() const { return points_; }

 private:
  size_t points_ = 0;
  std::unordered_map<uint64_t, size_t> index_;
  Matrix out_;
};

// Raw samples of a range-vector expression and how to window them at each step.
struct RangeInput {
  Matrix series;  // points are samples (stale markers removed)
  int64_t range_ms = 0;
  int64_t offset_ms = 0;
  AtKind at = AtKind::kNone;
  int64_t at_ms = 0;
};

// Total points of all series.
size_t PointCount(const Matrix& m);

// The labels without __name__.
storage::Labels DropMetricName(const storage::Labels& labels);

class Evaluator {
 public:
  // `factory` must outlive the evaluator. query_start/end resolve `@ start()` and `@ end()`.
  Evaluator(const QuerierFactory* factory, int64_t query_start, int64_t query_end,
            EvalOptions options);

  // Evaluates `expr` over `steps`. instant: the result is a Vector/Scalar/String/Matrix for the
  // single step; otherwise a Matrix sorted by labels (scalar results become one series).
  base::Result<Value> Run(const Expr& expr, const Steps& steps, bool instant);

  // After Run: the rollup resolutions (ms) that answered selectors, and whether any selector
  // read raw samples.
  const std::set<int64_t>& rollups_used() const { return rollups_used_; }
  bool raw_used() const { return raw_used_; }

 private:
  // Members below are shared by the split implementation files (evaluator*.cc, binary_ops.cc,
  // aggregations.cc, functions_labels.cc) and throw EvalError.
  Matrix Eval(const Expr& e, const Steps& s);
  RangeInput EvalRange(const Expr& e, const Steps& s);
  std::vector<double> EvalScalarSteps(const Expr& e, const Steps& s);
  int64_t RefTime(AtKind at, int64_t at_ms, int64_t ts) const;
  // The window [start, end] of `in` at step `ts`.
  void WindowBounds(const RangeInput& in, int64_t ts, int64_t* start, int64_t* end) const;
  void CheckInterrupt();
  // Samples held in memory by this query (Prometheus' "current samples"): loading or producing
  // samples acquires them and throws once max_samples is exceeded; freeing them releases.
  void AcquireSamples(size_t n);
  void ReleaseSamples(size_t n);
  void ReleaseSamples(const Matrix& m);
  // Calls `fn(metric, points)` for each series of the range-vector expression `arg` (points in
  // time order, stale markers left out), streaming matrix selectors from storage one series at a
  // time; both arguments are valid only during the call. `params` receives the windowing
  // parameters.
  using RangeSeriesFn = std::function<void(const storage::Labels&, std::span<const Point>)>;
  void ForEachRangeSeries(const Expr& arg, const Steps& s, RangeInput* params,
                          const RangeSeriesFn& fn);

  // Runs `fn(ts, step_index, inputs, builder)` at every step over instant-vector inputs.
  template <typename Fn>
  Matrix PerStep(const std::vector<const Matrix*>& args, const Steps& s, Fn fn) {
    std::vector<StepCursor> cursors;
    for (const Matrix* m : args) cursors.emplace_back(m);
    std::vector<StepVector> in(args.size());
    MatrixBuilder out;
    const size_t n = s.Count();
    for (size_t i = 0; i < n; ++i) {
      const int64_t ts = s.At(i);
      for (size_t j = 0; j < cursors.size(); ++j) cursors[j].At(ts, &in[j]);
      const size_t before = out.points();
      fn(ts, i, in, &out);
      AcquireSamples(out.points() - before);
      CheckInterrupt();
    }
    return out.Finish();
  }

  Matrix EvalVectorSelector(const Expr& vs, const Steps& s, bool timestamps);
  Matrix EvalUnary(const Expr& e, const Steps& s);
  Matrix EvalBinary(const Expr& e, const Steps& s);  // binary_ops.cc
  Matrix EvalBinaryOperands(const Expr& e, const Steps& s, const Matrix& lhs, const Matrix& rhs);
  Matrix EvalAggregate(const Expr& e, const Steps& s);  // aggregations.cc
  Matrix EvalCall(const Expr& e, const Steps& s);       // evaluator_functions.cc
  Matrix EvalRangeFunction(const Expr& e, const Steps& s);
  Matrix EvalElementwise(const Expr& e, const Steps& s);
  Matrix EvalSpecial(const Expr& e, const Steps& s);
  Matrix EvalScalarFunction(const Expr& e, const Steps& s);
  Matrix EvalTimestamp(const Expr& e, const Steps& s);
  Matrix EvalAbsent(const Expr& e, const Steps& s);
  Matrix EvalLabelReplace(const Expr& e, const Steps& s);
  Matrix EvalLabelJoin(const Expr& e, const Steps& s);
  Matrix EvalHistogramQuantile(const Expr& e, const Steps& s);
  Matrix EvalSort(const Expr& e, const Steps& s, bool descending);
  RangeInput LoadMatrixSelector(const Expr& ms, const Steps& s);
  // evaluator_rollups.cc: true (with `out` set) when a rollup tier answered.
  bool TryRollupRangeFunction(const Expr& e, const Steps& s, Matrix* out);
  bool TryRollupSelector(const Expr& vs, const Steps& s, Matrix* out);
  // Rollup buckets at the coarsest tier every `aligned` value is a multiple of, with the counter
  // increase when `fields` asks for it; `set` is null when no tier fits and the caller reads raw
  // data.
  struct OpenedRollups {
    std::unique_ptr<storage::Querier> querier;
    std::unique_ptr<storage::RollupSeriesSet> set;
  };
  OpenedRollups OpenRollups(const std::vector<storage::Matcher>& matchers, int64_t mint,
                            int64_t maxt, std::initializer_list<int64_t> aligned,
                            storage::Querier::RollupFields fields);
  // Turns every series of `set` into points with `points_of(buckets, &series)`, counting its
  // buckets against the sample limit while they are held; series left without points are dropped.
  using RollupPointsFn = std::function<void(const std::vector<storage::RollupBucket>&, Series*)>;
  Matrix CollectRollups(storage::RollupSeriesSet* set, bool keep_name,
                        const RollupPointsFn& points_of);
  RangeInput EvalSubquery(const Expr& sq, const Steps& s);
  Value ToInstantValue(const Expr& expr, const Steps& steps);
  Value ToRangeValue(const Expr& expr, const Steps& steps);

  const QuerierFactory* factory_;
  int64_t query_start_;
  int64_t query_end_;
  EvalOptions opts_;
  int64_t samples_ = 0;
  uint32_t interrupt_counter_ = 0;
  std::set<int64_t> rollups_used_;
  bool raw_used_ = false;
};

// Merges series with equal labels (after a function dropped __name__); throws when two of them
// have a point at the same time.
Matrix MergeSameLabels(Matrix m);

}  // namespace tidemark::query
