#include "server/alerting/service.h"

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>
#include <unistd.h>

#include "server/alerting/alerting_api.h"
#include "storage/base/log.h"
#include "web/metric_family.h"

namespace tidemark::server::alerting {
namespace {

using base::Result;
using base::Status;
using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using web::AddSample;
using web::NewFamily;

std::string DefaultExternalUrl(uint16_t port) {
  char host[256] = "localhost";
  ::gethostname(host, sizeof(host) - 1);
  return "http://" + std::string(host) + ":" + std::to_string(port);
}

Result<std::vector<std::unique_ptr<Notifier>>> BuildNotifiers(const config::Config& config) {
  std::vector<std::unique_ptr<Notifier>> out;
  NotifierOptions base;
  base.queue_capacity = static_cast<size_t>(config.alerting.queue_capacity);
  for (const config::HttpNotifier& am : config.notifiers.alertmanagers) {
    NotifierOptions options = base;
    options.timeout_ms = am.timeout_ms;
    auto created = AlertmanagerNotifier::Create(am.url, options);
    if (!created.ok()) return created.status().WithContext("notifiers.alertmanagers");
    out.push_back(std::move(created).value());
  }
  for (const config::HttpNotifier& hook : config.notifiers.webhooks) {
    NotifierOptions options = base;
    options.timeout_ms = hook.timeout_ms;
    auto created = WebhookNotifier::Create(hook.url, options);
    if (!created.ok()) return created.status().WithContext("notifiers.webhooks");
    out.push_back(std::move(created).value());
  }
  for (const config::MqttNotifier& mqtt : config.notifiers.mqtt) {
    auto created = MqttNotifier::Create({mqtt.broker, mqtt.topic, mqtt.qos, mqtt.retain,
                                         mqtt.client_id, mqtt.username, mqtt.password},
                                        base);
    if (!created.ok()) return created.status().WithContext("notifiers.mqtt");
    out.push_back(std::move(created).value());
  }
  return out;
}

class AlertingCollector final : public prometheus::Collectable {
 public:
  AlertingCollector(const RuleManager* manager, std::vector<const Notifier*> notifiers)
      : manager_(manager), notifiers_(std::move(notifiers)) {}

  std::vector<MetricFamily> Collect() const override {
    std::vector<MetricFamily> out = RuleFamilies();
    for (MetricFamily& f : NotifierFamilies()) out.push_back(std::move(f));
    return out;
  }

 private:
  std::vector<MetricFamily> RuleFamilies() const {
    const ManagerCounters& c = manager_->counters();
    const auto C = MetricType::Counter;
    std::vector<MetricFamily> out;
    auto single = [&](const char* name, const char* help, MetricType type, double v) {
      out.push_back(NewFamily(name, help, type));
      AddSample(&out.back(), v);
    };
    single("tidemark_rule_group_evaluations_total", "Rule group evaluations.", C, c.evaluations);
    single("tidemark_rule_evaluation_failures_total", "Rule evaluations that failed.", C,
           c.rule_failures);
    single("tidemark_rule_group_iterations_missed_total",
           "Group evaluations skipped because an evaluation ran late.", C, c.missed_evaluations);
    single("tidemark_rule_write_errors_total", "Rule output batches the store refused.", C,
           c.write_errors);
    single("tidemark_rule_reloads_total", "Rule file loads, successful or not.", C, c.reloads);
    single("tidemark_rule_reload_failures_total", "Rule file loads that failed.", C,
           c.reload_failures);
    single("tidemark_rule_last_reload_successful", "1 when the last rule load succeeded.",
           MetricType::Gauge, c.last_reload_ok ? 1 : 0);
    out.push_back(AlertCounts());
    return out;
  }

  MetricFamily AlertCounts() const {
    double pending = 0, firing = 0;
    for (const auto& group : manager_->Groups()) {
      for (const auto& rule : group->rules()) {
        if (!rule->is_alerting()) continue;
        for (const Alert& a : static_cast<const AlertingRule&>(*rule).alerts()) {
          pending += a.state == AlertState::kPending;
          firing += a.state == AlertState::kFiring;
        }
      }
    }
    MetricFamily family =
        NewFamily("tidemark_alerts", "Active alerts by state.", MetricType::Gauge);
    AddSample(&family, pending, {{"state", "pending"}});
    AddSample(&family, firing, {{"state", "firing"}});
    return family;
  }

  std::vector<MetricFamily> NotifierFamilies() const {
    const auto C = MetricType::Counter;
    const auto G = MetricType::Gauge;
    std::vector<MetricFamily> out = {
        NewFamily("tidemark_notifications_sent_total", "Alert notifications delivered.", C),
        NewFamily("tidemark_notifications_errors_total", "Failed delivery attempts (each retry).",
                  C),
        NewFamily("tidemark_notifications_dropped_total",
                  "Notifications given up on: queue full or retries exhausted.", C),
        NewFamily("tidemark_notifications_queue_length", "Notifications waiting.", G),
        NewFamily("tidemark_notifications_queue_capacity", "Queue capacity per notifier.", G)};
    for (const Notifier* n : notifiers_) {
      const std::vector<ClientMetric::Label> labels = {{"notifier", n->kind()},
                                                       {"target", n->target()}};
      AddSample(&out[0], n->counters().sent, labels);
      AddSample(&out[1], n->counters().failed_attempts, labels);
      AddSample(&out[2], n->counters().dropped, labels);
      AddSample(&out[3], n->queue_length(), labels);
      AddSample(&out[4], n->queue_capacity(), labels);
    }
    return out;
  }

  const RuleManager* manager_;
  std::vector<const Notifier*> notifiers_;
};

}  // namespace

Result<std::unique_ptr<AlertingService>> AlertingService::Create(const config::Config& config,
                                                                 AlertingDeps deps) {
  auto notifiers = BuildNotifiers(config);
  if (!notifiers.ok()) return notifiers.status();
  std::unique_ptr<AlertingService> service(new AlertingService());
  service->rule_files_ = config.rule_files;
  service->notifiers_ = std::move(notifiers).value();
  ManagerOptions options;
  options.evaluation_interval_ms = config.alerting.evaluation_interval_ms;
  options.external_labels = config.alerting.external_labels;
  options.external_url = config.alerting.external_url;
  service->default_external_url_ = options.external_url.empty();
  options.resend_delay_ms = config.alerting.resend_delay_ms;
  options.outage_tolerance_ms = config.alerting.for_outage_tolerance_ms;
  options.grace_period_ms = config.alerting.for_grace_period_ms;
  options.clock = deps.clock;
  AlertingService* self = service.get();
  service->manager_ = std::make_unique<RuleManager>(
      options, std::move(deps.query), std::move(deps.writer),
      [self](const std::vector<Notification>& n) { self->Notify(n); });
  return service;
}

AlertingService::~AlertingService() { Stop(); }

Status AlertingService::Start(uint16_t http_port) {
  if (default_external_url_) manager_->set_external_url(DefaultExternalUrl(http_port));
  TM_RETURN_IF_ERROR(manager_->Load(rule_files_));
  size_t rules = 0;
  for (const auto& group : manager_->Groups()) rules += group->rules().size();
  TM_LOG(kInfo) << "alerting: " << manager_->Groups().size() << " rule groups, " << rules
                << " rules, " << notifiers_.size() << " notifiers";
  for (auto& notifier : notifiers_) notifier->Start();
  manager_->Start();
  return Status::Ok();
}

void AlertingService::Stop() {
  if (manager_) manager_->Stop();
  for (auto& notifier : notifiers_) notifier->Stop();
}

Status AlertingService::Reload() {
  Status status = manager_->Load(rule_files_);
  if (status.ok()) {
    TM_LOG(kInfo) << "alerting: rules reloaded, " << manager_->Groups().size() << " groups";
  } else {
    TM_LOG(kError) << "alerting: reload failed, keeping the previous rules: " << status.message();
  }
  return status;
}

void AlertingService::Notify(const std::vector<Notification>& notifications) {
  for (auto& notifier : notifiers_) notifier->Enqueue(notifications);
}

std::vector<StateChange> AlertingService::StateChanges(int64_t start_ms, int64_t end_ms) const {
  return manager_->StateChanges(start_ms, end_ms);
}

void AlertingService::RegisterRoutes(web::Router& router) {
  RegisterAlertingRoutes(router, manager_.get(), [this] { return Reload(); });
}

std::shared_ptr<prometheus::Collectable> AlertingService::MakeCollector() const {
  std::vector<const Notifier*> notifiers;
  for (const auto& n : notifiers_) notifiers.push_back(n.get());
  return std::make_shared<AlertingCollector>(manager_.get(), std::move(notifiers));
}

}  // namespace tidemark::server::alerting
