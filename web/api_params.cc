#include "web/api_params.h"

#include <charconv>
#include <cmath>

#include "query/parser.h"
#include "storage/base/time_parse.h"

namespace tidemark::web {

base::Result<int64_t> ParseTime(std::string_view text) {
  double seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (!text.empty() && ec == std::errc() && end == text.data() + text.size() &&
      std::isfinite(seconds)) {
    // Within ±2^62 ms (about 146 million years), so differences of two times cannot overflow.
    constexpr double kLimitSeconds = 4.611686018427388e15;
    if (std::fabs(seconds) > kLimitSeconds) {
      return base::Status::InvalidArgument("cannot parse \"" + std::string(text) +
                                           "\" to a valid timestamp: out of range");
    }
    return static_cast<int64_t>(std::llround(seconds * 1000.0));
  }
  auto parsed = base::ParseRfc3339(text);
  if (parsed.ok()) return parsed;
  return base::Status::InvalidArgument("cannot parse \"" + std::string(text) +
                                       "\" to a valid timestamp");
}

std::vector<std::string> ParamValues(const Params& params, std::string_view name) {
  std::vector<std::string> values;
  for (const auto& [key, value] : params) {
    if (key == name) values.push_back(value);
  }
  return values;
}

std::string ParamValue(const Params& params, std::string_view name) {
  std::string found;
  for (const auto& [key, value] : params) {
    if (key == name) found = value;
  }
  return found;
}

base::Result<std::vector<std::vector<storage::Matcher>>> ParseSelectors(
    const std::vector<std::string>& selectors) {
  std::vector<std::vector<storage::Matcher>> sets;
  for (const std::string& text : selectors) {
    auto matchers = query::ParseMetricSelector(text);
    if (!matchers.ok()) return matchers.status();
    sets.push_back(std::move(matchers).value());
  }
  return sets;
}

bool HasNonEmptyMatcher(const std::vector<storage::Matcher>& matchers) {
  for (const auto& matcher : matchers) {
    if (!matcher.MatchesEmpty()) return true;
  }
  return false;
}

}  // namespace tidemark::web
