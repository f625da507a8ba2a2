// Parsing of the JSON plugins' request bodies: time ranges, ad hoc filters, simPod payloads,
// the step, and the rewrite that adds filters to every selector of an expression.
#include <algorithm>
#include <cctype>
#include <cmath>

#include "query/parser.h"
#include "query/printer.h"
#include "storage/base/time_parse.h"
#include "web/grafana_json_internal.h"

namespace tidemark::web::grafana {
namespace {

base::Result<int64_t> ParseInstant(const json& value, std::string_view what) {
  // Checked before the conversion, which is undefined for doubles outside int64's range.
  constexpr double kLimit = static_cast<double>(query::kMaxQueryTimeMs / 2);
  if (value.is_number()) {
    const double ms = value.get<double>();
    if (!(std::fabs(ms) <= kLimit)) {
      return base::Status::InvalidArgument(std::string(what) + " is out of range");
    }
    return static_cast<int64_t>(ms);
  }
  if (value.is_string()) {
    auto parsed = base::ParseRfc3339(value.get<std::string>());
    if (parsed.ok()) return parsed;
  }
  return base::Status::InvalidArgument(std::string(what) +
                                       " must be an ISO-8601 time or epoch milliseconds, got " +
                                       value.dump(-1, ' ', false, json::error_handler_t::replace));
}

base::Result<storage::MatchType> FilterOperator(std::string_view op) {
  if (op == "=" || op == "=|") return storage::MatchType::kEqual;
  if (op == "!=" || op == "!=|") return storage::MatchType::kNotEqual;
  if (op == "=~") return storage::MatchType::kRegexMatch;
  if (op == "!~") return storage::MatchType::kRegexNoMatch;
  return base::Status::InvalidArgument("ad hoc filter operator \"" + std::string(op) +
                                       "\" is not supported; use =, !=, =~, !~, =| or !=|");
}

// The strings of a JSON array (other elements skipped).
std::vector<std::string> Strings(const json& array) {
  std::vector<std::string> out;
  for (const auto& item : array) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

base::Result<storage::Matcher> FilterMatcher(const json& filter) {
  const std::string key = StringField(filter, "key");
  if (!IsLabelName(key)) {
    return base::Status::InvalidArgument("ad hoc filter key \"" + key + "\" is not a label name");
  }
  const std::string op = filter.contains("operator") ? StringField(filter, "operator") : "=";
  auto type = FilterOperator(op);
  if (!type.ok()) return type.status();
  // "One of" operators carry their choices in "values" (Grafana 11's multi-value filters).
  if ((op == "=|" || op == "!=|") && filter.contains("values") && filter["values"].is_array()) {
    return storage::Matcher::Make(*type == storage::MatchType::kEqual
                                      ? storage::MatchType::kRegexMatch
                                      : storage::MatchType::kRegexNoMatch,
                                  key, AlternationRegex(Strings(filter["values"])));
  }
  const json& value = filter.contains("value") ? filter["value"] : json();
  std::string text = value.is_string() ? value.get<std::string>()
                     : value.is_null() ? ""
                                       : value.dump();
  return storage::Matcher::Make(*type, key, std::move(text));
}

constexpr std::string_view kRegexSyntax = "\\.+*?()|[]{}^$";

// Grafana's regex format renders a multi-value variable as "(a|b)", "All" as ".*" (or the
// variable's custom all value) and escapes a single value's metacharacters, so a value with
// regex syntax is a regex; anchored, a plain value would match only itself anyway.
bool HasRegexSyntax(std::string_view text) {
  return text.find_first_of(kRegexSyntax) != std::string_view::npos;
}

// "{a,b}" as Grafana's glob format renders a multi-value variable.
bool IsGlobAlternation(std::string_view text) {
  return text.size() >= 2 && text.front() == '{' && text.back() == '}' &&
         text.find(',') != std::string_view::npos;
}

std::vector<std::string> SplitGlob(std::string_view text) {
  std::vector<std::string> out;
  text = text.substr(1, text.size() - 2);
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    out.emplace_back(text.substr(start, comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

base::Result<std::vector<storage::Matcher>> PayloadValueMatchers(const std::string& key,
                                                                 const json& value) {
  std::vector<storage::Matcher> out;
  auto add = [&](storage::MatchType type, std::string text) -> base::Status {
    auto matcher = storage::Matcher::Make(type, key, std::move(text));
    if (!matcher.ok()) return matcher.status().WithContext("payload \"" + key + "\"");
    out.push_back(std::move(matcher).value());
    return base::Status::Ok();
  };
  base::Status status;
  if (value.is_array()) {
    const std::vector<std::string> values = Strings(value);
    if (!values.empty()) status = add(storage::MatchType::kRegexMatch, AlternationRegex(values));
  } else if (value.is_number() || value.is_boolean()) {
    status = add(storage::MatchType::kEqual, value.dump());
  } else if (value.is_string() && !value.get<std::string>().empty()) {
    const std::string text = value.get<std::string>();
    if (IsGlobAlternation(text)) {
      status = add(storage::MatchType::kRegexMatch, AlternationRegex(SplitGlob(text)));
    } else if (HasRegexSyntax(text)) {
      status = add(storage::MatchType::kRegexMatch, text);
    } else {
      status = add(storage::MatchType::kEqual, text);
    }
  }
  if (!status.ok()) return status;
  return out;
}

void AddToSelectors(query::Expr* expr, const std::vector<storage::Matcher>& matchers) {
  if (expr == nullptr) return;
  if (expr->kind == query::NodeKind::kVectorSelector) {
    expr->matchers.insert(expr->matchers.end(), matchers.begin(), matchers.end());
  }
  AddToSelectors(expr->lhs.get(), matchers);
  AddToSelectors(expr->rhs.get(), matchers);
  for (auto& arg : expr->args) AddToSelectors(arg.get(), matchers);
}

int64_t CeilDiv(int64_t a, int64_t b) { return b <= 0 ? 0 : (a + b - 1) / b; }

// True when arrays and objects nest deeper than `limit`. Copying, printing and comparing JSON
// recurse once per level, so a hostile body of a million brackets must be refused before that.
bool NestsDeeperThan(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

}  // namespace

base::Result<json> ParseBody(const Request& request) {
  const bool blank = std::all_of(request.body.begin(), request.body.end(),
                                 [](unsigned char c) { return std::isspace(c) != 0; });
  if (blank) return json::object();
  if (NestsDeeperThan(request.body, kMaxBodyDepth)) {
    return base::Status::InvalidArgument("request body nests deeper than " +
                                         std::to_string(kMaxBodyDepth) + " levels");
  }
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return base::Status::InvalidArgument("request body is not valid JSON");
  if (!body.is_object()) return base::Status::InvalidArgument("request body must be a JSON object");
  return body;
}

base::Result<TimeRange> ParseRange(const json& body, std::string_view key, base::Clock* clock) {
  TimeRange range;
  range.to_ms = clock->NowMillis();
  range.from_ms = range.to_ms - kDefaultRangeMs;
  const auto it = body.find(key);
  if (it == body.end() || !it->is_object()) return range;
  if (it->contains("from")) {
    auto from = ParseInstant((*it)["from"], std::string(key) + ".from");
    if (!from.ok()) return from.status();
    range.from_ms = *from;
  }
  if (it->contains("to")) {
    auto to = ParseInstant((*it)["to"], std::string(key) + ".to");
    if (!to.ok()) return to.status();
    range.to_ms = *to;
  }
  constexpr int64_t kLimit = query::kMaxQueryTimeMs / 2;
  if (std::abs(range.from_ms) > kLimit || std::abs(range.to_ms) > kLimit) {
    return base::Status::InvalidArgument(std::string(key) + " is out of range");
  }
  if (range.from_ms > range.to_ms) {
    return base::Status::InvalidArgument(std::string(key) + ".from is after " + std::string(key) +
                                         ".to");
  }
  return range;
}

base::Result<std::vector<storage::Matcher>> ParseFilters(const json& body) {
  std::vector<storage::Matcher> out;
  for (const char* key : {"filters", "adhocFilters"}) {
    const auto it = body.find(key);
    if (it == body.end() || !it->is_array()) continue;
    for (const json& filter : *it) {
      if (!filter.is_object()) {
        return base::Status::InvalidArgument(std::string(key) + " entries must be objects");
      }
      auto matcher = FilterMatcher(filter);
      if (!matcher.ok()) return matcher.status();
      out.push_back(std::move(matcher).value());
    }
  }
  return out;
}

base::Result<std::vector<storage::Matcher>> PayloadMatchers(const json& payload,
                                                            std::string_view skip) {
  std::vector<storage::Matcher> out;
  if (!payload.is_object()) return out;
  for (const auto& [key, value] : payload.items()) {
    if (key == "format" || key == "tier" || key == skip || !IsLabelName(key)) continue;
    auto matchers = PayloadValueMatchers(key, value);
    if (!matchers.ok()) return matchers.status();
    out.insert(out.end(), matchers->begin(), matchers->end());
  }
  return out;
}

base::Result<std::string> AddMatchers(std::string_view expr,
                                      const std::vector<storage::Matcher>& matchers) {
  if (matchers.empty()) return std::string(expr);
  auto parsed = query::ParseExpr(expr);
  if (!parsed.ok()) return parsed.status();
  AddToSelectors(parsed->get(), matchers);
  return query::FormatExpr(**parsed);
}

int64_t PickStep(const json& body, const TimeRange& range, int64_t max_points) {
  const int64_t span = range.to_ms - range.from_ms;
  const int64_t interval = IntField(body, "intervalMs");
  const int64_t points = IntField(body, "maxDataPoints");
  int64_t step = std::max(interval, CeilDiv(span, points));
  if (interval <= 0 && points <= 0) step = CeilDiv(span, kDefaultPoints);
  step = std::max(step, CeilDiv(span, std::max<int64_t>(max_points - 1, 1)));
  return std::max<int64_t>(step, 1);
}

std::string AlternationRegex(const std::vector<std::string>& values) {
  std::string out;
  for (const std::string& value : values) {
    if (!out.empty()) out += '|';
    for (char c : value) {
      if (kRegexSyntax.find(c) != std::string_view::npos) out += '\\';
      out += c;
    }
  }
  return out;
}

bool IsLabelName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) != 0 || c == '_'; });
}

std::string StringField(const json& body, std::string_view key) {
  const auto it = body.find(key);
  if (it == body.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

int64_t IntField(const json& body, std::string_view key) {
  const auto it = body.find(key);
  if (it == body.end() || !it->is_number()) return 0;
  const double value = it->get<double>();
  // Grafana sends small positive numbers; anything else is treated as absent.
  if (!(value > 0) || value > 1e15) return 0;
  return static_cast<int64_t>(value);
}

}  // namespace tidemark::web::grafana
