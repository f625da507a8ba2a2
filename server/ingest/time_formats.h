// Timestamp parsing for JSON payloads: epoch numbers in s/ms/us/ns (or guessed from magnitude),
// RFC 3339 ("2020-09-24T04:18:00.5+02:00"), and simple layouts such as "YYYY-MM-DD HH:MM".
// All results are milliseconds since the Unix epoch, UTC. RFC 3339 parsing itself lives in
// storage/base/time_parse.h (shared with the HTTP API). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "storage/base/status.h"
#include "storage/base/time_parse.h"

namespace tidemark::server::ingest {

enum class EpochUnit { kAuto, kSeconds, kMilliseconds, kMicroseconds, kNanoseconds };

// Converts an epoch number to ms. kAuto picks the unit from the magnitude: below 1e11 seconds,
// below 1e14 milliseconds, below 1e17 microseconds, else nanoseconds (covers years 1973–5138).
std::optional<int64_t> EpochToMillis(double value, EpochUnit unit);

// Layout tokens: YYYY, MM (month; minutes when it follows HH), DD, HH, SS, and .fff (fraction);
// other characters must match literally. The time is read as UTC.
base::Result<int64_t> ParseLayout(std::string_view text, std::string_view layout);

}  // namespace tidemark::server::ingest
