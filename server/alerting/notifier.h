// Notifiers: where alerts go. Each notifier owns a bounded queue and one sender thread, so a slow
// or unreachable receiver never stalls rule evaluation or the other notifiers.
//
//   AlertmanagerNotifier  POST <url>/api/v2/alerts, Alertmanager's v2 postableAlerts array
//   WebhookNotifier       POST <url>, one JSON document per batch (shape below)
//   MqttNotifier          one JSON message per alert on a templated topic (QoS, retain)
//
// Queue: Enqueue never blocks; when the queue is full the oldest notifications are dropped and
// counted. The sender takes up to max_batch notifications and delivers them; a failed delivery is
// retried with exponential backoff (initial_backoff doubling up to max_backoff) up to
// max_attempts, then dropped and counted. Firing alerts are re-sent by the rule manager every
// resend delay anyway, so a receiver that comes back catches up. Stop() makes one last attempt to
// deliver what is queued, then returns.
//
// Thread-safe: Enqueue, counters and Stop may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/alerting/alert.h"
#include "server/alerting/http_post.h"
#include "server/alerting/template.h"

namespace tidemark::server::alerting {

struct NotifierOptions {
  size_t queue_capacity = 10'000;
  size_t max_batch = 256;
  int max_attempts = 5;
  int64_t initial_backoff_ms = 500;
  int64_t max_backoff_ms = 10'000;
  int64_t timeout_ms = 10'000;
};

struct NotifierCounters {
  std::atomic<uint64_t> sent{0};             // notifications delivered
  std::atomic<uint64_t> failed_attempts{0};  // deliveries that failed (each retry counts)
  std::atomic<uint64_t> dropped{0};          // notifications given up on (queue full or retries)
};

class Notifier {
 public:
  Notifier(std::string kind, std::string target, NotifierOptions options);
  virtual ~Notifier();

  const std::string& kind() const { return kind_; }      // "alertmanager", "webhook", "mqtt"
  const std::string& target() const { return target_; }  // URL or broker/topic
  void Start();
  void Stop();
  void Enqueue(const std::vector<Notification>& notifications);
  size_t queue_length() const;
  size_t queue_capacity() const { return options_.queue_capacity; }
  const NotifierCounters& counters() const { return counters_; }

 protected:
  // Delivers one batch; any error is retried. Called from the sender thread only.
  virtual base::Status Deliver(const std::vector<Notification>& batch) = 0;
  const NotifierOptions& options() const { return options_; }

 private:
  void Run();
  bool DeliverWithRetries(const std::vector<Notification>& batch);

  const std::string kind_;
  const std::string target_;
  const NotifierOptions options_;
  NotifierCounters counters_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Notification> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

// A notification as JSON: {labels, annotations, startsAt, endsAt, generatorURL} with RFC 3339
// millisecond times, as Prometheus posts to Alertmanager; `with_status` adds "status".
std::string NotificationJson(const Notification& n, bool with_status);

class AlertmanagerNotifier final : public Notifier {
 public:
  // `url` is the Alertmanager base URL (http://host:9093[/prefix]).
  static base::Result<std::unique_ptr<AlertmanagerNotifier>> Create(const std::string& url,
                                                                    NotifierOptions options);
  ~AlertmanagerNotifier() override { Stop(); }

 private:
  AlertmanagerNotifier(HttpUrl url, std::string target, NotifierOptions options)
      : Notifier("alertmanager", std::move(target), options), url_(std::move(url)) {}
  base::Status Deliver(const std::vector<Notification>& batch) override;
  HttpUrl url_;
};

// Webhook body: {"version":"1","status":"firing"|"resolved","alerts":[{status, labels,
// annotations, startsAt, endsAt, generatorURL}]}; status is "firing" when any alert fires.
class WebhookNotifier final : public Notifier {
 public:
  static base::Result<std::unique_ptr<WebhookNotifier>> Create(const std::string& url,
                                                               NotifierOptions options);
  ~WebhookNotifier() override { Stop(); }

 private:
  WebhookNotifier(HttpUrl url, std::string target, NotifierOptions options)
      : Notifier("webhook", std::move(target), options), url_(std::move(url)) {}
  base::Status Deliver(const std::vector<Notification>& batch) override;
  HttpUrl url_;
};

struct MqttNotifierConfig {
  std::string broker;  // mqtt://host:port or host:port
  std::string topic;   // template, e.g. "alerts/{{ .Labels.alertname }}/{{ $labels.room }}"
  int qos = 1;
  bool retain = false;
  std::string client_id;  // "" = tidemark-alerts-<pid>
  std::string username;   // "" = anonymous
  std::string password;
};

// Publishes each alert as NotificationJson (with "status") on its expanded topic. QoS 1 and 2
// wait for the broker's acknowledgement before a batch counts as delivered.
class MqttNotifier final : public Notifier {
 public:
  static base::Result<std::unique_ptr<MqttNotifier>> Create(MqttNotifierConfig config,
                                                            NotifierOptions options);
  ~MqttNotifier() override;

 private:
  struct Client;
  MqttNotifier(MqttNotifierConfig config, Template topic, NotifierOptions options);
  base::Status Deliver(const std::vector<Notification>& batch) override;

  MqttNotifierConfig config_;
  Template topic_;
  std::unique_ptr<Client> client_;
};

}  // namespace tidemark::server::alerting
