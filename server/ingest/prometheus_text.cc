#include "server/ingest/prometheus_text.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace tidemark::server::ingest {
namespace {

bool IsNameStart(char c, bool colon) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || (colon && c == ':');
}
bool IsNameChar(char c, bool colon) {
  return IsNameStart(c, colon) || std::isdigit(static_cast<unsigned char>(c));
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

class SampleLineParser {
 public:
  explicit SampleLineParser(std::string_view line) : line_(line) {}

  // On failure `error` holds {reason, message}.
  bool Parse(std::vector<storage::Label>* labels, double* value, std::optional<int64_t>* timestamp,
             SeriesProblem* error);

 private:
  bool AtEnd() const { return pos_ >= line_.size(); }
  void SkipSpaces() {
    while (!AtEnd() && (line_[pos_] == ' ' || line_[pos_] == '\t')) ++pos_;
  }
  std::string Name(bool colon) {
    const size_t start = pos_;
    if (AtEnd() || !IsNameStart(line_[pos_], colon)) return "";
    while (!AtEnd() && IsNameChar(line_[pos_], colon)) ++pos_;
    return std::string(line_.substr(start, pos_ - start));
  }
  bool QuotedValue(std::string* out);
  bool LabelSet(std::vector<storage::Label>* labels, SeriesProblem* error);
  std::string_view Word() {
    const size_t start = pos_;
    while (!AtEnd() && line_[pos_] != ' ' && line_[pos_] != '\t') ++pos_;
    return line_.substr(start, pos_ - start);
  }

  std::string_view line_;
  size_t pos_ = 0;
};

bool SampleLineParser::QuotedValue(std::string* out) {
  if (AtEnd() || line_[pos_] != '"') return false;
  ++pos_;
  while (!AtEnd()) {
    const char c = line_[pos_++];
    if (c == '"') return true;
    if (c != '\\') {
      *out += c;
      continue;
    }
    if (AtEnd()) return false;
    const char escaped = line_[pos_++];
    if (escaped == 'n')
      *out += '\n';
    else if (escaped == '\\' || escaped == '"')
      *out += escaped;
    else
      return false;
  }
  return false;
}

bool SampleLineParser::LabelSet(std::vector<storage::Label>* labels, SeriesProblem* error) {
  ++pos_;  // '{'
  while (true) {
    SkipSpaces();
    if (!AtEnd() && line_[pos_] == '}') {
      ++pos_;
      return true;
    }
    std::string name = Name(/*colon=*/false);
    SkipSpaces();
    if (name.empty() || AtEnd() || line_[pos_] != '=') {
      *error = {"invalid_label", "expected label name followed by ="};
      return false;
    }
    ++pos_;
    SkipSpaces();
    std::string value;
    if (!QuotedValue(&value)) {
      *error = {"invalid_label", "label \"" + name + "\" needs a double-quoted value"};
      return false;
    }
    labels->push_back({std::move(name), std::move(value)});
    SkipSpaces();
    if (!AtEnd() && line_[pos_] == ',') {
      ++pos_;
    } else if (AtEnd() || line_[pos_] != '}') {
      *error = {"invalid_label", "expected , or } after a label"};
      return false;
    }
  }
}

bool SampleLineParser::Parse(std::vector<storage::Label>* labels, double* value,
                             std::optional<int64_t>* timestamp, SeriesProblem* error) {
  std::string name = Name(/*colon=*/true);
  if (name.empty()) {
    *error = {"invalid_metric_name", "line does not start with a valid metric name"};
    return false;
  }
  labels->push_back({std::string(storage::kMetricNameLabel), std::move(name)});
  SkipSpaces();
  if (!AtEnd() && line_[pos_] == '{' && !LabelSet(labels, error)) return false;
  SkipSpaces();
  const std::string_view value_text = Word();
  if (!ParsePrometheusValue(value_text, value)) {
    *error = {"invalid_value",
              "invalid sample value \"" + std::string(value_text.substr(0, 64)) + "\""};
    return false;
  }
  SkipSpaces();
  if (AtEnd()) return true;
  const std::string_view ts_text = Word();
  int64_t ts = 0;
  auto [end, ec] = std::from_chars(ts_text.data(), ts_text.data() + ts_text.size(), ts);
  if (ec != std::errc() || end != ts_text.data() + ts_text.size()) {
    *error = {"invalid_timestamp",
              "invalid timestamp \"" + std::string(ts_text.substr(0, 64)) + "\""};
    return false;
  }
  SkipSpaces();
  if (!AtEnd()) {
    *error = {"invalid_line", "unexpected text after the timestamp"};
    return false;
  }
  *timestamp = ts;
  return true;
}

}  // namespace

bool ParsePrometheusValue(std::string_view text, double* value) {
  if (EqualsIgnoreCase(text, "nan")) return *value = std::numeric_limits<double>::quiet_NaN(), true;
  if (EqualsIgnoreCase(text, "+inf") || EqualsIgnoreCase(text, "inf")) {
    return *value = std::numeric_limits<double>::infinity(), true;
  }
  if (EqualsIgnoreCase(text, "-inf"))
    return *value = -std::numeric_limits<double>::infinity(), true;
  if (text.empty()) return false;
  if (text[0] == '+') text.remove_prefix(1);
  if (text.empty() ||
      !(std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '-' || text[0] == '.')) {
    return false;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size();
}

void DecodePrometheusText(std::string_view payload, int64_t now_ms, const DecodeLimits& limits,
                          DecodeOutput* out) {
  ForEachDataLine(payload, limits, out, [&](size_t line_number, std::string_view line) {
    std::vector<storage::Label> labels;
    double value = 0;
    std::optional<int64_t> timestamp;
    SeriesProblem error;
    if (!SampleLineParser(line).Parse(&labels, &value, &timestamp, &error)) {
      out->Reject(line_number, error.reason, error.message, line);
      return;
    }
    storage::Labels series(std::move(labels));
    if (SeriesProblem problem = CheckSeries(series, limits); !problem.ok()) {
      out->Reject(line_number, problem.reason, problem.message, line);
      return;
    }
    out->batch.Add(series, timestamp.value_or(now_ms), value);
  });
}

}  // namespace tidemark::server::ingest
