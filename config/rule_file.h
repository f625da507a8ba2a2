// Prometheus rule files (recording and alerting rules) as plain structs, and their loader.
//
// The format is Prometheus 2.42's (`groups: [{name, interval, limit, query_offset, labels,
// rules: [{record|alert, expr, for, keep_firing_for, labels, annotations}]}]`). The loader checks
// everything that needs no PromQL or template knowledge (required keys, exclusive keys, label and
// metric names, durations, unknown keys) and reports the first problem as
// "file:line: path: message". PromQL expressions and templates are checked by server/alerting,
// which has the parsers; each spec keeps the line it came from so those errors point at it too.
// Value types; the functions are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "storage/base/status.h"

namespace tidemark::config {

struct RuleSpec {
  enum class Kind { kAlerting, kRecording };
  Kind kind = Kind::kAlerting;
  std::string name;  // `alert` or `record`
  std::string expr;
  int64_t for_ms = 0;
  int64_t keep_firing_for_ms = 0;
  std::map<std::string, std::string> labels;       // templates for alerting rules
  std::map<std::string, std::string> annotations;  // alerting rules only
  int line = 0;                                    // 1-based line of the rule's mapping
  int expr_line = 0;
};

struct RuleGroupSpec {
  std::string name;
  int64_t interval_ms = 0;  // 0: the global evaluation interval
  int64_t limit = 0;        // 0: unlimited
  int64_t query_offset_ms = 0;
  std::map<std::string, std::string> labels;  // added to every rule; rule labels win
  std::vector<RuleSpec> rules;
  int line = 0;
};

struct RuleFileSpec {
  std::string path;
  std::vector<RuleGroupSpec> groups;
};

// Parses rule-file YAML; `source` names it in errors and becomes `path`.
base::Result<RuleFileSpec> ParseRuleFile(std::string_view yaml, std::string source);
// Reads and parses one rule file.
base::Result<RuleFileSpec> LoadRuleFile(const std::string& path);
// Expands the configured globs into sorted, de-duplicated paths. A pattern with no match is not
// an error (as in Prometheus); an unreadable directory is.
base::Result<std::vector<std::string>> ExpandRuleFileGlobs(const std::vector<std::string>& globs);

// True for a valid label name ([a-zA-Z_][a-zA-Z0-9_]*) and a valid metric name
// ([a-zA-Z_:][a-zA-Z0-9_:]*).
bool IsValidLabelName(std::string_view name);
bool IsValidMetricName(std::string_view name);

}  // namespace tidemark::config
