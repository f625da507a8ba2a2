#include "server/alerting/group.h"

#include <chrono>

namespace tidemark::server::alerting {

using base::Result;
using base::Status;

Result<std::unique_ptr<RuleGroup>> RuleGroup::Create(const config::RuleGroupSpec& spec,
                                                     const std::string& file,
                                                     int64_t default_interval_ms) {
  const int64_t interval = spec.interval_ms > 0 ? spec.interval_ms : default_interval_ms;
  std::unique_ptr<RuleGroup> group(new RuleGroup(spec, file, interval));
  for (const config::RuleSpec& rule : spec.rules) {
    if (rule.kind == config::RuleSpec::Kind::kAlerting) {
      auto created = AlertingRule::Create(rule, spec.labels, file);
      if (!created.ok()) return created.status();
      group->rules_.push_back(std::move(created).value());
    } else {
      auto created = RecordingRule::Create(rule, spec.labels, file);
      if (!created.ok()) return created.status();
      group->rules_.push_back(std::move(created).value());
    }
  }
  return group;
}

GroupEvalResult RuleGroup::Eval(int64_t ts, const GroupEvalSettings& settings) {
  const auto start = std::chrono::steady_clock::now();
  GroupEvalResult result;
  EvalContext ctx;
  ctx.query = settings.query;
  ctx.external_labels = settings.external_labels;
  ctx.external_url = settings.external_url;
  ctx.limit = spec_.limit;
  ctx.query_offset_ms = spec_.query_offset_ms;
  const RestoreSettings restore{settings.outage_tolerance_ms, settings.grace_period_ms};
  if (needs_restore_) ctx.restore = &restore;
  ctx.changes = &result.changes;
  for (const std::unique_ptr<Rule>& rule : rules_) {
    storage::WriteBatch batch;
    rule->Eval(ts, ctx, &batch);
    if (rule->health().health == "err") ++result.failed_rules;
    if (!batch.empty() && !(*settings.writer)(batch).ok()) ++result.write_errors;
    if (!rule->is_alerting()) continue;
    auto* alerting = static_cast<AlertingRule*>(rule.get());
    std::vector<Notification> due =
        alerting->AlertsToSend(ts, settings.resend_delay_ms, interval_ms_, ctx);
    result.notifications.insert(result.notifications.end(), due.begin(), due.end());
  }
  needs_restore_ = false;
  last_evaluation_ms_ = ts;
  evaluation_seconds_ =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

void RuleGroup::CopyStateFrom(const RuleGroup& old) {
  for (const std::unique_ptr<Rule>& rule : rules_) {
    for (const std::unique_ptr<Rule>& previous : old.rules_) {
      if (previous->spec().kind == rule->spec().kind && previous->name() == rule->name() &&
          previous->spec().labels == rule->spec().labels) {
        rule->CopyStateFrom(*previous);
        break;
      }
    }
  }
  needs_restore_ = old.needs_restore_;
  next_eval_ms = interval_ms_ == old.interval_ms_ ? old.next_eval_ms.load() : 0;
  last_evaluation_ms_ = old.last_evaluation_ms_.load();
  evaluation_seconds_ = old.evaluation_seconds_.load();
}

void RuleGroup::MarkAllStale(int64_t ts, const SeriesWriter& writer) {
  storage::WriteBatch batch;
  for (const std::unique_ptr<Rule>& rule : rules_) rule->MarkAllStale(ts, &batch);
  if (!batch.empty()) (void)writer(batch);
}

}  // namespace tidemark::server::alerting
