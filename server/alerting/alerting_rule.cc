// AlertingRule: the alert state machine of Prometheus 2.42's rules/alerting.go.
#include "query/parser.h"
#include "server/alerting/go_format.h"
#include "server/alerting/rules.h"

namespace tidemark::server::alerting {
namespace {

using base::Result;
using base::Status;

StringMap ToMap(const storage::Labels& labels) {
  StringMap map;
  for (const storage::Label& label : labels) map[label.name] = label.value;
  return map;
}

Result<std::map<std::string, Template>> ParseTemplates(const StringMap& texts,
                                                       const config::RuleSpec& spec,
                                                       const std::string& file, const char* kind) {
  std::map<std::string, Template> parsed;
  for (const auto& [name, text] : texts) {
    Result<Template> t = Template::Parse(text);
    if (!t.ok()) {
      return RuleError(file, spec.line, spec.name,
                       std::string(kind) + " \"" + name + "\": " + t.status().message());
    }
    parsed.emplace(name, std::move(t).value());
  }
  return parsed;
}

storage::Labels SeriesLabels(const storage::Labels& alert_labels, std::string_view metric,
                             const char* alertstate) {
  std::vector<storage::Label> labels = alert_labels.labels();
  labels.push_back({std::string(storage::kMetricNameLabel), std::string(metric)});
  if (alertstate != nullptr) labels.push_back({"alertstate", alertstate});
  return storage::Labels(std::move(labels));
}

}  // namespace

std::string_view AlertStateName(AlertState state) {
  switch (state) {
    case AlertState::kInactive:
      return "inactive";
    case AlertState::kPending:
      return "pending";
    case AlertState::kFiring:
      return "firing";
  }
  return "inactive";
}

AlertingRule::AlertingRule(config::RuleSpec spec, StringMap labels,
                           std::map<std::string, Template> label_tmpl,
                           std::map<std::string, Template> annotation_tmpl)
    : Rule(std::move(spec)),
      labels_(std::move(labels)),
      label_templates_(std::move(label_tmpl)),
      annotation_templates_(std::move(annotation_tmpl)),
      generator_path_("/graph?g0.expr=" + UrlQueryEscape(this->spec().expr) + "&g0.tab=1") {}

Result<std::unique_ptr<AlertingRule>> AlertingRule::Create(const config::RuleSpec& spec,
                                                           const StringMap& group_labels,
                                                           const std::string& file) {
  if (auto parsed = query::ParseExpr(spec.expr); !parsed.ok()) {
    return RuleError(file, spec.expr_line, spec.name,
                     "could not parse expression: " + parsed.status().message());
  }
  StringMap labels = spec.labels;
  for (const auto& [name, value] : group_labels) labels.emplace(name, value);
  auto label_tmpl = ParseTemplates(labels, spec, file, "label");
  if (!label_tmpl.ok()) return label_tmpl.status();
  auto annotation_tmpl = ParseTemplates(spec.annotations, spec, file, "annotation");
  if (!annotation_tmpl.ok()) return annotation_tmpl.status();
  return std::unique_ptr<AlertingRule>(new AlertingRule(
      spec, std::move(labels), std::move(label_tmpl).value(), std::move(annotation_tmpl).value()));
}

Result<std::map<storage::Labels, Alert>> AlertingRule::AlertsFromResult(
    int64_t ts, const query::Vector& result, const EvalContext& ctx) const {
  std::map<storage::Labels, Alert> alerts;
  for (const query::Sample& sample : result) {
    const StringMap sample_labels = ToMap(sample.metric);
    const TemplateData data{&sample_labels, ctx.external_labels, ctx.external_url, sample.v};
    std::vector<storage::Label> labels;
    for (const storage::Label& l : sample.metric) {
      if (l.name != storage::kMetricNameLabel) labels.push_back(l);
    }
    for (const auto& [name, tmpl] : label_templates_) labels.push_back({name, tmpl.Expand(data)});
    labels.push_back({"alertname", name()});
    Alert alert;
    alert.labels = storage::Labels(std::move(labels));
    for (const auto& [name, tmpl] : annotation_templates_) {
      alert.annotations[name] = tmpl.Expand(data);
    }
    alert.active_at_ms = ts;
    alert.value = sample.v;
    const storage::Labels key = alert.labels;
    if (!alerts.emplace(key, std::move(alert)).second) {
      return Status::InvalidArgument(
          "vector contains metrics with the same labelset after applying alert labels");
    }
  }
  return alerts;
}

void AlertingRule::Transition(Alert& alert, AlertState to, int64_t ts, const EvalContext& ctx) {
  if (ctx.changes != nullptr && alert.state != to) {
    ctx.changes->push_back({ts, name(), alert.labels, alert.state, to});
  }
  alert.state = to;
}

void AlertingRule::UpdateMissing(int64_t ts, const std::set<storage::Labels>& present,
                                 const EvalContext& ctx) {
  const int64_t keep_for = spec().keep_firing_for_ms;
  for (auto it = active_.begin(); it != active_.end();) {
    Alert& alert = it->second;
    if (present.count(it->first)) {
      alert.keep_firing_since_ms = 0;
      ++it;
      continue;
    }
    bool keep_firing = false;
    if (alert.state == AlertState::kFiring && keep_for > 0) {
      if (alert.keep_firing_since_ms == 0) alert.keep_firing_since_ms = ts;
      keep_firing = ts - alert.keep_firing_since_ms < keep_for;
    }
    const bool expired =
        alert.resolved_at_ms != 0 && ts - alert.resolved_at_ms > kResolvedRetentionMs;
    if (alert.state == AlertState::kPending) {
      Transition(alert, AlertState::kInactive, ts, ctx);
      it = active_.erase(it);
      continue;
    }
    if (alert.state != AlertState::kInactive && !keep_firing) {
      Transition(alert, AlertState::kInactive, ts, ctx);
      alert.resolved_at_ms = ts;
    }
    it = expired ? active_.erase(it) : std::next(it);
  }
}

Status AlertingRule::DoEval(int64_t ts, const EvalContext& ctx,
                            std::vector<query::Sample>* series) {
  Result<query::Vector> result = QueryVector(*ctx.query, spec().expr, ts - ctx.query_offset_ms);
  if (!result.ok()) return result.status();
  const std::optional<query::Matrix> for_state = FetchForState(ts, ctx);
  std::lock_guard lock(mu_);
  auto fresh = AlertsFromResult(ts, *result, ctx);
  if (!fresh.ok()) return fresh.status();
  std::set<storage::Labels> present;
  for (auto& [labels, alert] : *fresh) {
    present.insert(labels);
    auto it = active_.find(labels);
    if (it != active_.end() && it->second.state != AlertState::kInactive) {
      it->second.value = alert.value;
      it->second.annotations = std::move(alert.annotations);
      continue;
    }
    alert.state = AlertState::kInactive;
    Transition(alert, AlertState::kPending, ts, ctx);
    active_[labels] = std::move(alert);
  }
  if (for_state) ApplyForState(ts, *for_state, *ctx.restore);
  UpdateMissing(ts, present, ctx);
  int64_t active_count = 0;
  for (auto& [labels, alert] : active_) {
    if (alert.state == AlertState::kInactive) continue;
    ++active_count;
    if (alert.state == AlertState::kPending && ts - alert.active_at_ms >= spec().for_ms) {
      Transition(alert, AlertState::kFiring, ts, ctx);
      alert.fired_at_ms = ts;
    }
    const char* state = alert.state == AlertState::kFiring ? "firing" : "pending";
    series->push_back({SeriesLabels(labels, "ALERTS", state), ts, 1});
    series->push_back({SeriesLabels(labels, "ALERTS_FOR_STATE", nullptr), ts,
                       static_cast<double>(alert.active_at_ms / 1000)});
  }
  if (ctx.limit > 0 && active_count > ctx.limit) {
    active_.clear();
    series->clear();
    return Status::InvalidArgument("exceeded limit of " + std::to_string(ctx.limit) + " with " +
                                   std::to_string(active_count) + " alerts");
  }
  return Status::Ok();
}

std::vector<Notification> AlertingRule::AlertsToSend(int64_t ts, int64_t resend_delay_ms,
                                                     int64_t interval_ms, const EvalContext& ctx) {
  std::vector<Notification> out;
  std::lock_guard lock(mu_);
  for (auto& [labels, alert] : active_) {
    if (alert.state == AlertState::kPending) continue;
    const bool resolved_since_sent = alert.resolved_at_ms > alert.last_sent_at_ms;
    if (!resolved_since_sent && alert.last_sent_at_ms + resend_delay_ms >= ts) continue;
    alert.last_sent_at_ms = ts;
    alert.valid_until_ms = ts + 4 * std::max(resend_delay_ms, interval_ms);
    Notification n;
    std::vector<storage::Label> with_external = labels.labels();
    for (const auto& [name, value] : *ctx.external_labels) {
      if (!labels.Has(name)) with_external.push_back({name, value});
    }
    n.labels = storage::Labels(std::move(with_external));
    n.annotations = alert.annotations;
    n.starts_at_ms = alert.fired_at_ms;
    n.resolved = alert.state == AlertState::kInactive;
    n.ends_at_ms = n.resolved ? alert.resolved_at_ms : alert.valid_until_ms;
    n.generator_url = ctx.external_url + generator_path_;
    out.push_back(std::move(n));
  }
  return out;
}

std::optional<query::Matrix> AlertingRule::FetchForState(int64_t ts, const EvalContext& ctx) const {
  const int64_t hold = spec().for_ms;
  if (ctx.restore == nullptr || hold <= 0 || hold < ctx.restore->grace_period_ms) {
    return std::nullopt;
  }
  const std::string selector = "ALERTS_FOR_STATE{alertname=\"" + name() + "\"}[" +
                               std::to_string(ctx.restore->outage_tolerance_ms) + "ms]";
  Result<query::Value> value = (*ctx.query)(selector, ts);
  if (!value.ok() || !std::holds_alternative<query::Matrix>(*value)) return std::nullopt;
  return std::get<query::Matrix>(std::move(value).value());
}

void AlertingRule::ApplyForState(int64_t ts, const query::Matrix& for_state,
                                 const RestoreSettings& settings) {
  const int64_t hold = spec().for_ms;
  for (const query::Series& series : for_state) {
    if (series.points.empty()) continue;
    std::vector<storage::Label> labels;
    for (const storage::Label& l : series.metric) {
      if (l.name != storage::kMetricNameLabel) labels.push_back(l);
    }
    auto it = active_.find(storage::Labels(std::move(labels)));
    if (it == active_.end() || it->second.state != AlertState::kPending) continue;
    const int64_t down_at = series.points.back().t / 1000 * 1000;
    int64_t active_at = static_cast<int64_t>(series.points.back().v) * 1000;
    const int64_t remaining = hold - (down_at - active_at);
    if (remaining <= 0) {
      // It was firing when the server stopped: it fires again at this evaluation.
    } else if (remaining < settings.grace_period_ms) {
      active_at = ts + settings.grace_period_ms - hold;  // fire no sooner than the grace period
    } else {
      active_at += ts - down_at;  // the downtime does not count towards `for`
    }
    it->second.active_at_ms = active_at;
  }
}

void AlertingRule::CopyStateFrom(const Rule& old_rule) {
  const auto* old = dynamic_cast<const AlertingRule*>(&old_rule);
  if (old == nullptr) return;
  std::scoped_lock lock(mu_, old->mu_);
  active_ = old->active_;
  CopyBaseStateFrom(*old);
}

std::vector<Alert> AlertingRule::alerts() const {
  std::lock_guard lock(mu_);
  std::vector<Alert> out;
  for (const auto& [labels, alert] : active_) out.push_back(alert);
  return out;
}

AlertState AlertingRule::state() const {
  std::lock_guard lock(mu_);
  AlertState max = AlertState::kInactive;
  for (const auto& [labels, alert] : active_) {
    if (alert.state == AlertState::kFiring) return AlertState::kFiring;
    if (alert.state == AlertState::kPending) max = AlertState::kPending;
  }
  return max;
}

}  // namespace tidemark::server::alerting
