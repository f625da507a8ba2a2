// AlertingService: alerting assembled from the configuration — the rule manager, the notifiers
// (Alertmanager, webhook, MQTT), their /metrics, and the HTTP routes — behind one object the App
// starts after storage and stops before HTTP and storage.
//
// Start loads the rule files (a broken file fails the start with its file:line error), starts the
// notifiers and the evaluation thread. Reload re-reads the rule files (SIGHUP, POST /-/reload);
// on error the old rules keep running. StateChanges lists alert state changes for annotations.
// Thread-safe after Create; Start and Stop are called from the main thread.
#pragma once

#include <prometheus/collectable.h>

#include <memory>
#include <vector>

#include "config/config.h"
#include "server/alerting/manager.h"
#include "server/alerting/notifier.h"
#include "web/router.h"

namespace tidemark::server::alerting {

struct AlertingDeps {
  QueryFunc query;
  SeriesWriter writer;
  base::Clock* clock = nullptr;  // default: the system clock
};

class AlertingService {
 public:
  // Validates the notifier settings (URLs, brokers, topic templates); loads no rules yet.
  static base::Result<std::unique_ptr<AlertingService>> Create(const config::Config& config,
                                                               AlertingDeps deps);
  ~AlertingService();

  // `http_port` is the bound HTTP port, for the default external URL (alerts' generatorURL).
  base::Status Start(uint16_t http_port);
  // Stops evaluation, then gives each notifier one last chance to deliver its queue.
  void Stop();
  // Re-reads the configured rule files; on error the running rules stay.
  base::Status Reload();

  // Alert state changes with start_ms <= time <= end_ms, oldest first (for Grafana annotations).
  std::vector<StateChange> StateChanges(int64_t start_ms, int64_t end_ms) const;
  void RegisterRoutes(web::Router& router);
  // rule evaluation, reload, alert and notifier metrics for /metrics.
  std::shared_ptr<prometheus::Collectable> MakeCollector() const;
  RuleManager& manager() { return *manager_; }

 private:
  AlertingService() = default;
  void Notify(const std::vector<Notification>& notifications);

  std::vector<std::string> rule_files_;
  bool default_external_url_ = false;
  std::vector<std::unique_ptr<Notifier>> notifiers_;
  std::unique_ptr<RuleManager> manager_;
};

}  // namespace tidemark::server::alerting
