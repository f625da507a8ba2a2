#include "web/query_result_json.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

namespace tidemark::web {
namespace {

// A JSON string literal. Plain printable ASCII is copied; anything else goes through
// nlohmann::json so escapes and invalid UTF-8 are handled as everywhere else in the API.
void AppendString(std::string_view s, std::string* out) {
  bool plain = true;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    plain = plain && u >= 0x20 && u < 0x7f && c != '"' && c != '\\';
  }
  if (!plain) {
    *out += nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
  *out += '"';
  *out += s;
  *out += '"';
}

void AppendTime(int64_t ms, std::string* out) {
  if (ms % 1000 == 0) {
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof(buf), ms / 1000);
    out->append(buf, res.ptr);
    return;
  }
  *out += nlohmann::json(static_cast<double>(ms) / 1000.0).dump();
}

// As query::FormatFloat, without a temporary string.
void AppendValue(double v, std::string* out) {
  *out += '"';
  if (std::isnan(v)) {
    *out += "NaN";
  } else if (std::isinf(v)) {
    *out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[512];
    auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
    out->append(buf, res.ptr);
  }
  *out += '"';
}

void AppendPoint(int64_t t, double v, std::string* out) {
  *out += '[';
  AppendTime(t, out);
  *out += ',';
  AppendValue(v, out);
  *out += ']';
}

void AppendLabels(const storage::Labels& labels, std::string* out) {
  *out += '{';
  bool first = true;
  for (const auto& l : labels) {
    if (!first) *out += ',';
    first = false;
    AppendString(l.name, out);
    *out += ':';
    AppendString(l.value, out);
  }
  *out += '}';
}

void AppendMatrix(const query::Matrix& matrix, std::string* out) {
  *out += '[';
  for (size_t i = 0; i < matrix.size(); ++i) {
    if (i > 0) *out += ',';
    *out += "{\"metric\":";
    AppendLabels(matrix[i].metric, out);
    *out += ",\"values\":[";
    const auto& points = matrix[i].points;
    for (size_t j = 0; j < points.size(); ++j) {
      if (j > 0) *out += ',';
      AppendPoint(points[j].t, points[j].v, out);
    }
    *out += "]}";
  }
  *out += ']';
}

void AppendVector(const query::Vector& vector, std::string* out) {
  *out += '[';
  for (size_t i = 0; i < vector.size(); ++i) {
    if (i > 0) *out += ',';
    *out += "{\"metric\":";
    AppendLabels(vector[i].metric, out);
    *out += ",\"value\":";
    AppendPoint(vector[i].t, vector[i].v, out);
    *out += '}';
  }
  *out += ']';
}

void AppendResult(const query::Value& value, std::string* out) {
  if (const auto* scalar = std::get_if<query::Scalar>(&value)) {
    AppendPoint(scalar->t, scalar->v, out);
  } else if (const auto* text = std::get_if<query::String>(&value)) {
    *out += '[';
    AppendTime(text->t, out);
    *out += ',';
    AppendString(text->v, out);
    *out += ']';
  } else if (const auto* vector = std::get_if<query::Vector>(&value)) {
    AppendVector(*vector, out);
  } else if (const auto* matrix = std::get_if<query::Matrix>(&value)) {
    AppendMatrix(*matrix, out);
  }
}

void AppendStrings(const std::vector<std::string>& list, std::string* out) {
  *out += '[';
  for (size_t i = 0; i < list.size(); ++i) {
    if (i > 0) *out += ',';
    AppendString(list[i], out);
  }
  *out += ']';
}

void AppendWarnings(const std::vector<std::string>& warnings, std::string* out) {
  if (warnings.empty()) return;
  *out += ",\"warnings\":";
  AppendStrings(warnings, out);
}

size_t EstimateBytes(const query::Value& value) {
  const auto* matrix = std::get_if<query::Matrix>(&value);
  if (matrix == nullptr) return 256;
  size_t n = 64;
  for (const auto& s : *matrix) n += 128 + 40 * s.points.size();
  return n;
}

}  // namespace

std::string QueryResultBody(const query::Value& value, const std::optional<std::string>& tier,
                            const std::vector<std::string>& warnings) {
  std::string out;
  out.reserve(EstimateBytes(value));
  out += "{\"data\":{\"result\":";
  AppendResult(value, &out);
  out += ",\"resultType\":";
  AppendString(query::ValueTypeApiName(query::TypeOf(value)), &out);
  if (tier) {
    out += ",\"tier\":";
    AppendString(*tier, &out);
  }
  out += "},\"status\":\"success\"";
  AppendWarnings(warnings, &out);
  out += '}';
  return out;
}

std::string StringListBody(const std::vector<std::string>& data,
                           const std::vector<std::string>& warnings) {
  std::string out;
  size_t bytes = 64;
  for (const auto& s : data) bytes += s.size() + 3;
  out.reserve(bytes);
  out += "{\"data\":";
  AppendStrings(data, &out);
  out += ",\"status\":\"success\"";
  AppendWarnings(warnings, &out);
  out += '}';
  return out;
}

}  // namespace tidemark::web
