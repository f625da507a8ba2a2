// Prometheus' float formatting (Go's strconv.FormatFloat(v, 'f', -1, 64), with "NaN", "+Inf"
// and "-Inf") written into a caller's buffer: the shortest fixed-notation decimal that parses back
// to exactly `v`, ties between equally short ones going to the nearer.
//
// Why not just std::to_chars: a dashboard range query answer is mostly sample values, and
// libstdc++'s to_chars took ~37 ns per value, the bulk of writing a cached answer's JSON. Zero
// and values in [2^-21, 2^53) (about 4.8e-7 to 9e15, what telemetry holds) take an exact path
// here with 128-bit integer arithmetic (under half of to_chars' time); everything else, and the
// rare exact ties, go to std::to_chars. Both give the same bytes (float_format_test.cc checks
// them against each other).
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tidemark::query {

// Enough room for any double: 5e-324 needs 2 + 323 + 1 characters, DBL_MAX 309, plus a sign.
inline constexpr size_t kMaxFloatChars = 330;

// Writes the formatting of `v` at `out`, which must have kMaxFloatChars bytes of room; returns
// the end of what was written. No terminating NUL.
char* WriteFloat(double v, char* out);

// A sample value as Prometheus' HTTP API writes it: as WriteFloat, except that a finite value
// with 0 < |v| < 1e-6 or |v| >= 1e21 is in exponent form (Go's 'e', -1: "1e-07", "1.5e+21"),
// which std::to_chars' shortest scientific form prints the same. Same room as WriteFloat.
char* WriteSampleValue(double v, char* out);

// Writes v in decimal ("-" and digits) at `out`, which must have 24 bytes of room; returns the
// end. As std::to_chars, faster for the 10-digit Unix times of query results.
char* WriteInteger(int64_t v, char* out);

}  // namespace tidemark::query
