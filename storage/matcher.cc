#include "storage/matcher.h"

#include <re2/re2.h>

#include <cstdlib>

namespace tidemark::storage {

base::Result<Matcher> Matcher::Make(MatchType type, std::string name, std::string value) {
  Matcher m(type, std::move(name), std::move(value));
  if (type == MatchType::kRegexMatch || type == MatchType::kRegexNoMatch) {
    RE2::Options options;
    options.set_dot_nl(true);
    options.set_log_errors(false);
    auto re = std::make_shared<RE2>("^(?:" + m.value_ + ")$", options);
    if (!re->ok()) {
      return base::Status::InvalidArgument("invalid regex \"" + m.value_ + "\": " + re->error());
    }
    m.re_ = std::move(re);
  }
  return m;
}

namespace {
Matcher MakeOrDie(MatchType type, std::string name, std::string value) {
  auto m = Matcher::Make(type, std::move(name), std::move(value));
  if (!m.ok()) std::abort();
  return std::move(m).value();
}
}  // namespace

Matcher Matcher::Equal(std::string n, std::string v) {
  return MakeOrDie(MatchType::kEqual, std::move(n), std::move(v));
}
Matcher Matcher::NotEqual(std::string n, std::string v) {
  return MakeOrDie(MatchType::kNotEqual, std::move(n), std::move(v));
}
Matcher Matcher::Regex(std::string n, std::string v) {
  return MakeOrDie(MatchType::kRegexMatch, std::move(n), std::move(v));
}
Matcher Matcher::NotRegex(std::string n, std::string v) {
  return MakeOrDie(MatchType::kRegexNoMatch, std::move(n), std::move(v));
}

bool Matcher::Matches(std::string_view label_value) const {
  switch (type_) {
    case MatchType::kEqual:
      return label_value == value_;
    case MatchType::kNotEqual:
      return label_value != value_;
    case MatchType::kRegexMatch:
      return RE2::FullMatch(label_value, *re_);
    case MatchType::kRegexNoMatch:
      return !RE2::FullMatch(label_value, *re_);
  }
  return false;
}

std::string Matcher::ToString() const {
  static constexpr std::string_view kOps[] = {"=", "!=", "=~", "!~"};
  std::string out = name_;
  out.append(kOps[static_cast<int>(type_)]);
  out.push_back('"');
  for (char c : value_) {
    if (c == '\\' || c == '"') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

bool MatchesAll(const std::vector<Matcher>& matchers, const Labels& labels) {
  for (const auto& m : matchers) {
    if (!m.Matches(labels.Get(m.name()))) return false;
  }
  return true;
}

}  // namespace tidemark::storage
