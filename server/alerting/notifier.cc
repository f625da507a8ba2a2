// The notifier queue and sender loop, and the two HTTP notifiers.
#include "server/alerting/notifier.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "server/alerting/go_format.h"
#include "storage/base/log.h"

namespace tidemark::server::alerting {

using base::Result;
using base::Status;

Notifier::Notifier(std::string kind, std::string target, NotifierOptions options)
    : kind_(std::move(kind)), target_(std::move(target)), options_(options) {}

Notifier::~Notifier() { Stop(); }

void Notifier::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void Notifier::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Notifier::Enqueue(const std::vector<Notification>& notifications) {
  {
    std::lock_guard lock(mu_);
    for (const Notification& n : notifications) {
      if (queue_.size() >= options_.queue_capacity) {
        queue_.pop_front();
        ++counters_.dropped;
      }
      queue_.push_back(n);
    }
  }
  cv_.notify_all();
}

size_t Notifier::queue_length() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

bool Notifier::DeliverWithRetries(const std::vector<Notification>& batch) {
  int64_t backoff = options_.initial_backoff_ms;
  for (int attempt = 1;; ++attempt) {
    Status status = Deliver(batch);
    if (status.ok()) return true;
    ++counters_.failed_attempts;
    TM_LOG(kWarn) << kind_ << " notifier " << target_ << ": attempt " << attempt
                  << " failed: " << status.message();
    std::unique_lock lock(mu_);
    if (attempt >= options_.max_attempts || stopping_) return false;
    if (cv_.wait_for(lock, std::chrono::milliseconds(backoff), [this] { return stopping_; })) {
      return false;
    }
    backoff = std::min(backoff * 2, options_.max_backoff_ms);
  }
}

void Notifier::Run() {
  std::unique_lock lock(mu_);
  // Once stopping, one attempt per batch and only one receiver timeout's worth in all: an
  // unreachable receiver must not hold the shutdown for queue_capacity / max_batch timeouts.
  std::optional<std::chrono::steady_clock::time_point> drain_deadline;
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping with nothing left
    const bool last_round = stopping_;
    if (last_round && !drain_deadline) {
      drain_deadline =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.timeout_ms);
    }
    if (last_round && std::chrono::steady_clock::now() > *drain_deadline) {
      counters_.dropped += queue_.size();
      queue_.clear();
      return;
    }
    std::vector<Notification> batch;
    while (!queue_.empty() && batch.size() < options_.max_batch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    const bool delivered = last_round ? Deliver(batch).ok() : DeliverWithRetries(batch);
    (delivered ? counters_.sent : counters_.dropped) += batch.size();
    lock.lock();
  }
}

namespace {

nlohmann::json NotificationObject(const Notification& n, bool with_status) {
  nlohmann::json labels = nlohmann::json::object();
  for (const storage::Label& l : n.labels) labels[l.name] = l.value;
  nlohmann::json alert = {{"labels", labels},
                          {"annotations", n.annotations},
                          {"startsAt", Rfc3339(n.starts_at_ms)},
                          {"endsAt", Rfc3339(n.ends_at_ms)},
                          {"generatorURL", n.generator_url}};
  if (with_status) alert["status"] = n.resolved ? "resolved" : "firing";
  return alert;
}

Status CheckReply(const Result<HttpPostReply>& reply, const std::string& target) {
  if (!reply.ok()) return reply.status();
  if (reply->status / 100 == 2) return Status::Ok();
  return Status::Unavailable(target + " answered " + std::to_string(reply->status) + ": " +
                             reply->body.substr(0, 200));
}

}  // namespace

std::string NotificationJson(const Notification& n, bool with_status) {
  return NotificationObject(n, with_status).dump();
}

Result<std::unique_ptr<AlertmanagerNotifier>> AlertmanagerNotifier::Create(
    const std::string& url, NotifierOptions options) {
  auto parsed = ParseHttpUrl(url);
  if (!parsed.ok()) return parsed.status();
  HttpUrl endpoint = *parsed;
  if (endpoint.path.empty() || endpoint.path.back() != '/') endpoint.path += "/";
  endpoint.path += "api/v2/alerts";
  if (endpoint.path.rfind("//", 0) == 0) endpoint.path.erase(0, 1);
  return std::unique_ptr<AlertmanagerNotifier>(
      new AlertmanagerNotifier(std::move(endpoint), url, options));
}

Status AlertmanagerNotifier::Deliver(const std::vector<Notification>& batch) {
  nlohmann::json body = nlohmann::json::array();
  for (const Notification& n : batch) body.push_back(NotificationObject(n, false));
  return CheckReply(HttpPost(url_, body.dump(), "application/json", options().timeout_ms),
                    target());
}

Result<std::unique_ptr<WebhookNotifier>> WebhookNotifier::Create(const std::string& url,
                                                                 NotifierOptions options) {
  auto parsed = ParseHttpUrl(url);
  if (!parsed.ok()) return parsed.status();
  return std::unique_ptr<WebhookNotifier>(new WebhookNotifier(*parsed, url, options));
}

Status WebhookNotifier::Deliver(const std::vector<Notification>& batch) {
  nlohmann::json alerts = nlohmann::json::array();
  bool any_firing = false;
  for (const Notification& n : batch) {
    alerts.push_back(NotificationObject(n, true));
    any_firing = any_firing || !n.resolved;
  }
  const nlohmann::json body = {
      {"version", "1"}, {"status", any_firing ? "firing" : "resolved"}, {"alerts", alerts}};
  return CheckReply(HttpPost(url_, body.dump(), "application/json", options().timeout_ms),
                    target());
}

}  // namespace tidemark::server::alerting
