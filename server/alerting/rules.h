// Rules: an alerting rule (with its alerts' state machine) and a recording rule, both built from
// a config::RuleSpec and evaluated through a QueryFunc.
//
// Alerting rules follow Prometheus 2.42 (rules/alerting.go): each output sample is an alert keyed
// by its labels; a new alert is pending with activeAt = ts and fires once ts - activeAt >= for;
// a missing firing alert keeps firing for keep_firing_for, then becomes inactive (resolved) and is
// kept 15 minutes so the resolution keeps being sent; a missing pending alert is dropped.
// ALERTS{alertstate} = 1 and ALERTS_FOR_STATE = activeAt (unix seconds) are written for every
// active alert, with staleness markers when a series stops.
//
// Thread-safety: Eval and CopyStateFrom are called by the one evaluation thread; the
// snapshot accessors may run concurrently from HTTP threads (each rule guards its state).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "config/rule_file.h"
#include "server/alerting/alert.h"
#include "server/alerting/template.h"

namespace tidemark::server::alerting {

// How long a resolved alert is kept (and re-sent) after it resolved.
inline constexpr int64_t kResolvedRetentionMs = 15 * 60'000;

// Where `for` state comes from after a restart (the first evaluation of a new group).
struct RestoreSettings {
  int64_t outage_tolerance_ms = 3'600'000;
  int64_t grace_period_ms = 600'000;
};

struct EvalContext {
  const QueryFunc* query = nullptr;
  const StringMap* external_labels = nullptr;
  std::string external_url;
  int64_t limit = 0;  // 0: unlimited
  int64_t query_offset_ms = 0;
  const RestoreSettings* restore = nullptr;  // set on the first evaluation after a start
  std::vector<StateChange>* changes = nullptr;
};

// What the API shows about a rule's last evaluation.
struct RuleHealth {
  std::string health = "unknown";  // ok, err, unknown
  std::string last_error;
  int64_t last_evaluation_ms = 0;
  double evaluation_seconds = 0;
};

class Rule {
 public:
  explicit Rule(config::RuleSpec spec) : spec_(std::move(spec)) {}
  virtual ~Rule() = default;

  const config::RuleSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }
  bool is_alerting() const { return spec_.kind == config::RuleSpec::Kind::kAlerting; }

  // Evaluates at `ts` and adds the rule's output series (and stale markers) to `out`.
  void Eval(int64_t ts, const EvalContext& ctx, storage::WriteBatch* out);
  // Stale markers for every series the rule wrote last time (the rule is being removed).
  void MarkAllStale(int64_t ts, storage::WriteBatch* out);
  RuleHealth health() const;
  // Takes over the state of the same rule (same kind, name and labels) from before a reload.
  virtual void CopyStateFrom(const Rule& old) {
    std::scoped_lock lock(mu_, old.mu_);
    CopyBaseStateFrom(old);
  }

 protected:
  // Takes over the health and written series of the same rule from before a reload. The caller
  // holds both rules' mu_.
  void CopyBaseStateFrom(const Rule& old) {
    health_ = old.health_;
    previous_series_ = old.previous_series_;
  }
  virtual base::Status DoEval(int64_t ts, const EvalContext& ctx,
                              std::vector<query::Sample>* series) = 0;
  mutable std::mutex mu_;

 private:
  void WriteSeries(int64_t ts, const std::vector<query::Sample>& series, storage::WriteBatch* out);

  const config::RuleSpec spec_;
  RuleHealth health_;
  std::set<storage::Labels> previous_series_;
};

class RecordingRule final : public Rule {
 public:
  // Validates the expression (file:line errors).
  static base::Result<std::unique_ptr<RecordingRule>> Create(const config::RuleSpec& spec,
                                                             const StringMap& group_labels,
                                                             const std::string& file);

 private:
  using Rule::Rule;
  base::Status DoEval(int64_t ts, const EvalContext& ctx,
                      std::vector<query::Sample>* series) override;
};

class AlertingRule final : public Rule {
 public:
  // Validates the expression and templates (file:line errors).
  static base::Result<std::unique_ptr<AlertingRule>> Create(const config::RuleSpec& spec,
                                                            const StringMap& group_labels,
                                                            const std::string& file);

  // Alerts due for sending at `ts` (never pending ones): resolved since the last send, or not
  // sent for `resend_delay_ms`. Marks them sent and sets their valid-until time.
  std::vector<Notification> AlertsToSend(int64_t ts, int64_t resend_delay_ms, int64_t interval_ms,
                                         const EvalContext& ctx);
  // Takes over the alerts too.
  void CopyStateFrom(const Rule& old) override;

  std::vector<Alert> alerts() const;  // active alerts (pending, firing, resolved within 15 min)
  AlertState state() const;           // max over alerts: firing > pending > inactive
  const std::string& generator_url_suffix() const { return generator_path_; }

 private:
  AlertingRule(config::RuleSpec spec, StringMap labels, std::map<std::string, Template> label_tmpl,
               std::map<std::string, Template> annotation_tmpl);
  base::Status DoEval(int64_t ts, const EvalContext& ctx,
                      std::vector<query::Sample>* series) override;
  base::Result<std::map<storage::Labels, Alert>> AlertsFromResult(int64_t ts,
                                                                  const query::Vector& result,
                                                                  const EvalContext& ctx) const;
  // After a restart: the ALERTS_FOR_STATE samples of this rule within the outage tolerance, or
  // nothing when `for` is shorter than the grace period (restoring could only lengthen it).
  std::optional<query::Matrix> FetchForState(int64_t ts, const EvalContext& ctx) const;
  // Moves activeAt of the current alerts back to what ALERTS_FOR_STATE recorded, so `for` does
  // not start over (Prometheus' RestoreForState). Caller holds mu_.
  void ApplyForState(int64_t ts, const query::Matrix& for_state, const RestoreSettings& settings);
  void UpdateMissing(int64_t ts, const std::set<storage::Labels>& present, const EvalContext& ctx);
  void Transition(Alert& alert, AlertState to, int64_t ts, const EvalContext& ctx);

  StringMap labels_;  // group labels overlaid with rule label templates' raw text
  std::map<std::string, Template> label_templates_;
  std::map<std::string, Template> annotation_templates_;
  std::string generator_path_;
  std::map<storage::Labels, Alert> active_;
};

// Runs `expr` at `ts` and returns an instant vector (a scalar becomes one unlabelled sample).
base::Result<query::Vector> QueryVector(const QueryFunc& query, const std::string& expr,
                                        int64_t ts);

// "file:line: rule "name": message" for errors found after parsing YAML.
base::Status RuleError(const std::string& file, int line, const std::string& name,
                       const std::string& message);

}  // namespace tidemark::server::alerting
