// Matcher: one label selector of a PromQL vector selector — `=`, `!=`, `=~`, `!~`.
//
// Prometheus semantics: regexes use RE2 syntax and are fully anchored (`=~"a|b"` means
// `^(?:a|b)$`, and `.` also matches a newline); a matcher on a label the series does not have
// compares against the empty string. Immutable after Make(); safe to share between threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/base/status.h"
#include "storage/labels.h"

namespace re2 {
class RE2;
}

namespace tidemark::storage {

enum class MatchType { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };

class Matcher {
 public:
  // InvalidArgument when a regex does not compile.
  static base::Result<Matcher> Make(MatchType type, std::string name, std::string value);
  // Shorthands for tests and internal use; abort on an invalid regex.
  static Matcher Equal(std::string name, std::string value);
  static Matcher NotEqual(std::string name, std::string value);
  static Matcher Regex(std::string name, std::string value);
  static Matcher NotRegex(std::string name, std::string value);

  MatchType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }

  // True when `label_value` ("" for a missing label) satisfies this matcher.
  bool Matches(std::string_view label_value) const;
  // True when this matcher accepts the empty string (i.e. also series without the label).
  bool MatchesEmpty() const { return Matches(""); }

  // Prometheus form, e.g. `job=~"api|web"`.
  std::string ToString() const;

 private:
  Matcher(MatchType type, std::string name, std::string value)
      : type_(type), name_(std::move(name)), value_(std::move(value)) {}

  MatchType type_;
  std::string name_;
  std::string value_;
  std::shared_ptr<const re2::RE2> re_;  // set for the regex types
};

// True when every matcher accepts `labels`.
bool MatchesAll(const std::vector<Matcher>& matchers, const Labels& labels);

}  // namespace tidemark::storage
