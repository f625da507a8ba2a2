// What every payload decoder produces: a WriteBatch of the samples it understood, plus one
// Rejected entry (with a reason code for metrics, a message for people and the raw input,
// truncated) for each line or record it could not use. A decoder never fails as a whole: the good
// parts of a payload are always kept. Value types; no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/labels.h"
#include "storage/write_batch.h"

namespace tidemark::server::ingest {

struct Rejected {
  size_t position = 0;  // 1-based line number, or record index, within the payload
  std::string reason;   // short stable code, e.g. "invalid_field_value", for metrics
  std::string message;  // one human sentence
  std::string raw;      // the offending input, at most kMaxRawBytes
};

inline constexpr size_t kMaxRawBytes = 512;

// Rejections kept in detail per payload; later ones are only counted, so a body of nothing but
// bad lines costs a bounded amount of memory.
inline constexpr size_t kMaxRejectedKept = 100;

struct DecodeOutput {
  storage::WriteBatch batch;
  std::vector<Rejected> rejected;    // the first kMaxRejectedKept rejections
  size_t rejected_total = 0;         // every rejection, kept or not
  size_t skipped_string_fields = 0;  // line-protocol string fields, which carry no sample

  void Reject(size_t position, std::string reason, std::string message, std::string_view raw);
};

// A key quoted in a message, cut so that messages stay short whatever the client sent.
std::string QuoteKey(std::string_view key);

// Limits every decoder enforces per series it emits.
struct DecodeLimits {
  size_t max_line_bytes = 64 << 10;
  size_t max_labels_per_series = 64;
  size_t max_label_name_bytes = 256;
  size_t max_label_value_bytes = 4096;
};

// An optional accelerator for decoders whose input names a series by stable raw text (line
// protocol's "measurement,tags" plus a field): it maps that text to the store's SeriesRef, so a
// known series skips tag parsing, label building, validation and hashing. Implementations must be
// thread-safe; a decoder works the same (only slower) without one.
class SeriesResolver {
 public:
  virtual ~SeriesResolver() = default;
  // The ref remembered for `key`, or 0.
  virtual storage::SeriesRef Lookup(std::string_view key) = 0;
  // Resolves valid `labels` to a ref and remembers it under `key`; 0 when it cannot.
  virtual storage::SeriesRef Learn(std::string_view key, const storage::Labels& labels) = 0;
  // The refs of several fields of one series, keys being "<series_key>\0<field>": fills `refs`
  // and returns true only when all are known. Implementations may do it in one step.
  virtual bool LookupFields(std::string_view series_key,
                            const std::vector<std::string_view>& fields, storage::SeriesRef* refs);
};

// Calls `fn(line_number, line)` for every line of a line-oriented payload (line protocol,
// Prometheus text) that carries data: a trailing '\r' and leading blanks are removed, blank lines
// and '#' comments skipped, and lines longer than limits.max_line_bytes rejected into `out`.
// Line numbers are 1-based. A template so the per-line call inlines on the ingest hot path.
template <typename LineFn>
void ForEachDataLine(std::string_view payload, const DecodeLimits& limits, DecodeOutput* out,
                     LineFn&& fn) {
  size_t line_number = 0;
  size_t start = 0;
  while (start < payload.size()) {
    size_t end = payload.find('\n', start);
    if (end == std::string_view::npos) end = payload.size();
    std::string_view line = payload.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    if (line.size() > limits.max_line_bytes) {
      out->Reject(line_number, "line_too_long",
                  "line is longer than " + std::to_string(limits.max_line_bytes) + " bytes", line);
      continue;
    }
    fn(line_number, line);
  }
}

// Prometheus-compatible names: a metric name keeps [a-zA-Z0-9_:], a label name [a-zA-Z0-9_];
// any other character becomes '_', and a leading digit gets a '_' prefix.
std::string SanitizeMetricName(std::string_view name);
std::string SanitizeLabelName(std::string_view name);

// Why a series cannot be stored: reason code and message; both empty when it is fine.
struct SeriesProblem {
  std::string reason;
  std::string message;
  bool ok() const { return reason.empty(); }
};

// Checks label count, name and value sizes against `limits`, and that values are valid UTF-8.
SeriesProblem CheckSeries(const storage::Labels& labels, const DecodeLimits& limits);

bool IsValidUtf8(std::string_view text);

}  // namespace tidemark::server::ingest
