#include "server/alerting/template.h"

#include <gtest/gtest.h>

#include <cmath>

#include "server/alerting/go_format.h"

namespace tidemark::server::alerting {
namespace {

std::string Expand(const std::string& text, double value = 21.5) {
  static const std::map<std::string, std::string> labels = {
      {"room", "kitchen"}, {"site", "hq"}, {"instance", "h1:9100"}};
  static const std::map<std::string, std::string> external = {{"cluster", "eu-1"}};
  auto parsed = Template::Parse(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  if (!parsed.ok()) return "";
  return parsed->Expand({&labels, &external, "http://tm:9201", value});
}

std::string ParseError(const std::string& text) {
  auto parsed = Template::Parse(text);
  EXPECT_FALSE(parsed.ok()) << text;
  return parsed.ok() ? "" : parsed.status().message();
}

TEST(TemplateTest, LabelsValueAndExternalLabels) {
  EXPECT_EQ(Expand("{{ $labels.room }} at {{ $labels.site }} is {{ $value }}"),
            "kitchen at hq is 21.5");
  EXPECT_EQ(Expand("{{ .Labels.room }}/{{ .Value }}"), "kitchen/21.5");
  EXPECT_EQ(Expand("{{ $externalLabels.cluster }} {{ .ExternalURL }}"), "eu-1 http://tm:9201");
  EXPECT_EQ(Expand("[{{ $labels.missing }}]"), "[]");
  EXPECT_EQ(Expand("{{ index $labels \"room\" }}"), "kitchen");
  EXPECT_EQ(Expand("plain text"), "plain text");
  EXPECT_EQ(Expand("a  {{- $labels.room -}}  b"), "akitchenb");
  EXPECT_EQ(Expand("{{/* a comment */}}x"), "x");
}

TEST(TemplateTest, ValueFormattingFollowsGo) {
  EXPECT_EQ(Expand("{{ $value }}", 1e6), "1e+06");
  EXPECT_EQ(Expand("{{ $value }}", 123456), "123456");
  EXPECT_EQ(Expand("{{ $value }}", 0.0001), "0.0001");
  EXPECT_EQ(Expand("{{ $value }}", 0.00001), "1e-05");
  EXPECT_EQ(Expand("{{ $value }}", 3), "3");
  EXPECT_EQ(Expand("{{ $value }}", NAN), "NaN");
  EXPECT_EQ(GoFloatE(0.72), "7.2e-01");
  EXPECT_EQ(GoFloatE(0), "0e+00");
  EXPECT_EQ(GoFloatE(1234.5), "1.2345e+03");
}

TEST(TemplateTest, HumanizeHelpers) {
  EXPECT_EQ(Expand("{{ $value | humanize }}", 1234567), "1.235M");
  EXPECT_EQ(Expand("{{ humanize $value }}", 0.0012), "1.2m");
  EXPECT_EQ(Expand("{{ $value | humanize }}", 0), "0");
  EXPECT_EQ(Expand("{{ $value | humanize1024 }}", 2048), "2ki");
  EXPECT_EQ(Expand("{{ $value | humanizeDuration }}", 93784), "1d 2h 3m 4s");
  EXPECT_EQ(Expand("{{ $value | humanizeDuration }}", 1.5), "1.5s");
  EXPECT_EQ(Expand("{{ $value | humanizeDuration }}", 0.0025), "2.5ms");
  EXPECT_EQ(Expand("{{ $value | humanizePercentage }}", 0.1234), "12.34%");
  EXPECT_EQ(Expand("{{ $value | humanizeTimestamp }}", 1441900118.5),
            "2015-09-10 15:48:38.5 +0000 UTC");
  EXPECT_EQ(Expand("{{ \"12346\" | humanize }}"), "12.35k");
}

TEST(TemplateTest, StringFunctionsAndPrintf) {
  EXPECT_EQ(Expand("{{ $value | printf \"%.1f\" }}", 30.25), "30.2");
  EXPECT_EQ(Expand("{{ printf \"%s=%d%%\" $labels.room 42 }}"), "kitchen=42%");
  EXPECT_EQ(Expand("{{ $labels.room | toUpper }}"), "KITCHEN");
  EXPECT_EQ(Expand("{{ \"big room\" | title }}"), "Big Room");
  EXPECT_EQ(Expand("{{ $labels.instance | stripPort }}"), "h1");
  EXPECT_EQ(Expand("{{ reReplaceAll \"(.*):.*\" \"$1\" $labels.instance }}"), "h1");
  EXPECT_EQ(Expand("{{ \"a b&c\" | urlQueryEscape }}"), "a+b%26c");
}

TEST(TemplateTest, IfElseAndComparisons) {
  const std::string severity =
      "{{ if gt $value 80.0 }}critical{{ else if ge $value 50 }}warning{{ else }}ok{{ end }}";
  EXPECT_EQ(Expand(severity, 90), "critical");
  EXPECT_EQ(Expand(severity, 50), "warning");
  EXPECT_EQ(Expand(severity, 10), "ok");
  EXPECT_EQ(Expand("{{ if eq $labels.room \"kitchen\" }}K{{ end }}|"), "K|");
  EXPECT_EQ(Expand("{{ if $labels.missing }}set{{ else }}unset{{ end }}"), "unset");
  EXPECT_EQ(Expand("{{ if and $labels.room $labels.site }}both{{ end }}"), "both");
  EXPECT_EQ(Expand("{{ if or $labels.missing $labels.site }}one{{ end }}"), "one");
  EXPECT_EQ(Expand("{{ if not $labels.missing }}none{{ end }}"), "none");
  EXPECT_EQ(Expand("{{- if lt $value 1.0 }} low {{- end -}} !", 0.5), " low!");
  EXPECT_EQ(Expand("{{ eq $labels.room \"kitchen\" }}"), "true");
  EXPECT_EQ(Expand("{{ if gt $labels.room 3.0 }}x{{ end }}"),
            "<error expanding template: error calling gt: incompatible types for comparison>");
}

TEST(TemplateTest, RuntimeErrorsBecomeMarkers) {
  EXPECT_EQ(Expand("{{ \"abc\" | humanize }}"),
            "<error expanding template: error calling humanize: can't convert abc to float>");
}

TEST(TemplateTest, ParseErrorsAreClear) {
  EXPECT_EQ(ParseError("{{ $labels.room "), "template: unclosed action");
  EXPECT_EQ(ParseError("{{ nosuch $value }}"), "template: function \"nosuch\" not defined");
  EXPECT_EQ(ParseError("{{ $nope }}"), "template: undefined variable \"$nope\"");
  EXPECT_EQ(ParseError("{{ range $labels }}x{{ end }}"),
            "template: {{ range }} is not supported; use if/else, labels and pipelines");
  EXPECT_EQ(ParseError("{{ if $value }}x"), "template: unexpected EOF: {{ if }} without {{ end }}");
  EXPECT_EQ(ParseError("x{{ end }}"), "template: unexpected {{ end }}");
  EXPECT_EQ(ParseError("{{ if }}x{{ end }}"), "template: missing condition in {{ if }}");
  EXPECT_EQ(ParseError("{{ if gt $value }}x{{ end }}"),
            "template: wrong number of args for gt: want 2 got 1");
  EXPECT_EQ(ParseError("{{ humanize }}"),
            "template: wrong number of args for humanize: want 1 got 0");
  EXPECT_EQ(ParseError("{{ \"x }}"), "template: unterminated quoted string");
}

}  // namespace
}  // namespace tidemark::server::alerting
