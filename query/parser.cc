#include "query/parser.h"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "query/functions.h"

namespace tidemark::query {
namespace {

struct ParseError {
  size_t pos;
  std::string message;
};

[[noreturn]] void Fail(size_t pos, std::string message) {
  throw ParseError{pos, std::move(message)};
}

std::string Describe(const Token& t) {
  switch (t.type) {
    case Tok::kEOF:
      return "end of input";
    case Tok::kIdentifier:
      return "identifier \"" + t.text + "\"";
    case Tok::kNumber:
      return "number \"" + t.text + "\"";
    case Tok::kDuration:
      return "duration \"" + t.text + "\"";
    case Tok::kString:
      return "string";
    default:
      break;
  }
  return "\"" + t.text + "\"";
}

int Precedence(Tok t) {
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

bool IsComparison(Tok t) { return Precedence(t) == 3; }
bool IsSetOp(Tok t) { return t == Tok::kLand || t == Tok::kLor || t == Tok::kLunless; }

ExprPtr NewNode(NodeKind kind, size_t pos, ValueType type) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->pos = pos;
  e->type = type;
  return e;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) {}

  ExprPtr ParseAll() {
    if (Peek().type == Tok::kEOF) Fail(0, "no expression found in input");
    ExprPtr e = ParseBinary(1);
    if (Peek().type != Tok::kEOF) {
      if (Peek().type == Tok::kRParen) Fail(Peek().pos, "unexpected right parenthesis ')'");
      Fail(Peek().pos, "unexpected " + Describe(Peek()));
    }
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

  ExprPtr ParseBinary(int min_prec) {
    DepthGuard guard(this, Peek().pos);
    ExprPtr lhs = ParseUnary();
    while (true) {
      CheckLexError(Peek());
      const Tok op = Peek().type;
      const int prec = Precedence(op);
      if (prec == 0 || prec < min_prec) break;
      const size_t op_pos = Next().pos;
      auto bin = NewNode(NodeKind::kBinary, lhs->pos, ValueType::kVector);
      bin->op = op;
      ParseBinaryModifiers(bin.get());
      bin->rhs = ParseBinary(op == Tok::kPow ? prec : prec + 1);
      bin->lhs = std::move(lhs);
      CheckBinary(bin.get(), op_pos);
      lhs = std::move(bin);
    }
    return lhs;
  }

  void ParseBinaryModifiers(Expr* bin) {
    if (Peek().type == Tok::kBool) {
      if (!IsComparison(bin->op))
        Fail(Peek().pos, "bool modifier can only be used on comparison operators");
      Next();
      bin->return_bool = true;
    }
    VectorMatching& m = bin->matching;
    if (IsSetOp(bin->op)) m.card = Cardinality::kManyToMany;
    if (Peek().type == Tok::kOn || Peek().type == Tok::kIgnoring) {
      m.on = Next().type == Tok::kOn;
      m.labels = ParseLabelList();
      if (Peek().type == Tok::kGroupLeft || Peek().type == Tok::kGroupRight) {
        const Token g = Next();
        if (IsSetOp(bin->op))
          Fail(g.pos,
               "no grouping allowed for \"" + std::string(TokText(bin->op)) + "\" operation");
        m.card = g.type == Tok::kGroupLeft ? Cardinality::kManyToOne : Cardinality::kOneToMany;
        if (Peek().type == Tok::kLParen) m.include = ParseLabelList();
      }
    }
    for (const auto& l : m.labels) {
      for (const auto& i : m.include) {
        if (l == i && m.on)
          Fail(bin->pos, "label \"" + l + "\" must not occur in ON and GROUP clause at once");
      }
    }
  }

  void CheckBinary(Expr* bin, size_t op_pos) {
    const ValueType lt = bin->lhs->type, rt = bin->rhs->type;
    auto operand_ok = [](ValueType t) {
      return t == ValueType::kScalar || t == ValueType::kVector;
    };
    if (!operand_ok(lt) || !operand_ok(rt)) {
      Fail(op_pos, "binary expression must contain only scalar and instant vector types");
    }
    const bool both_scalar = lt == ValueType::kScalar && rt == ValueType::kScalar;
    bin->type = both_scalar ? ValueType::kScalar : ValueType::kVector;
    if (IsComparison(bin->op) && both_scalar && !bin->return_bool) {
      Fail(op_pos, "comparisons between scalars must use BOOL modifier");
    }
    const bool has_matching = bin->matching.on || !bin->matching.labels.empty() ||
                              bin->matching.card == Cardinality::kManyToOne ||
                              bin->matching.card == Cardinality::kOneToMany;
    if ((lt != ValueType::kVector || rt != ValueType::kVector) && has_matching) {
      Fail(op_pos, "vector matching only allowed between instant vectors");
    }
    if (IsSetOp(bin->op) && (lt == ValueType::kScalar || rt == ValueType::kScalar)) {
      Fail(op_pos, "set operator \"" + std::string(TokText(bin->op)) +
                       "\" not allowed in binary scalar expression");
    }
    if (lt != ValueType::kVector || rt != ValueType::kVector) {
      bin->matching.card = Cardinality::kOneToOne;
    }
  }

  ExprPtr ParseUnary() {
    CheckLexError(Peek());
    if (Peek().type == Tok::kAdd || Peek().type == Tok::kSub) {
      const Token op = Next();
      ExprPtr operand = ParseBinary(6);
      if (operand->type != ValueType::kScalar && operand->type != ValueType::kVector) {
        Fail(op.pos,
             "unary expression only allowed on expressions of type scalar or instant vector, got "
             "\"" +
                 std::string(ValueTypeName(operand->type)) + "\"");
      }
      if (operand->kind == NodeKind::kNumber) {
        if (op.type == Tok::kSub) operand->number = -operand->number;
        operand->pos = op.pos;
        return operand;
      }
      auto u = NewNode(NodeKind::kUnary, op.pos, operand->type);
      u->op = op.type;
      u->lhs = std::move(operand);
      return u;
    }
    ExprPtr e = ParsePrimary();
    return ParsePostfix(std::move(e));
  }

  ExprPtr ParsePrimary() {
    const Token& t = Peek();
    CheckLexError(t);
    switch (t.type) {
      case Tok::kNumber: {
        auto e = NewNode(NodeKind::kNumber, t.pos, ValueType::kScalar);
        e->number = Next().number;
        return e;
      }
      case Tok::kString: {
        auto e = NewNode(NodeKind::kString, t.pos, ValueType::kString);
        e->str = Next().text;
        return e;
      }
      case Tok::kLParen: {
        const size_t open = Next().pos;
        auto e = NewNode(NodeKind::kParen, open, ValueType::kNone);
        e->lhs = ParseBinary(1);
        e->type = e->lhs->type;
        CheckLexError(Peek());
        if (Peek().type == Tok::kEOF) Fail(open, "unclosed left parenthesis");
        Expect(Tok::kRParen, "parenthesized expression");
        return e;
      }
      case Tok::kLBrace:
        return ParseVectorSelector("", t.pos);
      case Tok::kAggregator:
        return ParseAggregate();
      case Tok::kIdentifier:
      case Tok::kBool:
      case Tok::kBy:
      case Tok::kWithout:
      case Tok::kOn:
      case Tok::kIgnoring:
      case Tok::kGroupLeft:
      case Tok::kGroupRight:
      case Tok::kOffset:
      case Tok::kStart:
      case Tok::kEnd:
      case Tok::kLand:
      case Tok::kLor:
      case Tok::kLunless:
      case Tok::kAtan2:
        return ParseIdentifier();
      default:
        break;
    }
    if (t.type == Tok::kEOF) Fail(t.pos, "unexpected end of input");
    if (t.type == Tok::kRParen) Fail(t.pos, "unexpected right parenthesis ')'");
    Fail(t.pos, "unexpected " + Describe(t));
  }

  ExprPtr ParseIdentifier() {
    const Token id = Peek();
    if (Peek(1).type == Tok::kLParen) {
      if (id.type != Tok::kIdentifier && id.type != Tok::kStart && id.type != Tok::kEnd) {
        Fail(id.pos, "unexpected " + Describe(id));
      }
      const FunctionDef* def = FindFunction(id.text);
      if (def == nullptr) Fail(id.pos, "unknown function with name \"" + id.text + "\"");
      Next();
      return ParseCall(def, id.pos);
    }
    if (id.type != Tok::kIdentifier) Fail(id.pos, "unexpected " + Describe(id));
    Next();
    return ParseVectorSelector(id.text, id.pos);
  }

  ExprPtr ParseCall(const FunctionDef* def, size_t pos) {
    auto call = NewNode(NodeKind::kCall, pos, def->return_type);
    call->func = def;
    call->args = ParseArgs("function call");
    CheckCall(call.get());
    return call;
  }

  std::vector<ExprPtr> ParseArgs(std::string_view context) {
    const size_t open = Expect(Tok::kLParen, context).pos;
    std::vector<ExprPtr> args;
    if (Peek().type == Tok::kRParen) {
      Next();
      return args;
    }
    while (true) {
      args.push_back(ParseBinary(1));
      CheckLexError(Peek());
      if (Peek().type == Tok::kComma) {
        Next();
        continue;
      }
      if (Peek().type == Tok::kEOF) Fail(open, "unclosed left parenthesis");
      Expect(Tok::kRParen, context);
      return args;
    }
  }

  static void ExpectType(const Expr& e, ValueType want, const std::string& context) {
    if (e.type != want) {
      Fail(e.pos, "expected type " + std::string(ValueTypeName(want)) + " in " + context +
                      ", got " + std::string(ValueTypeName(e.type)));
    }
  }

  void CheckCall(Expr* call) {
    const FunctionDef& f = *call->func;
    const size_t nargs = f.arg_types.size(), got = call->args.size();
    const std::string name(f.name);
    if (f.variadic == 0 && nargs != got) {
      Fail(call->pos, "expected " + std::to_string(nargs) + " argument(s) in call to \"" + name +
                          "\", got " + std::to_string(got));
    }
    if (f.variadic != 0) {
      const size_t min_args = nargs - 1;
      if (got < min_args) {
        Fail(call->pos, "expected at least " + std::to_string(min_args) +
                            " argument(s) in call to \"" + name + "\", got " + std::to_string(got));
      }
      const size_t max_args = min_args + static_cast<size_t>(f.variadic);
      if (f.variadic > 0 && got > max_args) {
        Fail(call->pos, "expected at most " + std::to_string(max_args) +
                            " argument(s) in call to \"" + name + "\", got " + std::to_string(got));
      }
    }
    for (size_t i = 0; i < got; ++i) {
      size_t ti = i;
      if (ti >= nargs) {
        if (f.variadic != -1) break;
        ti = nargs - 1;
      }
      ExpectType(*call->args[i], f.arg_types[ti], "call to function \"" + name + "\"");
    }
  }

  std::vector<std::string> ParseLabelList() {
    const size_t open = Expect(Tok::kLParen, "grouping opts").pos;
    std::vector<std::string> labels;
    while (true) {
      CheckLexError(Peek());
      const Token& t = Peek();
      if (t.type == Tok::kRParen) {
        Next();
        return labels;
      }
      if (t.type == Tok::kEOF) Fail(open, "unclosed left parenthesis");
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

  static bool IsLabelNameToken(const Token& t) {
    if (t.text.empty()) return false;
    switch (t.type) {
      case Tok::kIdentifier:
      case Tok::kAggregator:
      case Tok::kBool:
      case Tok::kBy:
      case Tok::kWithout:
      case Tok::kOn:
      case Tok::kIgnoring:
      case Tok::kGroupLeft:
      case Tok::kGroupRight:
      case Tok::kOffset:
      case Tok::kStart:
      case Tok::kEnd:
      case Tok::kLand:
      case Tok::kLor:
      case Tok::kLunless:
      case Tok::kAtan2:
        return t.text.find(':') == std::string::npos;
      case Tok::kNumber:
        return t.text == "inf" || t.text == "nan" || t.text == "Inf" || t.text == "NaN";
      default:
        return false;
    }
  }

  ExprPtr ParseAggregate() {
    const Token op = Next();
    auto agg = NewNode(NodeKind::kAggregate, op.pos, ValueType::kVector);
    agg->name = op.text;
    bool have_grouping = false;
    auto grouping = [&] {
      if (Peek().type != Tok::kBy && Peek().type != Tok::kWithout) return;
      if (have_grouping) Fail(Peek().pos, "unexpected " + Describe(Peek()) + " in aggregation");
      agg->without = Next().type == Tok::kWithout;
      agg->grouping = ParseLabelList();
      have_grouping = true;
    };
    grouping();
    std::vector<ExprPtr> args = ParseArgs("aggregation");
    grouping();
    const bool takes_param = agg->name == "topk" || agg->name == "bottomk" ||
                             agg->name == "quantile" || agg->name == "count_values";
    const size_t want = takes_param ? 2 : 1;
    if (args.size() != want) {
      Fail(op.pos, (args.size() > want ? "too many" : "wrong number of") +
                       std::string(" arguments for aggregate expression provided, expected ") +
                       std::to_string(want) + ", got " + std::to_string(args.size()));
    }
    if (takes_param) agg->rhs = std::move(args[0]);
    agg->lhs = std::move(args.back());
    ExpectType(*agg->lhs, ValueType::kVector, "aggregation expression");
    if (takes_param) {
      const ValueType pt = agg->name == "count_values" ? ValueType::kString : ValueType::kScalar;
      ExpectType(*agg->rhs, pt, "aggregation parameter");
    }
    return agg;
  }

  ExprPtr ParseVectorSelector(const std::string& name, size_t pos) {
    auto vs = NewNode(NodeKind::kVectorSelector, pos, ValueType::kVector);
    vs->name = name;
    if (Peek().type == Tok::kLBrace) ParseMatchers(vs.get());
    if (!name.empty()) {
      for (const auto& m : vs->matchers) {
        if (m.name() == storage::kMetricNameLabel) {
          Fail(pos, "metric name must not be set twice: \"" + name + "\" or \"" + m.value() + "\"");
        }
      }
      vs->matchers.push_back(storage::Matcher::Equal(std::string(storage::kMetricNameLabel), name));
    }
    bool any_non_empty = false;
    for (const auto& m : vs->matchers) any_non_empty = any_non_empty || !m.MatchesEmpty();
    if (!any_non_empty) Fail(pos, "vector selector must contain at least one non-empty matcher");
    return vs;
  }

  void ParseMatchers(Expr* vs) {
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
  static Expr* ModifierTarget(Expr* e) {
    if (e->kind == NodeKind::kVectorSelector || e->kind == NodeKind::kSubquery) return e;
    if (e->kind == NodeKind::kMatrixSelector) return e->lhs.get();
    return nullptr;
  }

  ExprPtr ParsePostfix(ExprPtr e) {
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

  ExprPtr ParseRangeOrSubquery(ExprPtr e) {
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
      sq->range_ms = range.duration_ms;
      if (Peek().type == Tok::kDuration) sq->step_ms = Next().duration_ms;
      Expect(Tok::kRBracket, "subquery selector");
      if (e->type != ValueType::kVector && e->type != ValueType::kScalar) {
        Fail(e->pos, "subquery is only allowed on instant vector, got " +
                         std::string(ValueTypeName(e->type)) + " instead");
      }
      sq->lhs = std::move(e);
      return sq;
    }
    if (Peek().type != Tok::kRBracket) {
      CheckLexError(Peek());
      Fail(Peek().pos,
           "unexpected " + Describe(Peek()) + " in subquery selector, expected \":\" or \"]\"");
    }
    Next();
    if (e->kind != NodeKind::kVectorSelector)
      Fail(open, "ranges only allowed for vector selectors");
    if (e->has_offset || e->at != AtKind::kNone)
      Fail(open, "no offset modifiers allowed before range");
    auto ms = NewNode(NodeKind::kMatrixSelector, e->pos, ValueType::kMatrix);
    ms->range_ms = range.duration_ms;
    ms->lhs = std::move(e);
    return ms;
  }

  void ParseOffset(Expr* e) {
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
    target->offset_ms = negative ? -d.duration_ms : d.duration_ms;
  }

  void ParseAt(Expr* e) {
    const size_t at = Next().pos;
    Expr* target = ModifierTarget(e);
    if (target == nullptr) {
      Fail(at,
           "@ modifier must be preceded by an instant vector selector or range vector selector or "
           "a subquery");
    }
    if (target->at != AtKind::kNone) Fail(at, "@ <timestamp> may not be set multiple times");
    CheckLexError(Peek());
    if (Peek().type == Tok::kStart || Peek().type == Tok::kEnd) {
      const bool start = Next().type == Tok::kStart;
      Expect(Tok::kLParen, "@ modifier");
      Expect(Tok::kRParen, "@ modifier");
      target->at = start ? AtKind::kStart : AtKind::kEnd;
      return;
    }
    bool negative = false;
    if (Peek().type == Tok::kSub || Peek().type == Tok::kAdd) negative = Next().type == Tok::kSub;
    const Token n = Peek();
    if (n.type != Tok::kNumber) {
      CheckLexError(n);
      Fail(n.pos, "unexpected " + Describe(n) + " in @, expected timestamp");
    }
    Next();
    const double secs = negative ? -n.number : n.number;
    if (!std::isfinite(secs) || std::abs(secs) > 9.2e15) {
      Fail(n.pos, "timestamp out of bounds for @ modifier: " + FormatFloat(secs));
    }
    target->at = AtKind::kTimestamp;
    target->at_ms = static_cast<int64_t>(std::llround(secs * 1000));
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
};

std::string Position(std::string_view input, size_t pos) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < pos && i < input.size(); ++i) {
    if (input[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return std::to_string(line) + ":" + std::to_string(col);
}

}  // namespace

base::Result<ExprPtr> ParseExpr(std::string_view input) {
  try {
    Parser parser(Lex(input));
    return parser.ParseAll();
  } catch (const ParseError& e) {
    return base::Status::InvalidArgument(Position(input, e.pos) + ": parse error: " + e.message);
  }
}

}  // namespace tidemark::query
