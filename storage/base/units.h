// Parsing and formatting of durations ("1h30m", "500ms", Prometheus' syntax) and byte sizes
// ("64MiB", "1GB", "4096"). Shared by configuration and PromQL. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/base/status.h"

namespace tidemark::base {

// Parses a Prometheus duration: one or more <integer><unit> terms in decreasing unit order, units
// y (365d), w, d, h, m, s, ms. "0" alone is zero. Returns milliseconds.
Result<int64_t> ParseDuration(std::string_view text);

// Formats milliseconds the way Prometheus prints durations: "1h30m", "500ms", "0s".
std::string FormatDuration(int64_t millis);

// Parses a byte size: a plain integer, or an integer with B, KB, MB, GB, TB (powers of 1000) or
// KiB, MiB, GiB, TiB (powers of 1024).
Result<uint64_t> ParseByteSize(std::string_view text);

}  // namespace tidemark::base
