// Annotation events for both plugins (SimpleJSON's /annotations and simPod's refId "Anno"
// targets): from a PromQL expression, or from alert state changes ("#alerts").
#include <algorithm>
#include <cctype>
#include <sstream>

#include "query/engine.h"
#include "web/grafana_json_internal.h"

namespace tidemark::web::grafana {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> Words(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(Lower(word));
  return words;
}

bool Mentions(const AlertAnnotation& a, const std::string& word) {
  auto has = [&](const std::string& text) { return Lower(text).find(word) != std::string::npos; };
  return has(a.title) || has(a.text) || std::any_of(a.tags.begin(), a.tags.end(), has);
}

json Event(int64_t time, int64_t time_end, const std::string& title, const std::string& text,
           const std::vector<std::string>& tags) {
  json event = {{"time", time}, {"title", title}, {"text", text}, {"tags", tags}};
  if (time_end > time) event["timeEnd"] = time_end;
  return event;
}

// "#alerts HighTemp firing": the alert source's events over the range that mention every word
// after the leading "alerts" (which only names the source).
base::Result<json> AlertEvents(std::string_view query, const TimeRange& range,
                               const GrafanaJsonDeps& deps) {
  if (!deps.alert_annotations) {
    return base::Status::InvalidArgument(
        "alert annotations are not available: alerting is not running in this server");
  }
  std::vector<std::string> words = Words(query.substr(1));
  if (!words.empty() && words.front() == "alerts") words.erase(words.begin());
  json events = json::array();
  for (const AlertAnnotation& a : deps.alert_annotations(range.from_ms, range.to_ms)) {
    if (!std::all_of(words.begin(), words.end(),
                     [&](const std::string& w) { return Mentions(a, w); })) {
      continue;
    }
    events.push_back(Event(a.time_ms, a.time_end_ms, a.title, a.text, a.tags));
    if (events.size() >= kMaxAnnotations) break;
  }
  return events;
}

std::vector<std::string> LabelTags(const storage::Labels& labels) {
  std::vector<std::string> tags;
  for (const auto& label : labels) {
    if (label.name != storage::kMetricNameLabel) tags.push_back(label.name + "=" + label.value);
  }
  return tags;
}

// One event per run of consecutive steps with a value; a run longer than one step is a region.
void SeriesEvents(const query::Series& series, std::string_view query, int64_t step, json* events) {
  const std::string title = SeriesName(series.metric, query);
  const std::vector<std::string> tags = LabelTags(series.metric);
  const auto& points = series.points;
  for (size_t start = 0; start < points.size() && events->size() < kMaxAnnotations;) {
    size_t end = start;
    while (end + 1 < points.size() && points[end + 1].t - points[end].t <= step) ++end;
    events->push_back(Event(points[start].t, points[end].t, title,
                            "value " + query::FormatFloat(points[start].v), tags));
    start = end + 1;
  }
}

base::Result<json> ExpressionEvents(std::string_view query,
                                    const std::vector<storage::Matcher>& matchers,
                                    const TimeRange& range, int64_t step,
                                    const GrafanaJsonDeps& deps) {
  auto expr = AddMatchers(query, matchers);
  if (!expr.ok()) return expr.status();
  auto value =
      query::Engine(deps.engine).RangeQuery(deps.queriers, *expr, range.from_ms, range.to_ms, step);
  if (!value.ok()) return value.status();
  json events = json::array();
  for (const query::Series& series : std::get<query::Matrix>(*value)) {
    SeriesEvents(series, query, step, &events);
  }
  return events;
}

}  // namespace

base::Result<json> AnnotationEvents(std::string_view query,
                                    const std::vector<storage::Matcher>& matchers,
                                    const TimeRange& range, int64_t step,
                                    const GrafanaJsonDeps& deps) {
  while (!query.empty() && std::isspace(static_cast<unsigned char>(query.front()))) {
    query.remove_prefix(1);
  }
  if (query.empty()) {
    return base::Status::InvalidArgument(
        "the annotation query is empty: enter a PromQL expression or #alerts");
  }
  auto events = query.front() == '#' ? AlertEvents(query, range, deps)
                                     : ExpressionEvents(query, matchers, range, step, deps);
  if (!events.ok()) return events;
  std::stable_sort(events->begin(), events->end(), [](const json& a, const json& b) {
    return a["time"].get<int64_t>() < b["time"].get<int64_t>();
  });
  return events;
}

}  // namespace tidemark::web::grafana
