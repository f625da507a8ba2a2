// Parameter parsing shared by the HTTP API handlers, with Prometheus' semantics: times are float
// seconds or RFC 3339; `match[]` selectors are PromQL series selectors. Errors carry the message
// the API returns after `invalid parameter "<name>": `. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/base/status.h"
#include "storage/matcher.h"
#include "web/http_types.h"

namespace tidemark::web {

// A float number of seconds (rounded to ms) or an RFC 3339 time; returns milliseconds.
base::Result<int64_t> ParseTime(std::string_view text);

// Every value of a repeated parameter, e.g. all "match[]".
std::vector<std::string> ParamValues(const Params& params, std::string_view name);
// The last value of a parameter, or "" (body values come last, so they win, as in Go's r.Form).
std::string ParamValue(const Params& params, std::string_view name);

// Parses series selectors such as `up{job="api"}` or `{__name__=~"cpu_.*"}` into matcher sets.
base::Result<std::vector<std::vector<storage::Matcher>>> ParseSelectors(
    const std::vector<std::string>& selectors);

// False when every matcher accepts the empty string (`{job=""}`): such a set would select every
// series, which the API refuses ("match[] must contain at least one non-empty matcher").
bool HasNonEmptyMatcher(const std::vector<storage::Matcher>& matchers);

}  // namespace tidemark::web
