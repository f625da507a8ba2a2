#include "config/rule_file.h"

#include <glob.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "config/yaml_reader.h"

namespace tidemark::config {
namespace {

using base::Result;
using base::Status;

bool IsNameChar(char c, bool first, bool colon_ok) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (colon_ok && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

bool IsValidName(std::string_view name, bool colon_ok) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0, colon_ok)) return false;
  }
  return true;
}

// Label maps: names must be valid label names and never __name__.
void CheckLabelNames(YamlReader& r, const std::string& key,
                     const std::map<std::string, std::string>& labels, const char* what) {
  for (const auto& [name, value] : labels) {
    if (!IsValidLabelName(name)) r.Fail(key, "invalid " + std::string(what) + " name: " + name);
    if (name == "__name__" && std::string_view(what) == "label") {
      r.Fail(key, "invalid label name: __name__");
    }
  }
}

void ReadRuleBody(YamlReader& r, RuleSpec* rule) {
  r.String("expr", &rule->expr);
  r.Duration("for", &rule->for_ms);
  r.Duration("keep_firing_for", &rule->keep_firing_for_ms);
  r.StringMap("labels", &rule->labels);
  r.StringMap("annotations", &rule->annotations);
  CheckLabelNames(r, "labels", rule->labels, "label");
  CheckLabelNames(r, "annotations", rule->annotations, "annotation");
}

void CheckRecording(YamlReader& r, const RuleSpec& rule) {
  if (r.Has("annotations")) r.Fail("annotations", "invalid field 'annotations' in recording rule");
  if (r.Has("for")) r.Fail("for", "invalid field 'for' in recording rule");
  if (r.Has("keep_firing_for")) {
    r.Fail("keep_firing_for", "invalid field 'keep_firing_for' in recording rule");
  }
  if (!IsValidMetricName(rule.name)) {
    r.Fail("record", "invalid recording rule name: " + rule.name);
  }
}

RuleSpec ReadRule(YamlReader& r) {
  RuleSpec rule;
  rule.line = r.Line();
  std::string record;
  std::string alert;
  r.String("record", &record);
  r.String("alert", &alert);
  if (!record.empty() && !alert.empty()) r.Fail("", "only one of 'record' and 'alert' must be set");
  if (record.empty() && alert.empty()) r.Fail("", "one of 'record' or 'alert' must be set");
  rule.kind = record.empty() ? RuleSpec::Kind::kAlerting : RuleSpec::Kind::kRecording;
  rule.name = record.empty() ? alert : record;
  rule.expr_line = r.LineOf("expr");
  ReadRuleBody(r, &rule);
  if (rule.expr.empty()) r.Fail("expr", "field 'expr' must be set in rule");
  if (rule.kind == RuleSpec::Kind::kRecording) CheckRecording(r, rule);
  return rule;
}

RuleGroupSpec ReadGroup(YamlReader& r) {
  RuleGroupSpec group;
  group.line = r.Line();
  r.String("name", &group.name);
  if (group.name.empty()) r.Fail("name", "Groupname must not be empty");
  r.Duration("interval", &group.interval_ms);
  r.Int("limit", 0, int64_t{1} << 40, &group.limit);
  r.Duration("query_offset", &group.query_offset_ms);
  r.StringMap("labels", &group.labels);
  CheckLabelNames(r, "labels", group.labels, "label");
  r.MapList("rules", [&](YamlReader& rule) { group.rules.push_back(ReadRule(rule)); });
  return group;
}

void ReadTop(YamlReader& r, RuleFileSpec* file) {
  std::set<std::string> names;
  r.MapList("groups", [&](YamlReader& g) {
    RuleGroupSpec group = ReadGroup(g);
    if (!names.insert(group.name).second) {
      g.Fail("name", "groupname: \"" + group.name + "\" is repeated in the same file");
    }
    file->groups.push_back(std::move(group));
  });
  r.Finish();
}

}  // namespace

bool IsValidLabelName(std::string_view name) { return IsValidName(name, false); }
bool IsValidMetricName(std::string_view name) { return IsValidName(name, true); }

Result<RuleFileSpec> ParseRuleFile(std::string_view yaml, std::string source) {
  RuleFileSpec file;
  file.path = source;
  const EnvLookup no_env = [](std::string_view) { return std::optional<std::string>(); };
  LoadContext ctx{std::move(source), &no_env};
  ctx.substitute_env = false;
  TM_RETURN_IF_ERROR(ReadYamlDocument(yaml, ctx, [&](YamlReader& r) { ReadTop(r, &file); }));
  return file;
}

Result<RuleFileSpec> LoadRuleFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read rule file " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IoError("cannot read rule file " + path);
  return ParseRuleFile(text.str(), path);
}

Result<std::vector<std::string>> ExpandRuleFileGlobs(const std::vector<std::string>& globs) {
  std::vector<std::string> paths;
  for (const std::string& pattern : globs) {
    glob_t matches{};
    const int rc = glob(pattern.c_str(), GLOB_ERR, nullptr, &matches);
    if (rc == GLOB_ABORTED || rc == GLOB_NOSPACE) {
      globfree(&matches);
      return Status::IoError("cannot expand rule_files pattern \"" + pattern + "\"");
    }
    for (size_t i = 0; i < matches.gl_pathc; ++i) paths.emplace_back(matches.gl_pathv[i]);
    globfree(&matches);
  }
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  return paths;
}

}  // namespace tidemark::config
