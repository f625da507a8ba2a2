// Internal to the PromQL parser (parser.cc, parser_selectors.cc): the recursive-descent /
// precedence-climbing Parser class and its helpers. Not part of the query API.
//
// A Parser is used by one thread for one input.
#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "query/ast.h"
#include "query/lexer.h"
#include "query/parser.h"

namespace tidemark::query::parser_internal {

struct ParseError {
  size_t pos;
  std::string message;
};

[[noreturn]] inline void Fail(size_t pos, std::string message) {
  throw ParseError{pos, std::move(message)};
}

// Keywords that mean something only in one position (`bool`, `by`, `on`, `offset`, `start`, ...);
// anywhere else Prometheus reads them as plain names.
inline bool IsContextualKeyword(Tok t) { return t >= Tok::kBool && t <= Tok::kEnd; }

// Tokens that may stand for a metric or label name: identifiers, contextual keywords and the
// operators spelled as words (`and`, `or`, `unless`, `atan2`).
inline bool IsNameLikeToken(Tok t) {
  return t == Tok::kIdentifier || IsContextualKeyword(t) || (t >= Tok::kLand && t <= Tok::kAtan2);
}

// A token as Prometheus names it in "unexpected ..." errors: `identifier "x"`, `<bool>`,
// `<aggr:sum>`, `<op:+>`, `"("`, `end of input`.
inline std::string Describe(const Token& t) {
  switch (t.type) {
    case Tok::kEOF:
      return "end of input";
    case Tok::kIdentifier:
      return (t.text.find(':') == std::string::npos ? "identifier \"" : "metric identifier \"") +
             t.text + "\"";
    case Tok::kNumber:
      return "number \"" + t.text + "\"";
    case Tok::kDuration:
      return "duration \"" + t.text + "\"";
    case Tok::kString:
      return "string \"" + t.text + "\"";
    case Tok::kAggregator:
      return "<aggr:" + t.text + ">";
    default:
      break;
  }
  if (IsContextualKeyword(t.type)) return "<" + t.text + ">";
  if (t.type >= Tok::kEql && t.type <= Tok::kAtan2) return "<op:" + t.text + ">";
  return "\"" + t.text + "\"";
}

inline int Precedence(Tok t) {
  switch (t) {
    case Tok::kLor:
      return 1;
    case Tok::kLand:
    case Tok::kLunless:
      return 2;
    case Tok::kEql:
    case Tok::kNeq:
    case Tok::kLss:
    case Tok::kLte:
    case Tok::kGtr:
    case Tok::kGte:
      return 3;
    case Tok::kAdd:
    case Tok::kSub:
      return 4;
    case Tok::kMul:
    case Tok::kDiv:
    case Tok::kMod:
    case Tok::kAtan2:
      return 5;
    case Tok::kPow:
      return 6;
    default:
      return 0;
  }
}

inline bool IsComparison(Tok t) { return Precedence(t) == 3; }
inline bool IsSetOp(Tok t) { return t == Tok::kLand || t == Tok::kLor || t == Tok::kLunless; }

inline ExprPtr NewNode(NodeKind kind, size_t pos, ValueType type) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->pos = pos;
  e->type = type;
  return e;
}

// Sets e->height from its children; fails when the tree grows too tall.
inline void SetHeight(Expr* e) {
  int h = 0;
  if (e->lhs != nullptr) h = std::max(h, e->lhs->height);
  if (e->rhs != nullptr) h = std::max(h, e->rhs->height);
  for (const auto& a : e->args) h = std::max(h, a->height);
  e->height = h + 1;
  if (e->height > kMaxTreeHeight) Fail(e->pos, "expression nesting depth exceeded");
}

// Tokens Prometheus' grammar accepts as a metric name (keywords included).
inline bool IsMetricNameToken(Tok t) {
  switch (t) {
    case Tok::kIdentifier:
    case Tok::kAggregator:
    case Tok::kBy:
    case Tok::kWithout:
    case Tok::kLand:
    case Tok::kLor:
    case Tok::kLunless:
    case Tok::kOffset:
    case Tok::kStart:
    case Tok::kEnd:
      return true;
    default:
      return false;
  }
}

// The value of a duration token; Prometheus rejects zero durations.
inline int64_t PositiveDuration(const Token& t) {
  if (t.duration_ms <= 0) Fail(t.pos, "duration must be greater than 0");
  return t.duration_ms;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) {}
  // Accept selectors whose matchers all match the empty string (`{job=""}`): the HTTP API
  // checks that itself, with its own message.
  void AllowEmptySelectors() { allow_empty_selectors_ = true; }

  ExprPtr ParseAll() {
    if (Peek().type == Tok::kEOF) Fail(0, "no expression found in input");
    ExprPtr e = ParseBinary(1);
    CheckLexError(Peek());
    if (Peek().type != Tok::kEOF) Fail(Peek().pos, "unexpected " + Describe(Peek()));
    // Type errors surface only once the syntax is known to be valid, as in Prometheus.
    if (semantic_.has_value()) throw *semantic_;
    return e;
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    const size_t i = std::min(pos_ + ahead, toks_.size() - 1);
    return toks_[i];
  }
  Token Next() {
    Token t = Peek();
    CheckLexError(t);
    if (pos_ < toks_.size() - 1) ++pos_;
    return t;
  }
  static void CheckLexError(const Token& t) {
    if (t.type == Tok::kError) Fail(t.pos, t.text);
  }
  Token Expect(Tok type, std::string_view context) {
    CheckLexError(Peek());
    if (Peek().type != type) {
      Fail(Peek().pos, "unexpected " + Describe(Peek()) + " in " + std::string(context));
    }
    return Next();
  }

  struct DepthGuard {
    explicit DepthGuard(Parser* p, size_t pos) : p(p) {
      if (++p->depth_ > kMaxParseDepth) Fail(pos, "expression nesting depth exceeded");
    }
    ~DepthGuard() { --p->depth_; }
    Parser* p;
  };

  ExprPtr ParseBinary(int min_prec);
  void ParseBinaryModifiers(Expr* bin);
  void CheckBinary(Expr* bin, size_t op_pos);
  ExprPtr ParseUnary();
  ExprPtr ParsePrimary();
  ExprPtr ParseIdentifier();
  ExprPtr ParseCall(const FunctionDef* def, size_t pos);
  std::vector<ExprPtr> ParseArgs(std::string_view context);
  void ExpectType(const Expr& e, ValueType want, const std::string& context);
  void CheckCall(Expr* call);
  std::vector<std::string> ParseLabelList();
  static bool IsLabelNameToken(const Token& t);
  ExprPtr ParseAggregate();
  ExprPtr ParseVectorSelector(const std::string& name, size_t pos);
  void ParseMatchers(Expr* vs);
  static Expr* ModifierTarget(Expr* e);
  ExprPtr ParsePostfix(ExprPtr e);
  ExprPtr ParseRangeOrSubquery(ExprPtr e);
  void ParseOffset(Expr* e);
  void ParseAt(Expr* e);
  int64_t ParseAtTimestamp();

  // Records a type-check error; the first one is reported after a successful syntax parse.
  void Semantic(size_t pos, std::string message) {
    if (!semantic_.has_value()) semantic_ = ParseError{pos, std::move(message)};
  }

  std::vector<Token> toks_;
  std::optional<ParseError> semantic_;
  size_t pos_ = 0;
  int depth_ = 0;
  bool allow_empty_selectors_ = false;
};

}  // namespace tidemark::query::parser_internal
