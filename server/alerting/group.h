// RuleGroup: the rules of one `groups:` entry, evaluated in order at one timestamp per interval.
// Each rule's output is written before the next rule runs, so later rules see earlier ones' series
// at the same timestamp (as in Prometheus).
//
// Thread-safety: Eval, CopyStateFrom and MarkAllStale run on the evaluation thread (the manager
// serialises them); name(), rules() and timing() may be read from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "config/rule_file.h"
#include "server/alerting/rules.h"

namespace tidemark::server::alerting {

// Settings every group evaluation needs (from the manager's options).
struct GroupEvalSettings {
  const QueryFunc* query = nullptr;
  const SeriesWriter* writer = nullptr;
  const StringMap* external_labels = nullptr;
  std::string external_url;
  int64_t resend_delay_ms = 60'000;
  int64_t outage_tolerance_ms = 3'600'000;
  int64_t grace_period_ms = 600'000;
};

struct GroupEvalResult {
  std::vector<Notification> notifications;
  std::vector<StateChange> changes;
  int failed_rules = 0;
  int write_errors = 0;
};

class RuleGroup {
 public:
  // Builds and validates every rule; errors name the file and line.
  static base::Result<std::unique_ptr<RuleGroup>> Create(const config::RuleGroupSpec& spec,
                                                         const std::string& file,
                                                         int64_t default_interval_ms);

  const std::string& name() const { return spec_.name; }
  const std::string& file() const { return file_; }
  int64_t interval_ms() const { return interval_ms_; }
  int64_t limit() const { return spec_.limit; }
  const std::vector<std::unique_ptr<Rule>>& rules() const { return rules_; }
  int64_t last_evaluation_ms() const { return last_evaluation_ms_.load(); }
  double evaluation_seconds() const { return evaluation_seconds_.load(); }

  // Evaluates every rule at `ts`, writes their series, and returns the alerts to notify.
  GroupEvalResult Eval(int64_t ts, const GroupEvalSettings& settings);
  // Takes over the state of matching rules (same kind, name and labels) of the group that had
  // the same file and name before a reload; such a group needs no restore from storage.
  void CopyStateFrom(const RuleGroup& old);
  // Writes stale markers for everything this group wrote (it was removed by a reload).
  void MarkAllStale(int64_t ts, const SeriesWriter& writer);

  // Scheduling, owned by the manager's evaluation thread.
  std::atomic<int64_t> next_eval_ms{0};

 private:
  RuleGroup(config::RuleGroupSpec spec, std::string file, int64_t interval_ms)
      : spec_(std::move(spec)), file_(std::move(file)), interval_ms_(interval_ms) {}

  config::RuleGroupSpec spec_;
  std::string file_;
  int64_t interval_ms_;
  std::vector<std::unique_ptr<Rule>> rules_;
  bool needs_restore_ = true;
  std::atomic<int64_t> last_evaluation_ms_{0};
  std::atomic<double> evaluation_seconds_{0};
};

}  // namespace tidemark::server::alerting
