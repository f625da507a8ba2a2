// The JSON plugins' lookups: metric names (SimpleJSON /search, simPod /metrics), payload options,
// template variables and ad hoc filter keys and values. All read the series index, not samples.
//
// Variable queries (SimpleJSON /search and simPod /variable) understand
//   label_values(label), label_values(selector, label), label_names(), label_names(selector)
// as Grafana's Prometheus data source does; any other text lists the metric names it prefixes.
#include <algorithm>
#include <optional>

#include "query/parser.h"
#include "web/grafana_json_internal.h"

namespace tidemark::web::grafana {
namespace {

std::string_view Trim(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const size_t last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::vector<std::string> Capped(std::vector<std::string> names) {
  if (names.size() > kMaxListed) names.resize(kMaxListed);
  return names;
}

std::vector<std::string> WithoutMetricName(std::vector<std::string> names) {
  names.erase(std::remove(names.begin(), names.end(), std::string(storage::kMetricNameLabel)),
              names.end());
  return names;
}

// Sorted metric names starting with `prefix`, capped.
base::Result<std::vector<std::string>> MetricNames(storage::Querier& querier,
                                                   std::string_view prefix) {
  auto names = querier.LabelValues(std::string(storage::kMetricNameLabel), {});
  if (!names.ok()) return names.status();
  std::vector<std::string> out;
  for (std::string& name : *names) {
    if (name.compare(0, prefix.size(), prefix) == 0) out.push_back(std::move(name));
    if (out.size() == kMaxListed) break;
  }
  return out;
}

// The arguments of `name(...)` in `text`, or nullopt when `text` is not such a call.
std::optional<std::string_view> CallArgs(std::string_view text, std::string_view name) {
  if (text.size() < name.size() + 2 || text.substr(0, name.size()) != name) return std::nullopt;
  std::string_view rest = Trim(text.substr(name.size()));
  if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') return std::nullopt;
  return Trim(rest.substr(1, rest.size() - 2));
}

base::Result<std::vector<storage::Matcher>> Selector(std::string_view text) {
  if (text.empty()) return std::vector<storage::Matcher>{};
  return query::ParseMetricSelector(text);
}

// Values a variable query names (see the file comment).
base::Result<std::vector<std::string>> VariableValues(storage::Querier& querier,
                                                      std::string_view text) {
  text = Trim(text);
  if (auto args = CallArgs(text, "label_values")) {
    const size_t comma = args->rfind(',');
    const std::string label(
        Trim(comma == std::string_view::npos ? *args : args->substr(comma + 1)));
    if (!IsLabelName(label)) {
      return base::Status::InvalidArgument("label_values needs a label name, got \"" + label +
                                           "\"");
    }
    auto matchers = Selector(comma == std::string_view::npos ? "" : Trim(args->substr(0, comma)));
    if (!matchers.ok()) return matchers.status();
    auto values = querier.LabelValues(label, *matchers);
    if (!values.ok()) return values.status();
    return Capped(std::move(values).value());
  }
  if (auto args = CallArgs(text, "label_names")) {
    auto matchers = Selector(*args);
    if (!matchers.ok()) return matchers.status();
    auto names = querier.LabelNames(*matchers);
    if (!names.ok()) return names.status();
    return Capped(WithoutMetricName(std::move(names).value()));
  }
  return MetricNames(querier, text);
}

// A querier over the body's range (`key`), for the handlers below.
base::Result<std::unique_ptr<storage::Querier>> OpenQuerier(const json& body, std::string_view key,
                                                            const GrafanaJsonDeps& deps) {
  auto range = ParseRange(body, key, deps.clock);
  if (!range.ok()) return range.status();
  return deps.queriers(range->from_ms, range->to_ms);
}

// Parses the body and opens a querier; on failure fills `error`.
std::unique_ptr<storage::Querier> Prepare(const Request& request, std::string_view range_key,
                                          const GrafanaJsonDeps& deps, json* body,
                                          Response* error) {
  auto parsed = ParseBody(request);
  if (!parsed.ok()) {
    *error = BadRequest(parsed.status().message());
    return nullptr;
  }
  *body = std::move(parsed).value();
  auto querier = OpenQuerier(*body, range_key, deps);
  if (!querier.ok()) {
    *error = BadRequest(querier.status().message());
    return nullptr;
  }
  return std::move(querier).value();
}

}  // namespace

Response HandleSearch(const Request& request, const GrafanaJsonDeps& deps) {
  json body;
  Response error;
  auto querier = Prepare(request, "range", deps, &body, &error);
  if (!querier) return error;
  auto values = VariableValues(*querier, StringField(body, "target"));
  if (!values.ok()) return EngineError(values.status());
  return JsonOk(*values);
}

Response HandleMetrics(const Request& request, const GrafanaJsonDeps& deps) {
  json body;
  Response error;
  auto querier = Prepare(request, "range", deps, &body, &error);
  if (!querier) return error;
  auto names = MetricNames(*querier, Trim(StringField(body, "metric")));
  if (!names.ok()) return EngineError(names.status());
  json out = json::array();
  for (const std::string& name : *names) {
    // Each label of the metric is a payload; its options come from /metric-payload-options.
    auto labels = querier->LabelNames({storage::Matcher::Equal("__name__", name)});
    if (!labels.ok()) return EngineError(labels.status());
    json payloads = json::array();
    for (const std::string& label : WithoutMetricName(std::move(labels).value())) {
      payloads.push_back({{"name", label}, {"label", label}, {"type", "multi-select"}});
    }
    out.push_back({{"label", name}, {"value", name}, {"payloads", std::move(payloads)}});
  }
  return JsonOk(out);
}

Response HandleMetricPayloadOptions(const Request& request, const GrafanaJsonDeps& deps) {
  json body;
  Response error;
  auto querier = Prepare(request, "range", deps, &body, &error);
  if (!querier) return error;
  const std::string name = StringField(body, "name");
  if (!IsLabelName(name)) return BadRequest("name must be a label name, got \"" + name + "\"");
  // The other payloads narrow the options, so choices stay consistent with each other.
  auto matchers = PayloadMatchers(body.value("payload", json::object()), name);
  if (!matchers.ok()) return BadRequest(matchers.status().message());
  if (const std::string metric = StringField(body, "metric"); !metric.empty()) {
    matchers->push_back(storage::Matcher::Equal("__name__", metric));
  }
  auto values = querier->LabelValues(name, *matchers);
  if (!values.ok()) return EngineError(values.status());
  json out = json::array();
  for (const std::string& value : Capped(std::move(values).value())) {
    out.push_back({{"label", value}, {"value", value}});
  }
  return JsonOk(out);
}

Response HandleVariable(const Request& request, const GrafanaJsonDeps& deps) {
  json body;
  Response error;
  auto querier = Prepare(request, "range", deps, &body, &error);
  if (!querier) return error;
  const json payload = body.value("payload", json::object());
  const std::string text = payload.is_object()   ? StringField(payload, "target")
                           : payload.is_string() ? payload.get<std::string>()
                                                 : "";
  auto values = VariableValues(*querier, text);
  if (!values.ok()) return EngineError(values.status());
  json out = json::array();
  for (const std::string& value : *values) out.push_back({{"__text", value}, {"__value", value}});
  return JsonOk(out);
}

Response HandleTagKeys(const Request& request, const GrafanaJsonDeps& deps) {
  json body;
  Response error;
  auto querier = Prepare(request, "timeRange", deps, &body, &error);
  if (!querier) return error;
  auto filters = ParseFilters(body);
  if (!filters.ok()) return BadRequest(filters.status().message());
  auto names = querier->LabelNames(*filters);
  if (!names.ok()) return EngineError(names.status());
  json out = json::array();
  for (const std::string& name : Capped(WithoutMetricName(std::move(names).value()))) {
    out.push_back({{"type", "string"}, {"text", name}});
  }
  return JsonOk(out);
}

Response HandleTagValues(const Request& request, const GrafanaJsonDeps& deps) {
  json body;
  Response error;
  auto querier = Prepare(request, "timeRange", deps, &body, &error);
  if (!querier) return error;
  const std::string key = StringField(body, "key");
  if (!IsLabelName(key)) return BadRequest("key must be a label name, got \"" + key + "\"");
  auto filters = ParseFilters(body);
  if (!filters.ok()) return BadRequest(filters.status().message());
  // The filter on this very key would leave only its current value; Grafana wants the choices.
  std::erase_if(*filters, [&](const storage::Matcher& m) { return m.name() == key; });
  auto values = querier->LabelValues(key, *filters);
  if (!values.ok()) return EngineError(values.status());
  json out = json::array();
  for (const std::string& value : Capped(std::move(values).value())) {
    out.push_back({{"text", value}});
  }
  return JsonOk(out);
}

}  // namespace tidemark::web::grafana
