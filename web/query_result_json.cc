#include "web/query_result_json.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "query/float_format.h"

namespace tidemark::web {
namespace {

// Appends into a std::string through a raw cursor: a point is a dozen tiny pieces, and going
// through std::string::append for each (a capacity check and a memcpy call) cost as much as
// formatting the numbers. Room() makes sure `n` bytes fit before a piece is written; Finish()
// trims the string to what was written.
class Out {
 public:
  explicit Out(std::string* s, size_t estimate) : s_(s) {
    s_->resize(std::max<size_t>(estimate, 256));
    pos_ = s_->data();
    end_ = pos_ + s_->size();
  }
  void Room(size_t n) {
    if (static_cast<size_t>(end_ - pos_) >= n) return;
    const size_t used = pos_ - s_->data();
    s_->resize(std::max(2 * s_->size(), used + n));
    pos_ = s_->data() + used;
    end_ = s_->data() + s_->size();
  }
  void Put(char c) {
    Room(1);
    *pos_++ = c;
  }
  void Put(std::string_view text) {
    Room(text.size());
    std::memcpy(pos_, text.data(), text.size());
    pos_ += text.size();
  }
  // For writers that know their bound: call Room(bound) first, write at Cursor(), then Advance.
  char* Cursor() { return pos_; }
  void Advance(char* to) { pos_ = to; }
  void Finish() { s_->resize(pos_ - s_->data()); }

 private:
  std::string* s_;
  char* pos_;
  char* end_;
};

// A JSON string literal. Plain printable ASCII is copied; anything else goes through
// nlohmann::json so escapes and invalid UTF-8 are handled as everywhere else in the API.
void AppendString(std::string_view s, Out* out) {
  bool plain = true;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    plain = plain && u >= 0x20 && u < 0x7f && c != '"' && c != '\\';
  }
  if (!plain) {
    out->Put(nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return;
  }
  out->Room(s.size() + 2);
  out->Put('"');
  out->Put(s);
  out->Put('"');
}

// Whole seconds as an integer, as the JSON tree wrote an int64; anything else as its double.
void AppendTime(int64_t ms, Out* out) {
  if (ms % 1000 == 0) {
    out->Room(24);
    out->Advance(query::WriteInteger(ms / 1000, out->Cursor()));
    return;
  }
  out->Put(nlohmann::json(static_cast<double>(ms) / 1000.0).dump());
}

// [time,"value"], the value as Prometheus writes it (query::WriteSampleValue).
void AppendPoint(int64_t t, double v, Out* out) {
  out->Put('[');
  AppendTime(t, out);
  out->Room(query::kMaxFloatChars + 4);
  char* pos = out->Cursor();
  *pos++ = ',';
  *pos++ = '"';
  pos = query::WriteSampleValue(v, pos);
  *pos++ = '"';
  *pos++ = ']';
  out->Advance(pos);
}

void AppendLabels(const storage::Labels& labels, Out* out) {
  out->Put('{');
  bool first = true;
  for (const auto& l : labels) {
    if (!first) out->Put(',');
    first = false;
    AppendString(l.name, out);
    out->Put(':');
    AppendString(l.value, out);
  }
  out->Put('}');
}

void AppendMatrix(const query::Matrix& matrix, Out* out) {
  out->Put('[');
  for (size_t i = 0; i < matrix.size(); ++i) {
    if (i > 0) out->Put(',');
    out->Put("{\"metric\":");
    AppendLabels(matrix[i].metric, out);
    out->Put(",\"values\":[");
    const auto& points = matrix[i].points;
    for (size_t j = 0; j < points.size(); ++j) {
      if (j > 0) out->Put(',');
      AppendPoint(points[j].t, points[j].v, out);
    }
    out->Put("]}");
  }
  out->Put(']');
}

void AppendVector(const query::Vector& vector, Out* out) {
  out->Put('[');
  for (size_t i = 0; i < vector.size(); ++i) {
    if (i > 0) out->Put(',');
    out->Put("{\"metric\":");
    AppendLabels(vector[i].metric, out);
    out->Put(",\"value\":");
    AppendPoint(vector[i].t, vector[i].v, out);
    out->Put('}');
  }
  out->Put(']');
}

void AppendResult(const query::Value& value, Out* out) {
  if (const auto* scalar = std::get_if<query::Scalar>(&value)) {
    AppendPoint(scalar->t, scalar->v, out);
  } else if (const auto* text = std::get_if<query::String>(&value)) {
    out->Put('[');
    AppendTime(text->t, out);
    out->Put(',');
    AppendString(text->v, out);
    out->Put(']');
  } else if (const auto* vector = std::get_if<query::Vector>(&value)) {
    AppendVector(*vector, out);
  } else if (const auto* matrix = std::get_if<query::Matrix>(&value)) {
    AppendMatrix(*matrix, out);
  }
}

void AppendStrings(const std::vector<std::string>& list, Out* out) {
  out->Put('[');
  for (size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out->Put(',');
    AppendString(list[i], out);
  }
  out->Put(']');
}

void AppendWarnings(const std::vector<std::string>& warnings, Out* out) {
  if (warnings.empty()) return;
  out->Put(",\"warnings\":");
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
  std::string body;
  Out out(&body, EstimateBytes(value));
  out.Put("{\"data\":{\"result\":");
  AppendResult(value, &out);
  out.Put(",\"resultType\":");
  AppendString(query::ValueTypeApiName(query::TypeOf(value)), &out);
  if (tier) {
    out.Put(",\"tier\":");
    AppendString(*tier, &out);
  }
  out.Put("},\"status\":\"success\"");
  AppendWarnings(warnings, &out);
  out.Put('}');
  out.Finish();
  return body;
}

std::string StringListBody(const std::vector<std::string>& data,
                           const std::vector<std::string>& warnings) {
  size_t bytes = 64;
  for (const auto& s : data) bytes += s.size() + 3;
  std::string body;
  Out out(&body, bytes);
  out.Put("{\"data\":");
  AppendStrings(data, &out);
  out.Put(",\"status\":\"success\"");
  AppendWarnings(warnings, &out);
  out.Put('}');
  out.Finish();
  return body;
}

}  // namespace tidemark::web
