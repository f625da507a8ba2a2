// RuleManager: loads rule files, evaluates each group on its interval on one background thread,
// hands due alerts to the notifiers, and keeps a bounded log of alert state changes.
//
// Load() is all-or-nothing: every file must parse and validate, otherwise the running rules stay
// and the error (file:line) is returned and remembered for /metrics and logs. Groups and rules
// that survive a reload (same file and group name; same rule kind, name and labels) keep their
// alert state. After a start, each group's first evaluation restores `for` timers from
// ALERTS_FOR_STATE.
//
// Evaluation times are multiples of the group interval on the injected clock. A group whose
// evaluation falls more than one interval behind skips to the latest slot (counted as missed).
//
// Thread-safe: Load, EvaluateDue, Groups, StateChanges and the counters may be called from any
// thread; evaluations and the swap of a reload are serialised.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/alerting/group.h"
#include "storage/base/clock.h"

namespace tidemark::server::alerting {

struct ManagerOptions {
  int64_t evaluation_interval_ms = 60'000;
  StringMap external_labels;
  std::string external_url;
  int64_t resend_delay_ms = 60'000;
  int64_t outage_tolerance_ms = 3'600'000;
  int64_t grace_period_ms = 600'000;
  size_t max_state_changes = 10'000;  // oldest changes are forgotten first
  base::Clock* clock = nullptr;       // default: the system clock
};

// Loads and validates the rule files the globs name (YAML, expressions, templates) without
// evaluating anything: what a reload would report. Returns the number of rules found.
base::Result<size_t> CheckRuleFiles(const std::vector<std::string>& rule_file_globs);

// Receives the alerts due for sending after each group evaluation. Must not block for long.
using NotifyFunc = std::function<void(const std::vector<Notification>&)>;

struct ManagerCounters {
  std::atomic<uint64_t> evaluations{0};
  std::atomic<uint64_t> rule_failures{0};
  std::atomic<uint64_t> missed_evaluations{0};
  std::atomic<uint64_t> write_errors{0};
  std::atomic<uint64_t> reloads{0};
  std::atomic<uint64_t> reload_failures{0};
  std::atomic<bool> last_reload_ok{true};
};

class RuleManager {
 public:
  RuleManager(ManagerOptions options, QueryFunc query, SeriesWriter writer, NotifyFunc notify);
  ~RuleManager();
  RuleManager(const RuleManager&) = delete;
  RuleManager& operator=(const RuleManager&) = delete;

  // Expands the globs and (re)loads every rule file; see the class comment.
  base::Status Load(const std::vector<std::string>& rule_file_globs);
  // The base of alerts' generatorURL. Call before Start.
  void set_external_url(std::string url) { options_.external_url = std::move(url); }
  // Starts and stops the evaluation thread. Stop waits for a running evaluation to finish.
  void Start();
  void Stop();

  // Evaluates every group whose slot has come on the clock. The thread calls this; tests with a
  // FakeClock call it directly instead of starting the thread.
  void EvaluateDue();

  // The groups currently loaded, in file and file order.
  std::vector<std::shared_ptr<RuleGroup>> Groups() const;
  // Alert state changes with start_ms <= time_ms <= end_ms, oldest first.
  std::vector<StateChange> StateChanges(int64_t start_ms, int64_t end_ms) const;
  // The error of the last failed Load ("" after a successful one).
  std::string last_reload_error() const;
  const ManagerCounters& counters() const { return counters_; }

 private:
  void Run();
  int64_t Now() const { return options_.clock->NowMillis(); }
  void EvaluateGroup(RuleGroup& group, int64_t now);
  void RecordChanges(const std::vector<StateChange>& changes);

  ManagerOptions options_;
  QueryFunc query_;
  SeriesWriter writer_;
  NotifyFunc notify_;
  ManagerCounters counters_;

  std::mutex eval_mu_;  // one evaluation or reload swap at a time
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<RuleGroup>> groups_;
  std::string last_reload_error_;
  std::deque<StateChange> changes_;

  std::mutex thread_mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tidemark::server::alerting
