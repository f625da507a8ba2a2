// Number and time formatting the way Prometheus (Go) prints them, so alert texts and API values
// read the same as Prometheus': Go's %v and 'e' float forms, the humanize* template helpers and
// RFC 3339 timestamps. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace tidemark::server::alerting {

// Go's fmt %v of a float64 (strconv 'g', shortest): "21.5", "1e+06", "NaN", "+Inf".
std::string GoFloatV(double v);
// Go's strconv.FormatFloat(v, 'e', -1, 64): "7.2e-01", "0e+00".
std::string GoFloatE(double v);
// C-style "%.4g" with Go's spellings of NaN and infinities.
std::string GoFloat4g(double v);

// Prometheus' template helpers.
std::string Humanize(double v);
std::string Humanize1024(double v);
std::string HumanizeDuration(double seconds);
std::string HumanizePercentage(double ratio);
// Go's time.Time.String() in UTC, e.g. "2015-09-10 15:48:38.5 +0000 UTC".
std::string HumanizeTimestamp(double unix_seconds);

// Go's url.QueryEscape: space as '+', everything but [A-Za-z0-9-_.~] percent-encoded.
std::string UrlQueryEscape(const std::string& s);

// Go's url.QueryEscape: space as '+', everything but [A-Za-z0-9-_.~] percent-encoded.
std::string UrlQueryEscape(const std::string& s);

// RFC 3339 in UTC with `fraction_digits` (0..9) digits of fractional seconds, trailing zeros kept
// when `fixed`, trimmed (Go's RFC3339Nano) otherwise: "2024-05-01T15:40:30.123Z".
std::string Rfc3339(int64_t unix_ms, int fraction_digits = 3, bool fixed = true);

}  // namespace tidemark::server::alerting
