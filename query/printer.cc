#include "query/printer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <vector>

#include "query/functions.h"
#include "storage/base/units.h"

namespace tidemark::query {
namespace {

std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

std::string MatchOp(storage::MatchType type) {
  switch (type) {
    case storage::MatchType::kEqual:
      return "=";
    case storage::MatchType::kNotEqual:
      return "!=";
    case storage::MatchType::kRegexMatch:
      return "=~";
    case storage::MatchType::kRegexNoMatch:
      return "!~";
  }
  return "=";
}

// " @ 123.000" / " @ start()" and " offset 5m" / " offset -5m", as suffixes.
std::string AtSuffix(const Expr& e) {
  switch (e.at) {
    case AtKind::kNone:
      return "";
    case AtKind::kStart:
      return " @ start()";
    case AtKind::kEnd:
      return " @ end()";
    case AtKind::kTimestamp: {
      char buf[64];
      std::snprintf(buf, sizeof buf, " @ %.3f", static_cast<double>(e.at_ms) / 1000.0);
      return buf;
    }
  }
  return "";
}

std::string OffsetSuffix(const Expr& e) {
  if (e.offset_ms > 0) return " offset " + base::FormatDuration(e.offset_ms);
  if (e.offset_ms < 0) return " offset -" + base::FormatDuration(-e.offset_ms);
  return "";
}

std::string SelectorText(const Expr& e) {
  std::vector<std::string> matchers;
  for (const auto& m : e.matchers) {
    // The metric name written before the braces is printed there, not as a matcher.
    if (m.name() == storage::kMetricNameLabel && m.type() == storage::MatchType::kEqual &&
        m.value() == e.name) {
      continue;
    }
    matchers.push_back(m.name() + MatchOp(m.type()) + GoQuote(m.value()));
  }
  std::sort(matchers.begin(), matchers.end());
  return matchers.empty() ? e.name : e.name + "{" + Join(matchers, ",") + "}";
}

std::string MatchingText(const VectorMatching& m) {
  if (m.labels.empty() && !m.on) return "";
  std::string out = std::string(m.on ? " on (" : " ignoring (") + Join(m.labels, ", ") + ")";
  if (m.card == Cardinality::kManyToOne || m.card == Cardinality::kOneToMany) {
    out += std::string(m.card == Cardinality::kManyToOne ? " group_left (" : " group_right (") +
           Join(m.include, ", ") + ")";
  }
  return out;
}

std::string AggregateText(const Expr& e) {
  std::string out = e.name;
  if (e.without) {
    out += " without (" + Join(e.grouping, ", ") + ") ";
  } else if (!e.grouping.empty()) {
    out += " by (" + Join(e.grouping, ", ") + ") ";
  }
  out += "(";
  if (e.rhs) out += FormatExpr(*e.rhs) + ", ";
  return out + FormatExpr(*e.lhs) + ")";
}

std::string CallText(const Expr& e) {
  std::vector<std::string> args;
  for (const auto& arg : e.args) args.push_back(FormatExpr(*arg));
  return std::string(e.func->name) + "(" + Join(args, ", ") + ")";
}

}  // namespace

std::string FormatExpr(const Expr& e) {
  switch (e.kind) {
    case NodeKind::kNumber:
      return GoFloatString(e.number);
    case NodeKind::kString:
      return GoQuote(e.str);
    case NodeKind::kVectorSelector:
      return SelectorText(e) + AtSuffix(e) + OffsetSuffix(e);
    case NodeKind::kMatrixSelector: {
      const Expr& vs = *e.lhs;
      return SelectorText(vs) + "[" + base::FormatDuration(e.range_ms) + "]" + AtSuffix(vs) +
             OffsetSuffix(vs);
    }
    case NodeKind::kSubquery:
      return FormatExpr(*e.lhs) + "[" + base::FormatDuration(e.range_ms) + ":" +
             (e.step_ms != 0 ? base::FormatDuration(e.step_ms) : "") + "]" + AtSuffix(e) +
             OffsetSuffix(e);
    case NodeKind::kParen:
      return "(" + FormatExpr(*e.lhs) + ")";
    case NodeKind::kUnary:
      return std::string(TokText(e.op)) + FormatExpr(*e.lhs);
    case NodeKind::kBinary:
      return FormatExpr(*e.lhs) + " " + std::string(TokText(e.op)) +
             (e.return_bool ? " bool" : "") + MatchingText(e.matching) + " " + FormatExpr(*e.rhs);
    case NodeKind::kCall:
      return CallText(e);
    case NodeKind::kAggregate:
      return AggregateText(e);
  }
  return "";
}

std::string GoFloatString(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  // Shortest round-trip digits in scientific form, then laid out the way Go's %v does.
  char sci[64];
  auto [end, ec] = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
  std::string text(sci, end);
  const size_t e_pos = text.find('e');
  std::string mantissa = text.substr(0, e_pos);
  const int exponent = std::stoi(text.substr(e_pos + 1));
  if (exponent < -4 || exponent >= 6) {  // strconv's %g threshold for shortest output
    char buf[16];
    std::snprintf(buf, sizeof buf, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    return mantissa + buf;
  }
  auto [fixed_end, fixed_ec] = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::fixed);
  return std::string(sci, fixed_end);
}

std::string GoQuote(const std::string& text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace tidemark::query
