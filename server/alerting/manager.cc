#include "server/alerting/manager.h"

#include <algorithm>
#include <map>

#include "storage/base/log.h"

namespace tidemark::server::alerting {

using base::Result;
using base::Status;

namespace {

Result<std::vector<std::shared_ptr<RuleGroup>>> BuildGroups(const std::vector<std::string>& globs,
                                                            int64_t default_interval_ms) {
  auto paths = config::ExpandRuleFileGlobs(globs);
  if (!paths.ok()) return paths.status();
  std::vector<std::shared_ptr<RuleGroup>> groups;
  for (const std::string& path : *paths) {
    auto file = config::LoadRuleFile(path);
    if (!file.ok()) return file.status();
    for (const config::RuleGroupSpec& spec : file->groups) {
      auto group = RuleGroup::Create(spec, path, default_interval_ms);
      if (!group.ok()) return group.status();
      groups.push_back(std::move(group).value());
    }
  }
  return groups;
}

}  // namespace

Result<size_t> CheckRuleFiles(const std::vector<std::string>& rule_file_globs) {
  auto built = BuildGroups(rule_file_globs, 60'000);
  if (!built.ok()) return built.status();
  size_t rules = 0;
  for (const auto& group : *built) rules += group->rules().size();
  return rules;
}

RuleManager::RuleManager(ManagerOptions options, QueryFunc query, SeriesWriter writer,
                         NotifyFunc notify)
    : options_(std::move(options)),
      query_(std::move(query)),
      writer_(std::move(writer)),
      notify_(std::move(notify)) {
  if (options_.clock == nullptr) options_.clock = base::SystemClock::Default();
}

RuleManager::~RuleManager() { Stop(); }

Status RuleManager::Load(const std::vector<std::string>& rule_file_globs) {
  ++counters_.reloads;
  auto built = BuildGroups(rule_file_globs, options_.evaluation_interval_ms);
  if (!built.ok()) {
    ++counters_.reload_failures;
    counters_.last_reload_ok = false;
    std::lock_guard lock(mu_);
    last_reload_error_ = built.status().message();
    return built.status();
  }
  std::lock_guard eval_lock(eval_mu_);
  std::vector<std::shared_ptr<RuleGroup>> old;
  {
    std::lock_guard lock(mu_);
    old = groups_;
  }
  std::map<std::string, RuleGroup*> by_key;
  for (const auto& group : old) by_key[group->file() + '\0' + group->name()] = group.get();
  for (const auto& group : *built) {
    auto it = by_key.find(group->file() + '\0' + group->name());
    if (it == by_key.end()) continue;
    group->CopyStateFrom(*it->second);
    by_key.erase(it);
  }
  for (const auto& [key, removed] : by_key) removed->MarkAllStale(Now(), writer_);
  {
    std::lock_guard lock(mu_);
    groups_ = std::move(built).value();
    last_reload_error_.clear();
  }
  counters_.last_reload_ok = true;
  wake_.notify_all();
  return Status::Ok();
}

void RuleManager::EvaluateGroup(RuleGroup& group, int64_t now) {
  const int64_t interval = group.interval_ms();
  if (group.next_eval_ms == 0) group.next_eval_ms = (now + interval - 1) / interval * interval;
  if (group.next_eval_ms > now) return;
  int64_t ts = group.next_eval_ms;
  if (now - ts >= interval) {
    counters_.missed_evaluations += static_cast<uint64_t>((now - ts) / interval);
    ts = now / interval * interval;
  }
  GroupEvalSettings settings{&query_,
                             &writer_,
                             &options_.external_labels,
                             options_.external_url,
                             options_.resend_delay_ms,
                             options_.outage_tolerance_ms,
                             options_.grace_period_ms};
  GroupEvalResult result = group.Eval(ts, settings);
  group.next_eval_ms = ts + interval;
  ++counters_.evaluations;
  counters_.rule_failures += static_cast<uint64_t>(result.failed_rules);
  counters_.write_errors += static_cast<uint64_t>(result.write_errors);
  RecordChanges(result.changes);
  if (!result.notifications.empty() && notify_) notify_(result.notifications);
}

void RuleManager::EvaluateDue() {
  std::lock_guard eval_lock(eval_mu_);
  for (const auto& group : Groups()) EvaluateGroup(*group, Now());
}

void RuleManager::RecordChanges(const std::vector<StateChange>& changes) {
  if (changes.empty()) return;
  std::lock_guard lock(mu_);
  for (const StateChange& change : changes) {
    TM_LOG(kDebug) << "alert " << change.labels.ToString() << ": " << AlertStateName(change.from)
                   << " -> " << AlertStateName(change.to);
    changes_.push_back(change);
    if (changes_.size() > options_.max_state_changes) changes_.pop_front();
  }
}

std::vector<std::shared_ptr<RuleGroup>> RuleManager::Groups() const {
  std::lock_guard lock(mu_);
  return groups_;
}

std::vector<StateChange> RuleManager::StateChanges(int64_t start_ms, int64_t end_ms) const {
  std::lock_guard lock(mu_);
  std::vector<StateChange> out;
  for (const StateChange& change : changes_) {
    if (change.time_ms >= start_ms && change.time_ms <= end_ms) out.push_back(change);
  }
  return out;
}

std::string RuleManager::last_reload_error() const {
  std::lock_guard lock(mu_);
  return last_reload_error_;
}

void RuleManager::Start() {
  std::lock_guard lock(thread_mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void RuleManager::Stop() {
  {
    std::lock_guard lock(thread_mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RuleManager::Run() {
  std::unique_lock lock(thread_mu_);
  while (!stopping_) {
    lock.unlock();
    EvaluateDue();
    int64_t next = Now() + 1000;
    for (const auto& group : Groups()) {
      const int64_t due = group->next_eval_ms.load();
      if (due != 0) next = std::min(next, due);
    }
    // Waking at least every second keeps a jump of the wall clock from stalling evaluation.
    const int64_t wait_ms = std::clamp<int64_t>(next - Now(), 1, 1000);
    lock.lock();
    wake_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return stopping_; });
  }
}

}  // namespace tidemark::server::alerting
