#include "server/ingest/line_protocol.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace tidemark::server::ingest {
namespace {

// A parse failure inside one line: the reason code and message for the dead letter.
struct LineError {
  std::string reason;
  std::string message;
};

struct Field {
  std::string key;
  enum class Kind { kNumber, kString } kind;
  double value;
};

struct ParsedLine {
  std::string measurement;
  std::vector<storage::Label> tags;
  std::vector<Field> fields;
  std::optional<int64_t> timestamp;
};

// A set of bytes tested with one table lookup: Token's stop and escape sets are checked for every
// character of a line, and std::string_view::find there cost a memchr call per character.
class CharSet {
 public:
  constexpr explicit CharSet(std::string_view chars) {
    for (char c : chars) bits_[static_cast<unsigned char>(c)] = true;
  }
  constexpr bool contains(char c) const { return bits_[static_cast<unsigned char>(c)]; }

 private:
  bool bits_[256] = {};
};

constexpr CharSet kMeasurementStops(", ");
constexpr CharSet kMeasurementEscapes(", \\");
constexpr CharSet kKeyStops("=, ");
constexpr CharSet kTagEscapes(",= \\");
constexpr CharSet kTagValueStops(", ");
constexpr CharSet kStringStops("\"");
constexpr CharSet kStringEscapes("\"\\");

// Cursor over one line. `Token` reads up to an unescaped stop character, resolving the escapes
// that are legal at that position.
class LineParser {
 public:
  explicit LineParser(std::string_view line) : line_(line) {}

  bool Parse(ParsedLine* out, LineError* error);

 private:
  bool AtEnd() const { return pos_ >= line_.size(); }
  char Peek() const { return line_[pos_]; }
  std::string Token(const CharSet& stops, const CharSet& escapable);
  bool ParseTags(ParsedLine* out, LineError* error);
  bool ParseFields(ParsedLine* out, LineError* error);
  bool ParseFieldValue(const std::string& key, ParsedLine* out, LineError* error);
  bool ParseTimestamp(ParsedLine* out, LineError* error);
  void SkipSpaces() {
    while (!AtEnd() && Peek() == ' ') ++pos_;
  }

  std::string_view line_;
  size_t pos_ = 0;
};

std::string LineParser::Token(const CharSet& stops, const CharSet& escapable) {
  // Fast path: up to the first stop or backslash in one copy; escapes (rare) go char by char.
  const size_t start = pos_;
  while (!AtEnd() && Peek() != '\\' && !stops.contains(Peek())) ++pos_;
  std::string token(line_.substr(start, pos_ - start));
  while (!AtEnd()) {
    const char c = Peek();
    if (c == '\\' && pos_ + 1 < line_.size() && escapable.contains(line_[pos_ + 1])) {
      token += line_[pos_ + 1];
      pos_ += 2;
      continue;
    }
    if (stops.contains(c)) break;
    token += c;
    ++pos_;
  }
  return token;
}

bool LineParser::Parse(ParsedLine* out, LineError* error) {
  out->measurement = Token(kMeasurementStops, kMeasurementEscapes);
  if (out->measurement.empty()) {
    *error = {"invalid_line", "missing measurement"};
    return false;
  }
  if (!ParseTags(out, error)) return false;
  if (AtEnd() || Peek() != ' ') {
    *error = {"invalid_line", "missing fields after measurement and tags"};
    return false;
  }
  SkipSpaces();
  if (!ParseFields(out, error)) return false;
  SkipSpaces();
  return ParseTimestamp(out, error);
}

bool LineParser::ParseTags(ParsedLine* out, LineError* error) {
  while (!AtEnd() && Peek() == ',') {
    ++pos_;
    std::string key = Token(kKeyStops, kTagEscapes);
    if (AtEnd() || Peek() != '=' || key.empty()) {
      *error = {"invalid_tag", "tag without key=value near " + QuoteKey(key)};
      return false;
    }
    ++pos_;
    std::string value = Token(kTagValueStops, kTagEscapes);
    if (value.empty()) {
      *error = {"invalid_tag", "tag " + QuoteKey(key) + " has an empty value"};
      return false;
    }
    out->tags.push_back({SanitizeLabelName(key), std::move(value)});
  }
  return true;
}

bool LineParser::ParseFields(ParsedLine* out, LineError* error) {
  while (true) {
    std::string key = Token(kKeyStops, kTagEscapes);
    if (AtEnd() || Peek() != '=' || key.empty()) {
      *error = {"invalid_field",
                key.empty() ? "missing field" : "field " + QuoteKey(key) + " has no value"};
      return false;
    }
    ++pos_;
    if (!ParseFieldValue(key, out, error)) return false;
    if (AtEnd() || Peek() == ' ') return true;
    if (Peek() != ',') {
      *error = {"invalid_field", "unexpected character after field " + QuoteKey(key)};
      return false;
    }
    ++pos_;
  }
}

// Parses "[-]digits[.digits]" with at most 15 digits, giving exactly what from_chars gives: the
// digits are an integer below 2^53 and 10^k (k <= 15) is a double, both exact, so one correctly
// rounded division is the correctly rounded value. False for any other shape (from_chars
// decides those); most telemetry values have this shape, and this is several times faster.
bool ParsePlainDecimal(std::string_view text, double* value) {
  static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  const bool negative = !text.empty() && text[0] == '-';
  uint64_t mantissa = 0;
  int digits = 0;
  int fraction = -1;  // digits after the point; -1 before one is seen
  for (size_t i = negative ? 1 : 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      if (++digits > 15) return false;
      mantissa = mantissa * 10 + static_cast<uint64_t>(c - '0');
      if (fraction >= 0) ++fraction;
    } else if (c == '.' && fraction < 0 && digits > 0) {
      fraction = 0;
    } else {
      return false;
    }
  }
  if (digits == 0 || fraction == 0) return false;
  const double magnitude = static_cast<double>(mantissa) / kPow10[fraction < 0 ? 0 : fraction];
  *value = negative ? -magnitude : magnitude;
  return true;
}

// from_chars for int64, with a plain loop for up to 19 digits (nanosecond timestamps have 19):
// they fit a uint64 without overflow, and the range check is the sign's limit.
bool ParseInt64(std::string_view text, int64_t* out) {
  const bool negative = !text.empty() && text[0] == '-';
  const std::string_view digits = text.substr(negative ? 1 : 0);
  bool plain = !digits.empty() && digits.size() <= 19;
  uint64_t v = 0;
  for (size_t i = 0; plain && i < digits.size(); ++i) {
    const char c = digits[i];
    plain = c >= '0' && c <= '9';
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  constexpr uint64_t kMaxMagnitude = uint64_t{1} << 63;  // |INT64_MIN|; INT64_MAX is one less
  if (plain && v <= kMaxMagnitude - (negative ? 0 : 1)) {
    *out = negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
    return true;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool ParseNumber(std::string_view text, double* value) {
  if (text.empty()) return false;
  const char first = text[0];
  // from_chars also takes "inf" and "nan", which line protocol does not allow.
  if (!(std::isdigit(static_cast<unsigned char>(first)) || first == '-' || first == '+' ||
        first == '.')) {
    return false;
  }
  if (first == '+') text.remove_prefix(1);
  if (ParsePlainDecimal(text, value)) return true;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size() && std::isfinite(*value);
}

template <typename Int>
bool ParseInteger(std::string_view text, double* value) {
  Int parsed{};
  bool ok;
  if constexpr (std::is_same_v<Int, int64_t>) {
    ok = ParseInt64(text, &parsed);
  } else {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    ok = ec == std::errc() && end == text.data() + text.size() && !text.empty();
  }
  if (!ok) return false;
  *value = static_cast<double>(parsed);
  return true;
}

bool ParseBool(std::string_view text, double* value) {
  for (std::string_view t : {"t", "T", "true", "True", "TRUE"}) {
    if (text == t) return *value = 1, true;
  }
  for (std::string_view f : {"f", "F", "false", "False", "FALSE"}) {
    if (text == f) return *value = 0, true;
  }
  return false;
}

// A numeric or boolean field value: "12i" (int), "12u" (unsigned), a float, or a boolean.
bool ParseFieldNumber(std::string_view text, double* value) {
  if (!text.empty() && text.back() == 'i') {
    return ParseInteger<int64_t>(text.substr(0, text.size() - 1), value);
  }
  if (!text.empty() && text.back() == 'u') {
    return ParseInteger<uint64_t>(text.substr(0, text.size() - 1), value);
  }
  return ParseNumber(text, value) || ParseBool(text, value);
}

bool LineParser::ParseFieldValue(const std::string& key, ParsedLine* out, LineError* error) {
  if (!AtEnd() && Peek() == '"') {
    ++pos_;
    Token(kStringStops, kStringEscapes);
    if (AtEnd()) {
      *error = {"invalid_field_value", "unterminated string in field " + QuoteKey(key)};
      return false;
    }
    ++pos_;  // closing quote
    out->fields.push_back({key, Field::Kind::kString, 0});
    return true;
  }
  const size_t start = pos_;
  while (!AtEnd() && Peek() != ',' && Peek() != ' ') ++pos_;
  const std::string_view text = line_.substr(start, pos_ - start);
  double value = 0;
  if (!ParseFieldNumber(text, &value)) {
    *error = {"invalid_field_value", "field " + QuoteKey(key) + " has an invalid value \"" +
                                         std::string(text.substr(0, 64)) + "\""};
    return false;
  }
  out->fields.push_back({key, Field::Kind::kNumber, value});
  return true;
}

bool LineParser::ParseTimestamp(ParsedLine* out, LineError* error) {
  if (AtEnd()) return true;
  const size_t start = pos_;
  while (!AtEnd() && Peek() != ' ') ++pos_;
  const std::string_view text = line_.substr(start, pos_ - start);
  int64_t timestamp = 0;
  if (!ParseInt64(text, &timestamp)) {
    *error = {"invalid_timestamp", "invalid timestamp \"" + std::string(text.substr(0, 64)) + "\""};
    return false;
  }
  SkipSpaces();
  if (!AtEnd()) {
    *error = {"invalid_line", "unexpected text after the timestamp"};
    return false;
  }
  out->timestamp = timestamp;
  return true;
}

// Converts a timestamp in `precision` units to milliseconds, rounding toward negative infinity;
// false on overflow.
bool ToMillis(int64_t value, Precision precision, int64_t* ms) {
  auto floor_div = [](int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
  };
  auto mul = [&](int64_t factor) {
    if (value > std::numeric_limits<int64_t>::max() / factor ||
        value < std::numeric_limits<int64_t>::min() / factor) {
      return false;
    }
    *ms = value * factor;
    return true;
  };
  switch (precision) {
    case Precision::kNanoseconds:
      *ms = floor_div(value, 1'000'000);
      return true;
    case Precision::kMicroseconds:
      *ms = floor_div(value, 1'000);
      return true;
    case Precision::kMilliseconds:
      *ms = value;
      return true;
    case Precision::kSeconds:
      return mul(1000);
    case Precision::kMinutes:
      return mul(60'000);
    case Precision::kHours:
      return mul(3'600'000);
  }
  return false;
}

// The raw "measurement,tags" prefix of a line: up to the first unescaped space.
std::string_view SeriesKey(std::string_view line) {
  const std::string_view upto_space = line.substr(0, line.find(' '));
  if (upto_space.find('\\') == std::string_view::npos) return upto_space;  // no escapes
  size_t i = 0;
  while (i < line.size() && line[i] != ' ') i += line[i] == '\\' ? 2 : 1;
  return line.substr(0, std::min(i, line.size()));
}

// The resolver key of one field of a series: "<series key>\0<field>".
std::string_view FieldKey(std::string_view series_key, std::string_view field,
                          std::string* buffer) {
  buffer->assign(series_key);
  buffer->push_back('\0');
  buffer->append(field);
  return *buffer;
}

void EmitLine(const ParsedLine& line, int64_t t, size_t position, std::string_view raw,
              const DecodeLimits& limits, SeriesResolver* resolver, DecodeOutput* out) {
  const std::string prefix = SanitizeMetricName(line.measurement) + "_";
  std::string key_buffer;
  for (const Field& field : line.fields) {
    if (field.kind == Field::Kind::kString) {
      ++out->skipped_string_fields;
      continue;
    }
    std::vector<storage::Label> labels = line.tags;
    labels.push_back(
        {std::string(storage::kMetricNameLabel), prefix + SanitizeLabelName(field.key)});
    storage::Labels series(std::move(labels));
    if (SeriesProblem problem = CheckSeries(series, limits); !problem.ok()) {
      out->Reject(position, problem.reason, problem.message, raw);
      return;
    }
    const storage::SeriesRef ref =
        resolver ? resolver->Learn(FieldKey(SeriesKey(raw), field.key, &key_buffer), series) : 0;
    if (ref != 0) {
      out->batch.Add(ref, t, field.value);
    } else {
      out->batch.Add(series, t, field.value);
    }
  }
}

// A field of a line on the fast path: the key is a view into the line.
struct FastField {
  std::string_view key;
  bool is_string;
  double value;
};

// Parses the fields and timestamp of `line` from `pos` (just past the series key) exactly as
// LineParser does, for text without backslashes (escapes are left to LineParser), without
// copying keys. False when LineParser must decide (it also words the error).
bool ScanFieldsAndTimestamp(std::string_view line, size_t pos, std::vector<FastField>* fields,
                            std::optional<int64_t>* timestamp) {
  const size_t n = line.size();
  auto skip_spaces = [&] {
    while (pos < n && line[pos] == ' ') ++pos;
  };
  skip_spaces();
  while (true) {
    const size_t key_start = pos;
    while (pos < n && !kKeyStops.contains(line[pos])) ++pos;
    if (pos == key_start || pos >= n || line[pos] != '=') return false;
    const std::string_view key = line.substr(key_start, pos - key_start);
    ++pos;
    if (pos < n && line[pos] == '"') {
      const size_t close = line.find('"', pos + 1);
      if (close == std::string_view::npos) return false;
      fields->push_back({key, true, 0});
      pos = close + 1;
    } else {
      const size_t value_start = pos;
      while (pos < n && line[pos] != ',' && line[pos] != ' ') ++pos;
      double value;
      if (!ParseFieldNumber(line.substr(value_start, pos - value_start), &value)) return false;
      fields->push_back({key, false, value});
    }
    if (pos >= n || line[pos] == ' ') break;
    if (line[pos] != ',') return false;
    ++pos;
  }
  skip_spaces();
  if (pos >= n) return true;
  const size_t start = pos;
  while (pos < n && line[pos] != ' ') ++pos;
  int64_t t;
  if (!ParseInt64(line.substr(start, pos - start), &t)) return false;
  skip_spaces();
  if (pos < n) return false;
  *timestamp = t;
  return true;
}

// Fast path for a line whose every numeric field is a series the resolver knows: parses only the
// fields and timestamp. False (having added nothing) when the slow path must run.
bool TryKnownSeries(std::string_view line, Precision precision, int64_t now_ms,
                    SeriesResolver* resolver, DecodeOutput* out) {
  const std::string_view series_key = SeriesKey(line);
  if (series_key.size() >= line.size()) return false;
  if (line.find('\\', series_key.size()) != std::string_view::npos) return false;
  thread_local std::vector<FastField> fields;  // reused: no allocation per line
  thread_local std::vector<std::string_view> keys;
  thread_local std::vector<storage::SeriesRef> refs;
  fields.clear();
  std::optional<int64_t> timestamp;
  if (!ScanFieldsAndTimestamp(line, series_key.size(), &fields, &timestamp)) return false;
  keys.clear();
  for (const FastField& field : fields) {
    if (!field.is_string) keys.push_back(field.key);
  }
  refs.resize(keys.size());
  if (!resolver->LookupFields(series_key, keys, refs.data())) return false;
  int64_t t = now_ms;
  if (timestamp && !ToMillis(*timestamp, precision, &t)) return false;
  size_t next = 0;
  for (const FastField& field : fields) {
    if (field.is_string) {
      ++out->skipped_string_fields;
    } else {
      out->batch.Add(refs[next++], t, field.value);
    }
  }
  return true;
}

}  // namespace

std::optional<Precision> ParsePrecision(std::string_view text) {
  if (text.empty() || text == "n" || text == "ns") return Precision::kNanoseconds;
  if (text == "u" || text == "us" || text == "\xC2\xB5") return Precision::kMicroseconds;
  if (text == "ms") return Precision::kMilliseconds;
  if (text == "s") return Precision::kSeconds;
  if (text == "m") return Precision::kMinutes;
  if (text == "h") return Precision::kHours;
  return std::nullopt;
}

void DecodeLineProtocol(std::string_view payload, Precision precision, int64_t now_ms,
                        const DecodeLimits& limits, DecodeOutput* out, SeriesResolver* resolver) {
  ForEachDataLine(payload, limits, out, [&](size_t line_number, std::string_view line) {
    if (resolver != nullptr && TryKnownSeries(line, precision, now_ms, resolver, out)) return;
    ParsedLine parsed;
    LineError error;
    if (!LineParser(line).Parse(&parsed, &error)) {
      out->Reject(line_number, error.reason, error.message, line);
      return;
    }
    int64_t t = now_ms;
    if (parsed.timestamp && !ToMillis(*parsed.timestamp, precision, &t)) {
      out->Reject(line_number, "invalid_timestamp", "timestamp out of range", line);
      return;
    }
    EmitLine(parsed, t, line_number, line, limits, resolver, out);
  });
}

}  // namespace tidemark::server::ingest
