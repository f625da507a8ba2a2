// Parsing of the Go text/template subset; evaluation lives in template_eval.cc.
#include "server/alerting/template.h"

#include <cctype>
#include <cstdlib>
#include <set>

#include "server/alerting/template_internal.h"

namespace tidemark::server::alerting {
namespace {

using base::Result;
using base::Status;

Status Bad(const std::string& message) { return Status::InvalidArgument("template: " + message); }

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Splits an action's text into words: quoted strings stay whole (quotes kept), '|' stands alone.
Result<std::vector<std::string>> Words(std::string_view text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (IsSpace(c)) {
      ++i;
    } else if (c == '|') {
      words.emplace_back("|");
      ++i;
    } else if (c == '"' || c == '`') {
      size_t j = i + 1;
      while (j < text.size() && text[j] != c) j += (c == '"' && text[j] == '\\') ? 2 : 1;
      if (j >= text.size()) return Bad("unterminated quoted string");
      words.emplace_back(text.substr(i, j + 1 - i));
      i = j + 1;
    } else if (c == '(' || c == ')') {
      return Bad("parentheses are not supported");
    } else {
      size_t j = i;
      while (j < text.size() && !IsSpace(text[j]) && text[j] != '|' && text[j] != '(' &&
             text[j] != ')') {
        ++j;
      }
      words.emplace_back(text.substr(i, j - i));
      i = j;
    }
  }
  return words;
}

Result<std::string> Unquote(const std::string& word) {
  if (word[0] == '`') return word.substr(1, word.size() - 2);
  std::string out;
  for (size_t i = 1; i + 1 < word.size(); ++i) {
    if (word[i] != '\\') {
      out += word[i];
      continue;
    }
    const char e = word[++i];
    if (e == 'n') {
      out += '\n';
    } else if (e == 't') {
      out += '\t';
    } else if (e == '\\' || e == '"') {
      out += e;
    } else {
      return Bad(std::string("unsupported escape \\") + e);
    }
  }
  return out;
}

Result<Template::Operand> ParseOperand(const std::string& word) {
  Template::Operand op;
  if (word[0] == '"' || word[0] == '`') {
    auto text = Unquote(word);
    if (!text.ok()) return text.status();
    op.text = std::move(text).value();
    return op;
  }
  if (std::isdigit(static_cast<unsigned char>(word[0])) || word[0] == '-' || word[0] == '+') {
    char* end = nullptr;
    op.number = std::strtod(word.c_str(), &end);
    if (end != word.c_str() + word.size()) return Bad("bad number syntax: " + word);
    op.kind = Template::Operand::Kind::kNumber;
    return op;
  }
  if (word[0] != '$' && word[0] != '.') return Bad("function \"" + word + "\" not defined");
  op.kind = Template::Operand::Kind::kPath;
  size_t start = 0;
  if (word[0] == '$') {
    start = word.find('.');
    op.text = word.substr(0, start);
    if (!IsKnownVariable(op.text)) return Bad("undefined variable \"" + op.text + "\"");
    if (start == std::string::npos) return op;
  } else {
    op.text = ".";
  }
  for (size_t i = start; i < word.size();) {
    const size_t next = word.find('.', i + 1);
    std::string field = word.substr(i + 1, next == std::string::npos ? next : next - i - 1);
    if (!field.empty()) op.fields.push_back(std::move(field));
    if (next == std::string::npos) break;
    i = next;
  }
  return op;
}

Result<Template::Command> ParseCommand(const std::vector<std::string>& words, bool piped) {
  Template::Command command;
  size_t first_arg = 0;
  const std::string& head = words[0];
  if (head[0] != '$' && head[0] != '.' && head[0] != '"' && head[0] != '`' &&
      !std::isdigit(static_cast<unsigned char>(head[0])) && head[0] != '-') {
    command.function = head;
    first_arg = 1;
    const int arity = FunctionArity(head);
    if (arity == kUnknownFunction) return Bad("function \"" + head + "\" not defined");
    const size_t given = words.size() - 1 + (piped ? 1 : 0);
    if (arity >= 0 && given != static_cast<size_t>(arity)) {
      return Bad("wrong number of args for " + head + ": want " + std::to_string(arity) + " got " +
                 std::to_string(given));
    }
    if (arity == kVariadic && given == 0) return Bad("wrong number of args for " + head);
  } else if (words.size() > 1 || piped) {
    return Bad("can't give arguments to non-function " + head);
  }
  for (size_t i = first_arg; i < words.size(); ++i) {
    auto op = ParseOperand(words[i]);
    if (!op.ok()) return op.status();
    command.args.push_back(std::move(op).value());
  }
  return command;
}

Result<std::vector<Template::Command>> ParseCommands(const std::vector<std::string>& words) {
  if (words.empty()) return Bad("missing value for command");
  if (words.front().find(":=") != std::string::npos || (words.size() > 1 && words[1] == ":=")) {
    return Bad("variable declarations are not supported");
  }
  std::vector<Template::Command> pipeline;
  std::vector<std::string> current;
  for (size_t i = 0; i <= words.size(); ++i) {
    if (i < words.size() && words[i] != "|") {
      current.push_back(words[i]);
      continue;
    }
    if (current.empty()) return Bad("missing command in pipeline");
    auto command = ParseCommand(current, !pipeline.empty());
    if (!command.ok()) return command.status();
    pipeline.push_back(std::move(command).value());
    current.clear();
  }
  return pipeline;
}

void TrimRight(std::string* text) {
  while (!text->empty() && IsSpace(text->back())) text->pop_back();
}

// A piece of template text: a literal, or the inside of an action with its trim markers removed.
struct Segment {
  bool action = false;
  std::string text;
};

Result<std::vector<Segment>> Split(std::string_view text) {
  std::vector<Segment> segments;
  size_t pos = 0;
  bool trim_next = false;
  while (pos <= text.size()) {
    const size_t open = text.find("{{", pos);
    std::string literal(text.substr(pos, open == std::string_view::npos ? text.npos : open - pos));
    if (trim_next) {
      size_t skip = 0;
      while (skip < literal.size() && IsSpace(literal[skip])) ++skip;
      literal.erase(0, skip);
    }
    if (open == std::string_view::npos) {
      if (!literal.empty()) segments.push_back({false, literal});
      break;
    }
    const size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) return Bad("unclosed action");
    std::string_view action = text.substr(open + 2, close - open - 2);
    if (action.size() >= 2 && action[0] == '-' && IsSpace(action[1])) {
      TrimRight(&literal);
      action.remove_prefix(1);
    }
    trim_next = action.size() >= 2 && action.back() == '-' && IsSpace(action[action.size() - 2]);
    if (trim_next) action.remove_suffix(1);
    if (!literal.empty()) segments.push_back({false, literal});
    const size_t first = action.find_first_not_of(" \t\r\n");
    const bool comment =
        first != std::string_view::npos && action.substr(first).rfind("/*", 0) == 0;
    if (!comment) segments.push_back({true, std::string(action)});
    pos = close + 2;
  }
  return segments;
}

Result<std::vector<Template::Node>> BuildNodes(const std::vector<Segment>& segments, size_t* i,
                                               std::vector<std::string>* stop);

// Parses `if <condition>` up to and including its {{ end }}; {{ else if }} nests.
Result<Template::Node> ParseIf(const std::vector<std::string>& condition,
                               const std::vector<Segment>& segments, size_t* i) {
  if (condition.empty()) return Bad("missing condition in {{ if }}");
  Template::Node node;
  node.kind = Template::Node::Kind::kIf;
  auto pipeline = ParseCommands(condition);
  if (!pipeline.ok()) return pipeline.status();
  node.pipeline = std::move(pipeline).value();
  std::vector<std::string> stop;
  auto then_nodes = BuildNodes(segments, i, &stop);
  if (!then_nodes.ok()) return then_nodes.status();
  node.then_nodes = std::move(then_nodes).value();
  if (stop.empty()) return Bad("unexpected EOF: {{ if }} without {{ end }}");
  if (stop[0] == "end") return node;
  if (stop.size() > 1 && stop[1] == "if") {
    auto nested = ParseIf({stop.begin() + 2, stop.end()}, segments, i);
    if (!nested.ok()) return nested.status();
    node.else_nodes.push_back(std::move(nested).value());
    return node;
  }
  if (stop.size() > 1) return Bad("unexpected \"" + stop[1] + "\" after {{ else }}");
  std::vector<std::string> end;
  auto else_nodes = BuildNodes(segments, i, &end);
  if (!else_nodes.ok()) return else_nodes.status();
  if (end.empty() || end[0] != "end") return Bad("expected {{ end }} after {{ else }}");
  node.else_nodes = std::move(else_nodes).value();
  return node;
}

// Builds nodes until an {{ end }} or {{ else }} action (its words go to `stop`) or the end.
Result<std::vector<Template::Node>> BuildNodes(const std::vector<Segment>& segments, size_t* i,
                                               std::vector<std::string>* stop) {
  static const std::set<std::string> kUnsupported = {"range", "with",  "define",  "template",
                                                     "block", "break", "continue"};
  std::vector<Template::Node> nodes;
  while (*i < segments.size()) {
    const Segment& segment = segments[(*i)++];
    if (!segment.action) {
      nodes.push_back({Template::Node::Kind::kText, segment.text, {}, {}, {}});
      continue;
    }
    auto words = Words(segment.text);
    if (!words.ok()) return words.status();
    if (words->empty()) return Bad("missing value for command");
    const std::string& head = words->front();
    if (head == "end" || head == "else") {
      *stop = std::move(words).value();
      return nodes;
    }
    if (kUnsupported.count(head)) {
      return Bad("{{ " + head + " }} is not supported; use if/else, labels and pipelines");
    }
    if (head == "if") {
      auto node = ParseIf({words->begin() + 1, words->end()}, segments, i);
      if (!node.ok()) return node.status();
      nodes.push_back(std::move(node).value());
      continue;
    }
    auto pipeline = ParseCommands(*words);
    if (!pipeline.ok()) return pipeline.status();
    nodes.push_back({Template::Node::Kind::kAction, "", std::move(pipeline).value(), {}, {}});
  }
  return nodes;
}

Status ExpandNodes(const std::vector<Template::Node>& nodes, const TemplateData& data,
                   std::string* out) {
  for (const Template::Node& node : nodes) {
    if (node.kind == Template::Node::Kind::kText) {
      *out += node.text;
      continue;
    }
    auto value = EvalPipeline(node.pipeline, data);
    if (!value.ok()) return value.status();
    if (node.kind == Template::Node::Kind::kAction) {
      *out += value->ToString();
      continue;
    }
    TM_RETURN_IF_ERROR(
        ExpandNodes(IsTruthy(*value) ? node.then_nodes : node.else_nodes, data, out));
  }
  return Status::Ok();
}

}  // namespace

Result<Template> Template::Parse(std::string_view text) {
  auto segments = Split(text);
  if (!segments.ok()) return segments.status();
  size_t i = 0;
  std::vector<std::string> stop;
  auto nodes = BuildNodes(*segments, &i, &stop);
  if (!nodes.ok()) return nodes.status();
  if (!stop.empty()) return Bad("unexpected {{ " + stop[0] + " }}");
  Template parsed;
  parsed.nodes_ = std::move(nodes).value();
  return parsed;
}

std::string Template::Expand(const TemplateData& data) const {
  auto expanded = TryExpand(data);
  if (expanded.ok()) return std::move(expanded).value();
  return "<error expanding template: " + expanded.status().message() + ">";
}

Result<std::string> Template::TryExpand(const TemplateData& data) const {
  std::string out;
  TM_RETURN_IF_ERROR(ExpandNodes(nodes_, data, &out));
  return out;
}

}  // namespace tidemark::server::alerting
