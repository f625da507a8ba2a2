#include "query/engine.h"

#include <chrono>
#include <cstdlib>
#include <string>

#include "query/parser.h"

namespace tidemark::query {

std::string_view ErrorTypeName(ErrorType type) {
  switch (type) {
    case ErrorType::kBadData:
      return "bad_data";
    case ErrorType::kExecution:
      return "execution";
    case ErrorType::kTimeout:
      return "timeout";
    case ErrorType::kCanceled:
      return "canceled";
    case ErrorType::kInternal:
      return "internal";
    case ErrorType::kNone:
      break;
  }
  return "";
}

ErrorType ErrorTypeOf(const base::Status& status) {
  switch (status.code()) {
    case base::StatusCode::kOk:
      return ErrorType::kNone;
    case base::StatusCode::kInvalidArgument:
      return ErrorType::kBadData;
    case base::StatusCode::kDeadlineExceeded:
      return ErrorType::kTimeout;
    case base::StatusCode::kCancelled:
      return ErrorType::kCanceled;
    case base::StatusCode::kInternal:
    case base::StatusCode::kIoError:
    case base::StatusCode::kCorruption:
    case base::StatusCode::kUnavailable:
      return ErrorType::kInternal;
    default:
      break;
  }
  return ErrorType::kExecution;
}

namespace {

// 11000 -> "11,000", as Prometheus prints the limit.
std::string WithThousands(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-') out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

}  // namespace

base::Result<Value> Engine::InstantQuery(const QuerierFactory& querier_factory,
                                         std::string_view query, int64_t time_ms,
                                         const std::atomic<bool>* cancel) const {
  return Execute(querier_factory, query, Steps{time_ms, time_ms, 1}, true, false, nullptr, cancel);
}

base::Result<Value> Engine::RangeQuery(const QuerierFactory& querier_factory,
                                       std::string_view query, int64_t start_ms, int64_t end_ms,
                                       int64_t step_ms, const QueryOptions& options,
                                       QueryInfo* info, const std::atomic<bool>* cancel) const {
  if (step_ms <= 0) {
    return base::Status::InvalidArgument(
        "zero or negative query resolution step widths are not accepted. Try a positive integer");
  }
  if (end_ms < start_ms) {
    return base::Status::InvalidArgument("end timestamp must not be before start time");
  }
  if ((end_ms - start_ms) / step_ms + 1 > options_.max_points_per_series) {
    return base::Status::InvalidArgument("exceeded maximum resolution of " +
                                         WithThousands(options_.max_points_per_series) +
                                         " points per timeseries. Try decreasing the query "
                                         "resolution (?step=XX)");
  }
  Steps steps{start_ms, end_ms, step_ms};
  steps.end = steps.At(steps.Count() - 1);
  return Execute(querier_factory, query, steps, false, !options.force_raw, info, cancel);
}

base::Result<Value> Engine::Execute(const QuerierFactory& factory, std::string_view query,
                                    const Steps& steps, bool instant, bool use_rollups,
                                    QueryInfo* info, const std::atomic<bool>* cancel) const {
  if (std::abs(steps.start) > kMaxQueryTimeMs || std::abs(steps.end) > kMaxQueryTimeMs) {
    return base::Status::InvalidArgument("query time out of range");
  }
  auto expr = ParseExpr(query);
  if (!expr.ok()) return expr.status();
  EvalOptions opts;
  opts.lookback_ms = options_.lookback_delta_ms;
  opts.default_subquery_step_ms = options_.default_subquery_step_ms;
  opts.max_samples = options_.max_samples;
  opts.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.timeout_ms);
  opts.cancel = cancel;
  opts.use_rollups = use_rollups;
  Evaluator evaluator(&factory, steps.start, steps.end, opts);
  base::Result<Value> result = evaluator.Run(**expr, steps, instant);
  if (info != nullptr) {
    info->rollup_resolutions.assign(evaluator.rollups_used().begin(),
                                    evaluator.rollups_used().end());
    info->raw = evaluator.raw_used();
  }
  return result;
}

std::string QueryInfo::TierSummary() const {
  std::string out;
  for (int64_t r : rollup_resolutions) {
    if (!out.empty()) out += "+";
    out += storage::ResolutionName(r);
  }
  if (raw || out.empty()) out += out.empty() ? "raw" : "+raw";
  return out;
}

}  // namespace tidemark::query
