// HTTP routes of alerting, in Prometheus' shapes (Grafana's alerting UI reads them):
//   GET  /api/v1/rules?type=alert|record&rule_name[]=&rule_group[]=&file[]=&exclude_alerts=
//   GET  /api/v1/alerts        active (pending and firing) alerts
//   POST /-/reload             re-reads the rule files; a broken file keeps the old rules and
//                              answers 500 with the file:line error as JSON
// Handlers are thread-safe; they read the manager's snapshots.
#pragma once

#include <functional>

#include "server/alerting/manager.h"
#include "web/router.h"

namespace tidemark::server::alerting {

// `reload` re-reads the rule files (AlertingService::Reload).
void RegisterAlertingRoutes(web::Router& router, const RuleManager* manager,
                            std::function<base::Status()> reload);

}  // namespace tidemark::server::alerting
