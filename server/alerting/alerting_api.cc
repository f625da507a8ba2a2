#include "server/alerting/alerting_api.h"

#include <nlohmann/json.hpp>
#include <set>

#include "server/alerting/go_format.h"
#include "web/api_params.h"
#include "web/api_response.h"

namespace tidemark::server::alerting {
namespace {

using nlohmann::json;

json LabelsJson(const storage::Labels& labels) {
  json out = json::object();
  for (const storage::Label& l : labels) out[l.name] = l.value;
  return out;
}

json MapJson(const StringMap& map) {
  json out = json::object();
  for (const auto& [k, v] : map) out[k] = v;
  return out;
}

// Go marshals time.Time as RFC 3339 with nanoseconds, trailing zeros trimmed.
std::string ApiTime(int64_t ms) { return Rfc3339(ms, 9, false); }

json AlertJson(const Alert& alert) {
  json out = {{"labels", LabelsJson(alert.labels)},
              {"annotations", MapJson(alert.annotations)},
              {"state", AlertStateName(alert.state)},
              {"activeAt", ApiTime(alert.active_at_ms)},
              {"value", GoFloatE(alert.value)}};
  if (alert.keep_firing_since_ms != 0) out["keepFiringSince"] = ApiTime(alert.keep_firing_since_ms);
  return out;
}

json ActiveAlertsJson(const AlertingRule& rule) {
  json alerts = json::array();
  for (const Alert& alert : rule.alerts()) {
    if (alert.state != AlertState::kInactive) alerts.push_back(AlertJson(alert));
  }
  return alerts;
}

void AddHealth(const Rule& rule, json* out) {
  const RuleHealth health = rule.health();
  (*out)["health"] = health.health;
  if (!health.last_error.empty()) (*out)["lastError"] = health.last_error;
  (*out)["evaluationTime"] = health.evaluation_seconds;
  (*out)["lastEvaluation"] =
      health.last_evaluation_ms == 0 ? "0001-01-01T00:00:00Z" : ApiTime(health.last_evaluation_ms);
}

json RuleJson(const Rule& rule, bool exclude_alerts) {
  json out = {
      {"name", rule.name()}, {"query", rule.spec().expr}, {"labels", MapJson(rule.spec().labels)}};
  if (rule.is_alerting()) {
    const auto& alerting = static_cast<const AlertingRule&>(rule);
    const bool evaluated = rule.health().last_evaluation_ms != 0;
    out["state"] = evaluated ? std::string(AlertStateName(alerting.state())) : "inactive";
    out["duration"] = rule.spec().for_ms / 1000.0;
    out["keepFiringFor"] = rule.spec().keep_firing_for_ms / 1000.0;
    out["annotations"] = MapJson(rule.spec().annotations);
    if (!exclude_alerts) out["alerts"] = ActiveAlertsJson(alerting);
    out["type"] = "alerting";
  } else {
    out["type"] = "recording";
  }
  AddHealth(rule, &out);
  return out;
}

bool Wanted(const std::vector<std::string>& filter, const std::string& value) {
  return filter.empty() || std::find(filter.begin(), filter.end(), value) != filter.end();
}

web::Response Rules(const web::Request& request, const RuleManager* manager) {
  const web::Params params = request.FormParams();
  const std::string type = web::ParamValue(params, "type");
  if (!type.empty() && type != "alert" && type != "record") {
    return web::ApiError("bad_data", "invalid parameter \"type\": must be alert or record");
  }
  const std::string exclude = web::ParamValue(params, "exclude_alerts");
  const auto names = web::ParamValues(params, "rule_name[]");
  const auto group_names = web::ParamValues(params, "rule_group[]");
  const auto files = web::ParamValues(params, "file[]");
  json groups = json::array();
  for (const auto& group : manager->Groups()) {
    if (!Wanted(group_names, group->name()) || !Wanted(files, group->file())) continue;
    json rules = json::array();
    for (const auto& rule : group->rules()) {
      if (type == "alert" && !rule->is_alerting()) continue;
      if (type == "record" && rule->is_alerting()) continue;
      if (!Wanted(names, rule->name())) continue;
      rules.push_back(RuleJson(*rule, exclude == "true" || exclude == "1"));
    }
    if (rules.empty() && (!type.empty() || !names.empty())) continue;
    const int64_t last = group->last_evaluation_ms();
    groups.push_back({{"name", group->name()},
                      {"file", group->file()},
                      {"rules", rules},
                      {"interval", group->interval_ms() / 1000.0},
                      {"limit", group->limit()},
                      {"evaluationTime", group->evaluation_seconds()},
                      {"lastEvaluation", last == 0 ? "0001-01-01T00:00:00Z" : ApiTime(last)}});
  }
  return web::ApiSuccess({{"groups", groups}});
}

web::Response Alerts(const RuleManager* manager) {
  json alerts = json::array();
  for (const auto& group : manager->Groups()) {
    for (const auto& rule : group->rules()) {
      if (!rule->is_alerting()) continue;
      for (json& alert : ActiveAlertsJson(static_cast<const AlertingRule&>(*rule))) {
        alerts.push_back(std::move(alert));
      }
    }
  }
  return web::ApiSuccess({{"alerts", alerts}});
}

}  // namespace

void RegisterAlertingRoutes(web::Router& router, const RuleManager* manager,
                            std::function<base::Status()> reload) {
  router.Add({web::Method::kGet, web::Method::kPost}, "/api/v1/rules", "rules",
             [manager](const web::Request& request) { return Rules(request, manager); });
  router.Add({web::Method::kGet, web::Method::kPost}, "/api/v1/alerts", "alerts",
             [manager](const web::Request&) { return Alerts(manager); });
  router.Add({web::Method::kPost, web::Method::kPut}, "/-/reload", "reload",
             [reload](const web::Request&) {
               base::Status status = reload();
               if (status.ok()) return web::Response::Text(200, "");
               return web::ApiErrorWithStatus(500, "internal",
                                              "failed to reload rules: " + status.message());
             });
}

}  // namespace tidemark::server::alerting
