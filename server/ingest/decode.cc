#include "server/ingest/decode.h"

#include <cctype>

namespace tidemark::server::ingest {
namespace {

std::string Sanitize(std::string_view name, bool allow_colon) {
  std::string out;
  out.reserve(name.size() + 1);
  for (char c : name) {
    const bool ok =
        std::isalnum(static_cast<unsigned char>(c)) || c == '_' || (allow_colon && c == ':');
    out += ok ? c : '_';
  }
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out.insert(0, "_");
  return out;
}

}  // namespace

void DecodeOutput::Reject(size_t position, std::string reason, std::string message,
                          std::string_view raw) {
  ++rejected_total;
  if (rejected.size() >= kMaxRejectedKept) return;
  rejected.push_back(
      {position, std::move(reason), std::move(message), std::string(raw.substr(0, kMaxRawBytes))});
}

std::string QuoteKey(std::string_view key) {
  constexpr size_t kShown = 64;
  if (key.size() <= kShown) return "\"" + std::string(key) + "\"";
  return "\"" + std::string(key.substr(0, kShown)) + "...\"";
}

bool SeriesResolver::LookupFields(std::string_view series_key,
                                  const std::vector<std::string_view>& fields,
                                  storage::SeriesRef* refs) {
  std::string key;
  for (size_t i = 0; i < fields.size(); ++i) {
    key.assign(series_key);
    key.push_back('\0');
    key.append(fields[i]);
    refs[i] = Lookup(key);
    if (refs[i] == 0) return false;
  }
  return true;
}

std::string SanitizeMetricName(std::string_view name) { return Sanitize(name, true); }

std::string SanitizeLabelName(std::string_view name) { return Sanitize(name, false); }

SeriesProblem CheckSeries(const storage::Labels& labels, const DecodeLimits& limits) {
  if (labels.size() > limits.max_labels_per_series) {
    return {"too_many_labels", "series has " + std::to_string(labels.size()) +
                                   " labels, more than the limit of " +
                                   std::to_string(limits.max_labels_per_series)};
  }
  for (const auto& label : labels) {
    if (label.name.size() > limits.max_label_name_bytes) {
      return {"label_name_too_long", "label name \"" + label.name.substr(0, 64) +
                                         "...\" is longer than " +
                                         std::to_string(limits.max_label_name_bytes) + " bytes"};
    }
    if (label.value.size() > limits.max_label_value_bytes) {
      return {"label_value_too_long", "value of label \"" + label.name + "\" is longer than " +
                                          std::to_string(limits.max_label_value_bytes) + " bytes"};
    }
    if (!IsValidUtf8(label.value)) {
      return {"invalid_utf8", "value of label \"" + label.name + "\" is not valid UTF-8"};
    }
  }
  return {};
}

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t extra;
    uint32_t code;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      code = (code << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid.
    static constexpr uint32_t kMinForLength[] = {0, 0x80, 0x800, 0x10000};
    if (code < kMinForLength[extra] || (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

}  // namespace tidemark::server::ingest
