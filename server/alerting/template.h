// Template: the subset of Go's text/template that Prometheus alert labels and annotations use.
//
// Supported inside {{ }} (with {{- -}} trimming): `$labels.name`, `$value`, `$externalLabels.x`,
// `$externalURL`, `.Labels.name`, `.Value`, `.ExternalLabels.x`, `.ExternalURL`, string and number
// literals, pipelines `x | f | g "arg"` (the piped value becomes the last argument),
// {{ if }} / {{ else if }} / {{ else }} / {{ end }}, and the functions humanize, humanize1024,
// humanizeDuration, humanizePercentage, humanizeTimestamp, printf, index, toUpper, toLower, title,
// stripPort, stripDomain, urlQueryEscape, reReplaceAll, externalURL, eq, ne, lt, le, gt, ge, and,
// or, not. Other control actions (range, with, define) are rejected at parse time with a clear
// message rather than expanded wrongly. Comparisons accept a number literal against $value
// (Go would insist on 80.0 rather than 80). Missing label keys expand to "" (Prometheus runs
// templates with missingkey=zero); a failing expansion yields "<error expanding template: ...>".
//
// A parsed Template is immutable; Expand is thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "storage/base/status.h"

namespace tidemark::server::alerting {

struct TemplateData {
  const std::map<std::string, std::string>* labels = nullptr;
  const std::map<std::string, std::string>* external_labels = nullptr;
  std::string external_url;
  double value = 0;
};

class Template {
 public:
  // Parses `text`; InvalidArgument naming the problem on error.
  static base::Result<Template> Parse(std::string_view text);

  std::string Expand(const TemplateData& data) const;
  // Expands, or returns the first error.
  base::Result<std::string> TryExpand(const TemplateData& data) const;

  struct Operand {
    enum class Kind { kString, kNumber, kPath };
    Kind kind = Kind::kString;
    std::string text;                 // string literal, or the root of a path ("$labels", ".")
    double number = 0;                // number literal
    std::vector<std::string> fields;  // path fields after the root
  };
  struct Command {
    std::string function;  // empty: a lone operand
    std::vector<Operand> args;
  };
  struct Node {
    enum class Kind { kText, kAction, kIf };
    Kind kind = Kind::kText;
    std::string text;               // kText: the literal
    std::vector<Command> pipeline;  // kAction: the value; kIf: the condition
    std::vector<Node> then_nodes;   // kIf
    std::vector<Node> else_nodes;   // kIf (an `else if` is one nested kIf)
  };

 private:
  std::vector<Node> nodes_;
};

}  // namespace tidemark::server::alerting
