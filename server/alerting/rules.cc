// Rule (shared evaluation bookkeeping and series writing) and RecordingRule.
#include "server/alerting/rules.h"

#include <chrono>

#include "query/parser.h"

namespace tidemark::server::alerting {

using base::Result;
using base::Status;

Status RuleError(const std::string& file, int line, const std::string& name,
                 const std::string& message) {
  return Status::InvalidArgument(file + ":" + std::to_string(line) + ": rule \"" + name +
                                 "\": " + message);
}

Result<query::Vector> QueryVector(const QueryFunc& query, const std::string& expr, int64_t ts) {
  Result<query::Value> value = query(expr, ts);
  if (!value.ok()) return value.status();
  if (auto* vector = std::get_if<query::Vector>(&*value)) return std::move(*vector);
  if (auto* scalar = std::get_if<query::Scalar>(&*value)) {
    return query::Vector{query::Sample{storage::Labels(), ts, scalar->v}};
  }
  return Status::InvalidArgument("rule result is not a vector or scalar");
}

void Rule::Eval(int64_t ts, const EvalContext& ctx, storage::WriteBatch* out) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<query::Sample> series;
  Status status = DoEval(ts, ctx, &series);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::lock_guard lock(mu_);
  health_.last_evaluation_ms = ts;
  health_.evaluation_seconds = seconds;
  health_.health = status.ok() ? "ok" : "err";
  health_.last_error = status.ok() ? "" : status.message();
  // A failed evaluation writes nothing and marks nothing stale (as in Prometheus): the last
  // good output stays visible for the lookback window while the error is on /api/v1/rules.
  if (status.ok()) WriteSeries(ts, series, out);
}

void Rule::WriteSeries(int64_t ts, const std::vector<query::Sample>& series,
                       storage::WriteBatch* out) {
  std::set<storage::Labels> current;
  for (const query::Sample& sample : series) {
    out->Add(sample.metric, ts, sample.v);
    current.insert(sample.metric);
  }
  for (const storage::Labels& gone : previous_series_) {
    if (!current.count(gone)) out->Add(gone, ts, query::StaleNaN());
  }
  previous_series_ = std::move(current);
}

void Rule::MarkAllStale(int64_t ts, storage::WriteBatch* out) {
  std::lock_guard lock(mu_);
  for (const storage::Labels& gone : previous_series_) out->Add(gone, ts, query::StaleNaN());
  previous_series_.clear();
}

RuleHealth Rule::health() const {
  std::lock_guard lock(mu_);
  return health_;
}

Result<std::unique_ptr<RecordingRule>> RecordingRule::Create(const config::RuleSpec& spec,
                                                             const StringMap& group_labels,
                                                             const std::string& file) {
  if (auto parsed = query::ParseExpr(spec.expr); !parsed.ok()) {
    return RuleError(file, spec.expr_line, spec.name,
                     "could not parse expression: " + parsed.status().message());
  }
  config::RuleSpec merged = spec;
  for (const auto& [name, value] : group_labels) merged.labels.emplace(name, value);
  return std::unique_ptr<RecordingRule>(new RecordingRule(std::move(merged)));
}

Status RecordingRule::DoEval(int64_t ts, const EvalContext& ctx,
                             std::vector<query::Sample>* series) {
  Result<query::Vector> result = QueryVector(*ctx.query, spec().expr, ts - ctx.query_offset_ms);
  if (!result.ok()) return result.status();
  std::set<storage::Labels> seen;
  for (query::Sample& sample : *result) {
    std::vector<storage::Label> labels = sample.metric.labels();
    labels.push_back({std::string(storage::kMetricNameLabel), name()});
    for (const auto& [label, value] : spec().labels) labels.push_back({label, value});
    sample.metric = storage::Labels(std::move(labels));
    if (!seen.insert(sample.metric).second) {
      return Status::InvalidArgument(
          "vector contains metrics with the same labelset after applying rule labels");
    }
  }
  if (ctx.limit > 0 && static_cast<int64_t>(result->size()) > ctx.limit) {
    return Status::InvalidArgument("exceeded limit of " + std::to_string(ctx.limit) + " with " +
                                   std::to_string(result->size()) + " series");
  }
  *series = std::move(result).value();
  return Status::Ok();
}

}  // namespace tidemark::server::alerting
