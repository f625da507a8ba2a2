// Parsing of vector selectors, label matchers, grouping label lists and the postfix modifiers
// (range, subquery, offset, @).
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "query/parser_internal.h"

namespace tidemark::query::parser_internal {

std::vector<std::string> Parser::ParseLabelList() {
  Expect(Tok::kLParen, "grouping opts");
  std::vector<std::string> labels;
  while (true) {
    CheckLexError(Peek());
    const Token& t = Peek();
    if (t.type == Tok::kRParen) {
      Next();
      return labels;
    }
    if (t.type == Tok::kEOF) Fail(t.pos, "unclosed left parenthesis");
    if (!IsLabelNameToken(t))
      Fail(t.pos, "unexpected " + Describe(t) + " in grouping opts, expected label");
    labels.push_back(Next().text);
    if (Peek().type == Tok::kComma) {
      Next();
    } else if (Peek().type != Tok::kRParen) {
      Fail(Peek().pos,
           "unexpected " + Describe(Peek()) + " in grouping opts, expected \")\" or \",\"");
    }
  }
}

bool Parser::IsLabelNameToken(const Token& t) {
  if (t.text.empty()) return false;
  if (IsNameLikeToken(t.type) || t.type == Tok::kAggregator) {
    return t.text.find(':') == std::string::npos;
  }
  return t.type == Tok::kNumber &&
         (t.text == "inf" || t.text == "nan" || t.text == "Inf" || t.text == "NaN");
}

ExprPtr Parser::ParseVectorSelector(const std::string& name, size_t pos) {
  auto vs = NewNode(NodeKind::kVectorSelector, pos, ValueType::kVector);
  vs->name = name;
  if (Peek().type == Tok::kLBrace) ParseMatchers(vs.get());
  if (!name.empty()) {
    for (const auto& m : vs->matchers) {
      if (m.name() == storage::kMetricNameLabel) {
        Semantic(pos,
                 "metric name must not be set twice: \"" + name + "\" or \"" + m.value() + "\"");
      }
    }
    vs->matchers.push_back(storage::Matcher::Equal(std::string(storage::kMetricNameLabel), name));
  }
  bool any_non_empty = false;
  for (const auto& m : vs->matchers) any_non_empty = any_non_empty || !m.MatchesEmpty();
  if (!any_non_empty && !allow_empty_selectors_) {
    Semantic(pos, "vector selector must contain at least one non-empty matcher");
  }
  return vs;
}

void Parser::ParseMatchers(Expr* vs) {
  const size_t open = Next().pos;
  while (true) {
    CheckLexError(Peek());
    const Token& t = Peek();
    if (t.type == Tok::kRBrace) {
      Next();
      return;
    }
    if (t.type == Tok::kEOF) Fail(open, "unexpected end of input inside braces");
    if (!IsLabelNameToken(t))
      Fail(t.pos, "unexpected " + Describe(t) + " in label matching, expected label");
    const Token label = Next();
    CheckLexError(Peek());
    storage::MatchType mt;
    switch (Peek().type) {
      case Tok::kAssign:
        mt = storage::MatchType::kEqual;
        break;
      case Tok::kNeq:
        mt = storage::MatchType::kNotEqual;
        break;
      case Tok::kEqlRegex:
        mt = storage::MatchType::kRegexMatch;
        break;
      case Tok::kNeqRegex:
        mt = storage::MatchType::kRegexNoMatch;
        break;
      default:
        Fail(Peek().pos, "unexpected " + Describe(Peek()) +
                             " in label matching, expected label matching operator");
    }
    Next();
    const Token value = Expect(Tok::kString, "label matching");
    auto m = storage::Matcher::Make(mt, label.text, value.text);
    if (!m.ok()) Fail(value.pos, "invalid regular expression: " + m.status().message());
    vs->matchers.push_back(std::move(m.value()));
    if (Peek().type == Tok::kComma) {
      Next();
    } else if (Peek().type != Tok::kRBrace) {
      CheckLexError(Peek());
      Fail(Peek().pos,
           "unexpected " + Describe(Peek()) + " in label matching, expected \",\" or \"}\"");
    }
  }
}

// The node an offset/@ modifier attaches to, or null.

Expr* Parser::ModifierTarget(Expr* e) {
  if (e->kind == NodeKind::kVectorSelector || e->kind == NodeKind::kSubquery) return e;
  if (e->kind == NodeKind::kMatrixSelector) return e->lhs.get();
  return nullptr;
}

ExprPtr Parser::ParsePostfix(ExprPtr e) {
  while (true) {
    CheckLexError(Peek());
    switch (Peek().type) {
      case Tok::kLBracket:
        e = ParseRangeOrSubquery(std::move(e));
        break;
      case Tok::kOffset:
        ParseOffset(e.get());
        break;
      case Tok::kAt:
        ParseAt(e.get());
        break;
      default:
        return e;
    }
  }
}

ExprPtr Parser::ParseRangeOrSubquery(ExprPtr e) {
  const size_t open = Next().pos;
  const Token range = Peek();
  if (range.type != Tok::kDuration) {
    CheckLexError(range);
    Fail(range.pos, "unexpected " + Describe(range) + " in subquery selector, expected duration");
  }
  Next();
  if (Peek().type == Tok::kColon) {
    Next();
    auto sq = NewNode(NodeKind::kSubquery, e->pos, ValueType::kMatrix);
    sq->range_ms = PositiveDuration(range);
    if (Peek().type == Tok::kDuration) sq->step_ms = PositiveDuration(Next());
    Expect(Tok::kRBracket, "subquery selector");
    if (e->type != ValueType::kVector && e->type != ValueType::kScalar) {
      Semantic(e->pos, "subquery is only allowed on instant vector, got " +
                           std::string(ValueTypeName(e->type)) + " instead");
    }
    sq->lhs = std::move(e);
    SetHeight(sq.get());
    return sq;
  }
  if (Peek().type != Tok::kRBracket) {
    CheckLexError(Peek());
    Fail(Peek().pos,
         "unexpected " + Describe(Peek()) + " in subquery selector, expected \":\" or \"]\"");
  }
  Next();
  if (e->kind != NodeKind::kVectorSelector) Fail(open, "ranges only allowed for vector selectors");
  if (e->has_offset || e->at != AtKind::kNone)
    Fail(open, "no offset modifiers allowed before range");
  auto ms = NewNode(NodeKind::kMatrixSelector, e->pos, ValueType::kMatrix);
  ms->range_ms = PositiveDuration(range);
  ms->lhs = std::move(e);
  SetHeight(ms.get());
  return ms;
}

void Parser::ParseOffset(Expr* e) {
  const size_t at = Next().pos;
  Expr* target = ModifierTarget(e);
  if (target == nullptr) {
    Fail(at,
         "offset modifier must be preceded by an instant vector selector or range vector "
         "selector or a subquery");
  }
  if (target->has_offset) Fail(at, "offset may not be set multiple times");
  bool negative = false;
  if (Peek().type == Tok::kSub || Peek().type == Tok::kAdd) negative = Next().type == Tok::kSub;
  const Token d = Peek();
  if (d.type != Tok::kDuration) {
    CheckLexError(d);
    Fail(d.pos, "unexpected " + Describe(d) + " in offset, expected duration");
  }
  Next();
  target->has_offset = true;
  const int64_t ms = PositiveDuration(d);
  target->offset_ms = negative ? -ms : ms;
}

void Parser::ParseAt(Expr* e) {
  const size_t at = Next().pos;
  CheckLexError(Peek());
  AtKind kind = AtKind::kTimestamp;
  int64_t at_ms = 0;
  if (Peek().type == Tok::kStart || Peek().type == Tok::kEnd) {
    kind = Next().type == Tok::kStart ? AtKind::kStart : AtKind::kEnd;
    Expect(Tok::kLParen, "@ modifier");
    Expect(Tok::kRParen, "@ modifier");
  } else {
    at_ms = ParseAtTimestamp();
  }
  Expr* target = ModifierTarget(e);
  if (target == nullptr) {
    Fail(at,
         "@ modifier must be preceded by an instant vector selector or range vector selector or "
         "a subquery");
  }
  if (target->at != AtKind::kNone) Fail(e->pos, "@ <timestamp> may not be set multiple times");
  target->at = kind;
  target->at_ms = at_ms;
}

int64_t Parser::ParseAtTimestamp() {
  bool negative = false;
  if (Peek().type == Tok::kSub || Peek().type == Tok::kAdd) negative = Next().type == Tok::kSub;
  const Token n = Peek();
  if (n.type != Tok::kNumber) {
    CheckLexError(n);
    Fail(n.pos, "unexpected " + Describe(n) + " in @, expected timestamp");
  }
  Next();
  const double secs = negative ? -n.number : n.number;
  if (!std::isfinite(secs) || std::abs(secs) > kMaxQueryTimeMs / 1000) {
    Fail(n.pos, "timestamp out of bounds for @ modifier: " + FormatFloat(secs));
  }
  return static_cast<int64_t>(std::llround(secs * 1000));
}

}  // namespace tidemark::query::parser_internal
