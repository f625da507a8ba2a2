#include "config/rule_file.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace tidemark::config {
namespace {

std::string ErrorOf(const std::string& yaml) {
  auto parsed = ParseRuleFile(yaml, "rules.yml");
  EXPECT_FALSE(parsed.ok()) << "expected an error for:\n" << yaml;
  return parsed.ok() ? "" : parsed.status().message();
}

TEST(RuleFileTest, ParsesGroupsRulesAndLines) {
  auto parsed = ParseRuleFile(R"(groups:
  - name: fleet
    interval: 30s
    limit: 5
    rules:
      - record: site:temperature_celsius:avg
        expr: avg by (site) (temperature_celsius)
        labels: {source: recording}
      - alert: Hot
        expr: temperature_celsius > 30
        for: 5m
        keep_firing_for: 2m
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.room }} is {{ $value }}"
)",
                              "rules.yml");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->groups.size(), 1u);
  const RuleGroupSpec& group = parsed->groups[0];
  EXPECT_EQ(group.name, "fleet");
  EXPECT_EQ(group.interval_ms, 30'000);
  EXPECT_EQ(group.limit, 5);
  ASSERT_EQ(group.rules.size(), 2u);
  EXPECT_EQ(group.rules[0].kind, RuleSpec::Kind::kRecording);
  EXPECT_EQ(group.rules[0].labels.at("source"), "recording");
  const RuleSpec& alert = group.rules[1];
  EXPECT_EQ(alert.kind, RuleSpec::Kind::kAlerting);
  EXPECT_EQ(alert.name, "Hot");
  EXPECT_EQ(alert.for_ms, 300'000);
  EXPECT_EQ(alert.keep_firing_for_ms, 120'000);
  EXPECT_EQ(alert.line, 9);
  EXPECT_EQ(alert.expr_line, 10);
  // Templates keep their dollars: rule files are not subject to ${ENV} substitution.
  EXPECT_EQ(alert.annotations.at("summary"), "{{ $labels.room }} is {{ $value }}");
}

TEST(RuleFileTest, ValidationErrorsNameFileAndLine) {
  EXPECT_EQ(ErrorOf("groups:\n  - name: a\n    rules:\n      - record: x\n        alert: y\n"
                    "        expr: up\n"),
            "rules.yml:4: groups[0].rules[0]: only one of 'record' and 'alert' must be set");
  EXPECT_EQ(ErrorOf("groups:\n  - name: a\n    rules:\n      - expr: up\n"),
            "rules.yml:4: groups[0].rules[0]: one of 'record' or 'alert' must be set");
  EXPECT_EQ(ErrorOf("groups:\n  - name: a\n    rules:\n      - alert: x\n"),
            "rules.yml:4: groups[0].rules[0].expr: field 'expr' must be set in rule");
  EXPECT_EQ(ErrorOf("groups:\n  - name: a\n    rules:\n      - record: x\n        expr: up\n"
                    "        for: 5m\n"),
            "rules.yml:6: groups[0].rules[0].for: invalid field 'for' in recording rule");
  EXPECT_EQ(ErrorOf("groups:\n  - name: a\n    rules:\n      - record: 'a{b}'\n        expr: up\n"),
            "rules.yml:4: groups[0].rules[0].record: invalid recording rule name: a{b}");
  EXPECT_EQ(ErrorOf("groups:\n  - name: a\n  - name: a\n"),
            "rules.yml:3: groups[1].name: groupname: \"a\" is repeated in the same file");
  EXPECT_EQ(ErrorOf("groups:\n  - name: a\n    rules:\n      - alert: x\n        expr: up\n"
                    "        labels: {'bad-name': v}\n"),
            "rules.yml:6: groups[0].rules[0].labels: invalid label name: bad-name");
  EXPECT_EQ(ErrorOf("groups:\n  - name: a\n    rules:\n      - alert: x\n        expr: up\n"
                    "        fore: 5m\n"),
            "rules.yml:6: groups[0].rules[0].fore: unknown key \"fore\" (did you mean \"for\"?)");
  EXPECT_EQ(ErrorOf("groups:\n  - name: a\n    interval: 5 minutes\n")
                .rfind("rules.yml:3: groups[0].interval: ", 0),
            0u);
  EXPECT_NE(ErrorOf("groups: [\n").find("rules.yml:"), std::string::npos);
}

TEST(RuleFileTest, ShippedExamplesParse) {
  const char* source_dir = std::getenv("TIDEMARK_SOURCE_DIR");
  ASSERT_NE(source_dir, nullptr);
  auto paths = ExpandRuleFileGlobs({std::string(source_dir) + "/config/rules/*.yml"});
  ASSERT_TRUE(paths.ok());
  ASSERT_FALSE(paths->empty());
  for (const std::string& path : *paths) {
    auto loaded = LoadRuleFile(path);
    EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
  }
}

TEST(RuleFileTest, MissingFileIsAnError) {
  auto loaded = LoadRuleFile("/nonexistent/rules.yml");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message(),
            "cannot read rule file /nonexistent/rules.yml: No such file or directory");
}

}  // namespace
}  // namespace tidemark::config
