// Calendar time parsing shared by ingest and the HTTP API: RFC 3339 timestamps and the civil
// date arithmetic beneath them. Results are milliseconds since the Unix epoch, UTC.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "storage/base/status.h"

namespace tidemark::base {

// "2020-09-24T04:18:00Z", "2020-09-24T06:18:00.25+02:00" (fractions below 1 ms are truncated).
Result<int64_t> ParseRfc3339(std::string_view text);

// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);

// Milliseconds since the epoch of a UTC civil time; InvalidArgument when a field is out of range
// (February 29 only in leap years). `context` names the input in the message.
Result<int64_t> CivilToMillis(int64_t year, int64_t month, int64_t day, int64_t hour,
                              int64_t minute, int64_t second, int64_t millis,
                              std::string_view context);

// Reads exactly `count` digits at `*pos` of `text`, advancing `*pos`.
bool ReadFixedDigits(std::string_view text, size_t* pos, size_t count, int64_t* value);
// Reads an optional ".123456" fraction at `*pos` as milliseconds (truncated).
bool ReadMillisFraction(std::string_view text, size_t* pos, int64_t* millis);

}  // namespace tidemark::base
