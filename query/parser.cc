#include "query/parser.h"

#include <cctype>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "query/functions.h"
#include "query/parser_internal.h"

namespace tidemark::query {
namespace parser_internal {

ExprPtr Parser::ParseBinary(int min_prec) {
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
    SetHeight(bin.get());
    lhs = std::move(bin);
  }
  return lhs;
}

void Parser::ParseBinaryModifiers(Expr* bin) {
  if (Peek().type == Tok::kBool) {
    if (!IsComparison(bin->op))
      Semantic(Peek().pos, "bool modifier can only be used on comparison operators");
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
        Semantic(g.pos,
                 "no grouping allowed for \"" + std::string(TokText(bin->op)) + "\" operation");
      m.card = g.type == Tok::kGroupLeft ? Cardinality::kManyToOne : Cardinality::kOneToMany;
      if (Peek().type == Tok::kLParen) m.include = ParseLabelList();
    }
  }
  for (const auto& l : m.labels) {
    for (const auto& i : m.include) {
      if (l == i && m.on)
        Semantic(bin->pos, "label \"" + l + "\" must not occur in ON and GROUP clause at once");
    }
  }
}

void Parser::CheckBinary(Expr* bin, size_t op_pos) {
  const ValueType lt = bin->lhs->type, rt = bin->rhs->type;
  auto operand_ok = [](ValueType t) { return t == ValueType::kScalar || t == ValueType::kVector; };
  if (!operand_ok(lt) || !operand_ok(rt)) {
    Semantic(op_pos, "binary expression must contain only scalar and instant vector types");
  }
  const bool both_scalar = lt == ValueType::kScalar && rt == ValueType::kScalar;
  bin->type = both_scalar ? ValueType::kScalar : ValueType::kVector;
  if (IsComparison(bin->op) && both_scalar && !bin->return_bool) {
    Semantic(op_pos, "comparisons between scalars must use BOOL modifier");
  }
  const bool has_matching = bin->matching.on || !bin->matching.labels.empty() ||
                            bin->matching.card == Cardinality::kManyToOne ||
                            bin->matching.card == Cardinality::kOneToMany;
  if ((lt != ValueType::kVector || rt != ValueType::kVector) && has_matching) {
    Semantic(op_pos, "vector matching only allowed between instant vectors");
  }
  if (IsSetOp(bin->op) && (lt == ValueType::kScalar || rt == ValueType::kScalar)) {
    Semantic(op_pos, "set operator \"" + std::string(TokText(bin->op)) +
                         "\" not allowed in binary scalar expression");
  }
  if (lt != ValueType::kVector || rt != ValueType::kVector) {
    bin->matching.card = Cardinality::kOneToOne;
  }
}

ExprPtr Parser::ParseUnary() {
  CheckLexError(Peek());
  if (Peek().type == Tok::kAdd || Peek().type == Tok::kSub) {
    const Token op = Next();
    ExprPtr operand = ParseBinary(6);
    if (operand->type != ValueType::kScalar && operand->type != ValueType::kVector) {
      Semantic(op.pos,
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
    SetHeight(u.get());
    return u;
  }
  ExprPtr e = ParsePrimary();
  return ParsePostfix(std::move(e));
}

ExprPtr Parser::ParsePrimary() {
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
      if (Peek().type == Tok::kEOF) Fail(Peek().pos, "unclosed left parenthesis");
      Expect(Tok::kRParen, "parenthesized expression");
      SetHeight(e.get());
      return e;
    }
    case Tok::kLBrace:
      return ParseVectorSelector("", t.pos);
    case Tok::kAggregator:
      // `sum` alone (or `sum{...}`) is a metric name, as in Prometheus' grammar.
      if (Peek(1).type == Tok::kLParen || Peek(1).type == Tok::kBy ||
          Peek(1).type == Tok::kWithout) {
        return ParseAggregate();
      }
      return ParseIdentifier();
    default:
      break;
  }
  if (IsNameLikeToken(t.type)) return ParseIdentifier();
  if (t.type == Tok::kEOF) Fail(t.pos, "unexpected end of input");
  if (t.type == Tok::kRParen) Fail(t.pos, "unexpected right parenthesis ')'");
  Fail(t.pos, "unexpected " + Describe(t));
}

ExprPtr Parser::ParseIdentifier() {
  const Token id = Peek();
  if (Peek(1).type == Tok::kLParen) {
    if (id.type != Tok::kIdentifier && id.type != Tok::kStart && id.type != Tok::kEnd) {
      Fail(id.pos, "unexpected " + Describe(id));
    }
    const FunctionDef* def = FindFunction(id.text);
    if (id.text.find(':') != std::string::npos) Fail(Peek(1).pos, "unexpected \"(\"");
    Next();
    if (def == nullptr) {
      ParseArgs("function call");
      Fail(id.pos, "unknown function with name \"" + id.text + "\"");
    }
    return ParseCall(def, id.pos);
  }
  if (!IsMetricNameToken(id.type)) Fail(id.pos, "unexpected " + Describe(id));
  Next();
  return ParseVectorSelector(id.text, id.pos);
}

ExprPtr Parser::ParseCall(const FunctionDef* def, size_t pos) {
  auto call = NewNode(NodeKind::kCall, pos, def->return_type);
  call->func = def;
  call->args = ParseArgs("function call");
  CheckCall(call.get());
  SetHeight(call.get());
  return call;
}

std::vector<ExprPtr> Parser::ParseArgs(std::string_view context) {
  Expect(Tok::kLParen, context);
  std::vector<ExprPtr> args;
  if (Peek().type == Tok::kRParen) {
    Next();
    return args;
  }
  while (true) {
    args.push_back(ParseBinary(1));
    CheckLexError(Peek());
    if (Peek().type == Tok::kComma) {
      const size_t comma = Next().pos;
      if (Peek().type == Tok::kRParen)
        Fail(comma, "trailing commas not allowed in function call args");
      continue;
    }
    if (Peek().type == Tok::kEOF) Fail(Peek().pos, "unclosed left parenthesis");
    Expect(Tok::kRParen, context);
    return args;
  }
}

void Parser::ExpectType(const Expr& e, ValueType want, const std::string& context) {
  if (e.type != want) {
    Semantic(e.pos, "expected type " + std::string(ValueTypeName(want)) + " in " + context +
                        ", got " + std::string(ValueTypeName(e.type)));
  }
}

void Parser::CheckCall(Expr* call) {
  const FunctionDef& f = *call->func;
  const size_t nargs = f.arg_types.size(), got = call->args.size();
  const std::string name(f.name);
  if (f.variadic == 0 && nargs != got) {
    Semantic(call->pos, "expected " + std::to_string(nargs) + " argument(s) in call to \"" + name +
                            "\", got " + std::to_string(got));
  }
  if (f.variadic != 0) {
    const size_t min_args = nargs - 1;
    if (got < min_args) {
      Semantic(call->pos, "expected at least " + std::to_string(min_args) +
                              " argument(s) in call to \"" + name + "\", got " +
                              std::to_string(got));
    }
    const size_t max_args = min_args + static_cast<size_t>(f.variadic);
    if (f.variadic > 0 && got > max_args) {
      Semantic(call->pos, "expected at most " + std::to_string(max_args) +
                              " argument(s) in call to \"" + name + "\", got " +
                              std::to_string(got));
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

ExprPtr Parser::ParseAggregate() {
  const Token op = Next();
  auto agg = NewNode(NodeKind::kAggregate, op.pos, ValueType::kVector);
  agg->name = op.text;
  for (char& c : agg->name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
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
  SetHeight(agg.get());
  return agg;
}

}  // namespace parser_internal

namespace {

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
    parser_internal::Parser parser(Lex(input));
    return parser.ParseAll();
  } catch (const parser_internal::ParseError& e) {
    return base::Status::InvalidArgument(Position(input, e.pos) + ": parse error: " + e.message);
  }
}

base::Result<std::vector<storage::Matcher>> ParseMetricSelector(std::string_view input) {
  try {
    parser_internal::Parser parser(Lex(input));
    parser.AllowEmptySelectors();
    ExprPtr expr = parser.ParseAll();
    if (expr->kind != NodeKind::kVectorSelector || expr->has_offset || expr->at != AtKind::kNone) {
      return base::Status::InvalidArgument(Position(input, expr->pos) +
                                           ": parse error: expected a series selector");
    }
    return std::move(expr->matchers);
  } catch (const parser_internal::ParseError& e) {
    return base::Status::InvalidArgument(Position(input, e.pos) + ": parse error: " + e.message);
  }
}

}  // namespace tidemark::query
