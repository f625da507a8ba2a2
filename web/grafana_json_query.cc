// POST /query for both JSON plugins and SimpleJSON's POST /annotations.
//
// Each target is PromQL. Time-series targets run as a range query over the request's range at
// the step intervalMs/maxDataPoints pick; SimpleJSON gets {target, datapoints} per series and
// simPod (targets with a payload) gets one data frame per series. Table targets (SimpleJSON
// type "table", simPod payload format "table") run as an instant query at the range's end.
// refId "Anno" (simPod's annotations) answers an annotation table.
#include <algorithm>
#include <set>

#include "query/engine.h"
#include "web/grafana_json_internal.h"

namespace tidemark::web::grafana {
namespace {

struct Target {
  std::string expr;  // as the user wrote it
  std::string ref_id;
  json payload;         // simPod's payload (or v0.2's data); null for SimpleJSON
  bool frames = false;  // simPod >= 0.3 (which sends "payload") reads data frames
  bool table = false;
  bool force_raw = false;  // "tier": "raw" in the payload, the body or the URL
};

// False for targets Grafana's plugins would not have sent: hidden, blank, or the editor's "select
// metric" prompt text.
bool ReadTarget(const json& in, Target* out) {
  if (!in.is_object() || (in.contains("hide") && in["hide"] == true)) return false;
  out->expr = StringField(in, "target");
  if (out->expr.find_first_not_of(" \t\r\n") == std::string::npos) return false;
  if (out->expr == "select metric") return false;
  out->ref_id = StringField(in, "refId");
  for (const char* key : {"payload", "data"}) {
    if (in.contains(key) && in[key].is_object()) {
      out->payload = in[key];
      break;
    }
  }
  out->frames = in.contains("payload");
  out->table = StringField(in, "type") == "table" || StringField(out->payload, "format") == "table";
  return true;
}

json TimeValueArrays(const query::Series& series, json* times) {
  json values = json::array();
  for (const query::Point& p : series.points) {
    times->push_back(p.t);
    values.push_back(p.v);
  }
  return values;
}

// Which tier answered, as Grafana data frame metadata (notices show in the panel).
json TierMeta(const query::QueryInfo& info) {
  json meta = {{"custom", {{"tier", info.TierSummary()}}}};
  if (!info.rollup_resolutions.empty()) {
    meta["notices"] = json::array({{{"severity", "info"},
                                    {"text", "answered from rollup tier " + info.TierSummary() +
                                                 " (set \"tier\": \"raw\" for raw samples)"}}});
  }
  return meta;
}

json SeriesFrame(const query::Series& series, const Target& target) {
  json times = json::array();
  json values = TimeValueArrays(series, &times);
  json value_field = {{"name", "Value"}, {"type", "number"}, {"values", std::move(values)}};
  value_field["labels"] = LabelsObject(series.metric);
  return {
      {"name", SeriesName(series.metric, target.expr)},
      {"refId", target.ref_id},
      {"fields", json::array({{{"name", "Time"}, {"type", "time"}, {"values", std::move(times)}},
                              std::move(value_field)})}};
}

json LegacySeries(const query::Series& series, const Target& target) {
  json datapoints = json::array();
  for (const query::Point& p : series.points) datapoints.push_back(json::array({p.v, p.t}));
  return {{"target", SeriesName(series.metric, target.expr)},
          {"refId", target.ref_id},
          {"tags", LabelsObject(series.metric)},
          {"datapoints", std::move(datapoints)}};
}

base::Status AppendSeries(const Target& target, const std::string& expr, const TimeRange& range,
                          int64_t step, const GrafanaJsonDeps& deps, json* out) {
  query::QueryInfo info;
  const query::Engine engine(deps.engine);
  const query::QueryOptions options{target.force_raw};
  auto value = deps.cache ? deps.cache->RangeQuery(engine, deps.queriers, expr, range.from_ms,
                                                   range.to_ms, step, options, &info)
                          : engine.RangeQuery(deps.queriers, expr, range.from_ms, range.to_ms, step,
                                              options, &info);
  if (!value.ok()) return value.status();
  const json meta = TierMeta(info);
  for (const query::Series& series : std::get<query::Matrix>(*value)) {
    json item = target.frames ? SeriesFrame(series, target) : LegacySeries(series, target);
    item["meta"] = meta;
    out->push_back(std::move(item));
  }
  return base::Status::Ok();
}

// The instant result as (labels, time, value) rows; a range vector gives one row per sample.
struct Row {
  const storage::Labels* labels;
  int64_t t;
  json v;
};

std::vector<Row> Rows(const query::Value& value) {
  static const storage::Labels kNone;
  std::vector<Row> rows;
  if (const auto* scalar = std::get_if<query::Scalar>(&value)) {
    rows.push_back({&kNone, scalar->t, scalar->v});
  } else if (const auto* text = std::get_if<query::String>(&value)) {
    rows.push_back({&kNone, text->t, text->v});
  } else if (const auto* vector = std::get_if<query::Vector>(&value)) {
    for (const auto& s : *vector) rows.push_back({&s.metric, s.t, s.v});
  } else {
    for (const auto& series : std::get<query::Matrix>(value)) {
      for (const auto& p : series.points) rows.push_back({&series.metric, p.t, p.v});
    }
  }
  // Instant vectors come in evaluation order; a table reads best sorted by series, then time.
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return *a.labels != *b.labels ? *a.labels < *b.labels : a.t < b.t;
  });
  return rows;
}

json Table(const query::Value& value, const Target& target) {
  const std::vector<Row> rows = Rows(value);
  std::set<std::string> names;
  for (const Row& row : rows) {
    for (const auto& label : *row.labels) names.insert(label.name);
  }
  json columns = json::array({{{"text", "Time"}, {"type", "time"}}});
  for (const std::string& name : names) columns.push_back({{"text", name}, {"type", "string"}});
  const bool text = std::holds_alternative<query::String>(value);
  columns.push_back({{"text", "Value"}, {"type", text ? "string" : "number"}});
  json out_rows = json::array();
  for (const Row& row : rows) {
    json cells = json::array({row.t});
    for (const std::string& name : names) cells.push_back(row.labels->Get(name));
    cells.push_back(row.v);
    out_rows.push_back(std::move(cells));
  }
  return {{"type", "table"},
          {"refId", target.ref_id},
          {"columns", std::move(columns)},
          {"rows", std::move(out_rows)}};
}

base::Status AppendTable(const Target& target, const std::string& expr, const TimeRange& range,
                         const GrafanaJsonDeps& deps, json* out) {
  const query::Engine engine(deps.engine);
  auto value = deps.cache ? deps.cache->InstantQuery(engine, deps.queriers, expr, range.to_ms)
                          : engine.InstantQuery(deps.queriers, expr, range.to_ms);
  if (!value.ok()) return value.status();
  out->push_back(Table(*value, target));
  return base::Status::Ok();
}

// Grafana's standard annotation support reads time, timeEnd, title, text and tags by name.
json AnnotationTable(const json& events, const std::string& ref_id) {
  json rows = json::array();
  for (const json& event : events) {
    std::string tags;
    for (const auto& tag : event["tags"])
      tags += (tags.empty() ? "" : ",") + tag.get<std::string>();
    rows.push_back({event["time"], event.contains("timeEnd") ? event["timeEnd"] : json(),
                    event["title"], event["text"], tags});
  }
  json columns = json::array();
  for (auto [name, type] : {std::pair{"time", "time"},
                            {"timeEnd", "time"},
                            {"title", "string"},
                            {"text", "string"},
                            {"tags", "string"}}) {
    columns.push_back({{"text", name}, {"type", type}});
  }
  return {{"type", "table"}, {"refId", ref_id}, {"columns", columns}, {"rows", rows}};
}

base::Status AppendTarget(const Target& target, const json& body, const TimeRange& range,
                          const std::vector<storage::Matcher>& filters, const GrafanaJsonDeps& deps,
                          json* out) {
  auto matchers = PayloadMatchers(target.payload);
  if (!matchers.ok()) return matchers.status();
  matchers->insert(matchers->begin(), filters.begin(), filters.end());
  const int64_t step = PickStep(body, range, deps.engine.max_points_per_series);
  if (target.ref_id == "Anno") {
    auto events = AnnotationEvents(target.expr, *matchers, range, step, deps);
    if (!events.ok()) return events.status();
    out->push_back(AnnotationTable(*events, target.ref_id));
    return base::Status::Ok();
  }
  auto expr = AddMatchers(target.expr, *matchers);
  if (!expr.ok()) return expr.status();
  if (target.table) return AppendTable(target, *expr, range, deps, out);
  return AppendSeries(target, *expr, range, step, deps, out);
}

}  // namespace

Response HandleQuery(const Request& request, const GrafanaJsonDeps& deps) {
  auto body = ParseBody(request);
  if (!body.ok()) return BadRequest(body.status().message());
  auto range = ParseRange(*body, "range", deps.clock);
  if (!range.ok()) return BadRequest(range.status().message());
  auto filters = ParseFilters(*body);
  if (!filters.ok()) return BadRequest(filters.status().message());
  const json targets = body->value("targets", json::array());
  if (!targets.is_array()) return BadRequest("targets must be an array");
  std::string tier = StringField(*body, "tier");
  for (const auto& [name, value] : request.query) {
    if (name == "tier") tier = value;
  }
  if (!tier.empty() && tier != "raw" && tier != "auto") {
    return BadRequest("tier must be \"raw\" or \"auto\", got \"" + tier + "\"");
  }
  const bool force_raw = tier == "raw";
  json out = json::array();
  for (const json& item : targets) {
    Target target;
    if (!ReadTarget(item, &target)) continue;
    target.force_raw = force_raw || StringField(target.payload, "tier") == "raw";
    base::Status status = AppendTarget(target, *body, *range, *filters, deps, &out);
    if (!status.ok()) {
      return EngineError(status.WithContext("query " + target.ref_id + " (" + target.expr + ")"));
    }
  }
  return JsonOk(out);
}

Response HandleAnnotations(const Request& request, const GrafanaJsonDeps& deps) {
  auto body = ParseBody(request);
  if (!body.ok()) return BadRequest(body.status().message());
  auto range = ParseRange(*body, "range", deps.clock);
  if (!range.ok()) return BadRequest(range.status().message());
  const json annotation = body->value("annotation", json::object());
  if (!annotation.is_object()) return BadRequest("annotation must be an object");
  const int64_t step = PickStep(*body, *range, deps.engine.max_points_per_series);
  auto events = AnnotationEvents(StringField(annotation, "query"), {}, *range, step, deps);
  if (!events.ok()) return EngineError(events.status());
  // SimpleJSON's README echoes the annotation definition in each event.
  for (json& event : *events) event["annotation"] = annotation;
  return JsonOk(*events);
}

}  // namespace tidemark::web::grafana
