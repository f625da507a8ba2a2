#include "query/parser.h"

#include <cmath>
#include <string>

#include "gtest/gtest.h"
#include "query/functions.h"

namespace tidemark::query {
namespace {

ExprPtr MustParse(const std::string& q) {
  auto r = ParseExpr(q);
  EXPECT_TRUE(r.ok()) << q << ": " << r.status().ToString();
  return r.ok() ? std::move(r.value()) : nullptr;
}

std::string ErrorOf(const std::string& q) {
  auto r = ParseExpr(q);
  EXPECT_FALSE(r.ok()) << q;
  return r.ok() ? "" : r.status().message();
}

TEST(LexerTest, DurationsNumbersAndStrings) {
  auto toks = Lex("foo[1h30m] 0x1F 1e3 'a\\n' `raw\\n`");
  ASSERT_GE(toks.size(), 8u);
  EXPECT_EQ(toks[2].type, Tok::kDuration);
  EXPECT_EQ(toks[2].duration_ms, 5'400'000);
  EXPECT_EQ(toks[4].number, 31);
  EXPECT_EQ(toks[5].number, 1000);
  EXPECT_EQ(toks[6].text, "a\n");
  EXPECT_EQ(toks[7].text, "raw\\n");
}

TEST(ParserTest, Precedence) {
  auto e = MustParse("1 + 2 * 3 ^ 2 ^ 1");
  ASSERT_EQ(e->kind, NodeKind::kBinary);
  EXPECT_EQ(e->op, Tok::kAdd);
  EXPECT_EQ(e->rhs->op, Tok::kMul);
  EXPECT_EQ(e->rhs->rhs->op, Tok::kPow);
  EXPECT_EQ(e->rhs->rhs->rhs->op, Tok::kPow);  // right-associative
  auto u = MustParse("-2 ^ 2");
  ASSERT_EQ(u->kind, NodeKind::kUnary);
  auto n = MustParse("-1");
  ASSERT_EQ(n->kind, NodeKind::kNumber);
  EXPECT_EQ(n->number, -1);
  auto o = MustParse("a or b and c");
  EXPECT_EQ(o->op, Tok::kLor);
  EXPECT_EQ(o->rhs->op, Tok::kLand);
}

TEST(ParserTest, SelectorsAndModifiers) {
  auto e = MustParse("rate(http_requests{job=~\"a|b\", code!=\"500\",}[5m] offset -1m @ 100)");
  ASSERT_EQ(e->kind, NodeKind::kCall);
  const Expr& ms = *e->args[0];
  ASSERT_EQ(ms.kind, NodeKind::kMatrixSelector);
  EXPECT_EQ(ms.range_ms, 300'000);
  EXPECT_EQ(ms.lhs->offset_ms, -60'000);
  EXPECT_EQ(ms.lhs->at, AtKind::kTimestamp);
  EXPECT_EQ(ms.lhs->at_ms, 100'000);
  EXPECT_EQ(ms.lhs->matchers.size(), 3u);
  auto sq = MustParse("max_over_time((a + b)[10m:1m] @ end())");
  ASSERT_EQ(sq->args[0]->kind, NodeKind::kSubquery);
  EXPECT_EQ(sq->args[0]->step_ms, 60'000);
  EXPECT_EQ(sq->args[0]->at, AtKind::kEnd);
}

TEST(ParserTest, AggregationsAndMatching) {
  auto e = MustParse("sum without (a, b) (x) / on (c) group_left (d) count by (c) (y)");
  ASSERT_EQ(e->kind, NodeKind::kBinary);
  EXPECT_EQ(e->matching.card, Cardinality::kManyToOne);
  EXPECT_TRUE(e->matching.on);
  EXPECT_EQ(e->matching.include, std::vector<std::string>{"d"});
  EXPECT_TRUE(e->lhs->without);
  auto t = MustParse("topk(3, x) by (job)");
  EXPECT_EQ(t->name, "topk");
  EXPECT_EQ(t->grouping, std::vector<std::string>{"job"});
  auto b = MustParse("1 > bool 2");
  EXPECT_TRUE(b->return_bool);
  EXPECT_EQ(b->type, ValueType::kScalar);
  auto k = MustParse("SUM(x) BY (y)");
  EXPECT_EQ(k->name, "sum");
  auto metric = MustParse("sum{job=\"a\"} + Offset");
  EXPECT_EQ(metric->lhs->name, "sum");
  EXPECT_EQ(metric->rhs->name, "Offset");
  EXPECT_NE(ErrorOf("foo[0s]").find("duration must be greater than 0"), std::string::npos);
  EXPECT_EQ(ErrorOf("foo offset 0s"), "1:12: parse error: duration must be greater than 0");
}

TEST(ParserTest, ErrorsCarryPositions) {
  EXPECT_EQ(ErrorOf("sum(foo"), "1:8: parse error: unclosed left parenthesis");
  EXPECT_EQ(ErrorOf("sum("), "1:5: parse error: unclosed left parenthesis");
  EXPECT_EQ(ErrorOf("{}"),
            "1:1: parse error: vector selector must contain at least one non-empty matcher");
  EXPECT_EQ(ErrorOf("1 > 2"),
            "1:3: parse error: comparisons between scalars must use BOOL modifier");
  EXPECT_EQ(ErrorOf("rate(foo)"),
            "1:6: parse error: expected type range vector in call to function \"rate\", got "
            "instant vector");
  EXPECT_EQ(ErrorOf("nosuch(foo)"), "1:1: parse error: unknown function with name \"nosuch\"");
  EXPECT_EQ(ErrorOf("foo\n  + )"), "2:6: parse error: unexpected right parenthesis ')'");
  EXPECT_EQ(ErrorOf("nosuch(foo[)"),
            "1:12: parse error: unexpected \")\" in subquery selector, expected duration");
  EXPECT_EQ(ErrorOf("(1 == 2) + foo bool"), "1:16: parse error: unexpected <bool>");
  EXPECT_NE(ErrorOf("(1 + 2)[5m]").find("ranges only allowed for vector selectors"),
            std::string::npos);
  EXPECT_NE(ErrorOf("foo offset 1m offset 2m").find("offset may not be set multiple times"),
            std::string::npos);
  EXPECT_NE(ErrorOf("1 and 2").find("set operator"), std::string::npos);
  EXPECT_NE(ErrorOf("foo{a=~\"(\"}").find("invalid regular expression"), std::string::npos);
  EXPECT_NE(ErrorOf("\"unterminated").find("unterminated quoted string"), std::string::npos);
  EXPECT_NE(ErrorOf("").find("no expression found"), std::string::npos);
  EXPECT_NE(ErrorOf("foo[1000000000y]").find("not a valid duration string"), std::string::npos);
  EXPECT_EQ(
      ErrorOf("a < 1.2E345"),
      "1:5: parse error: error parsing number: strconv.ParseFloat: parsing \"1.2E345\": value "
      "out of range");
  EXPECT_NE(ErrorOf("foo[300y]").find("not a valid duration string"), std::string::npos);
  EXPECT_NE(ErrorOf("foo @ 1e300").find("timestamp out of bounds"), std::string::npos);
  MustParse("foo[290y] offset -290y @ 1e15");
  EXPECT_NE(ErrorOf("foo offset 999999999999999999999ms").find("not a valid duration"),
            std::string::npos);
}

TEST(ParserTest, DepthLimit) {
  std::string deep(1000, '(');
  deep += "1";
  deep += std::string(1000, ')');
  EXPECT_NE(ErrorOf(deep).find("nesting depth"), std::string::npos);
  std::string ok(50, '(');
  ok += "1";
  ok += std::string(50, ')');
  MustParse(ok);
}

TEST(ParserTest, FunctionArity) {
  EXPECT_NE(ErrorOf("label_join(x)").find("expected at least 3 argument(s)"), std::string::npos);
  EXPECT_NE(ErrorOf("round(x, 1, 2)").find("expected at most 2 argument(s)"), std::string::npos);
  MustParse("label_join(x, \"d\", \",\", \"a\", \"b\", \"c\")");
  MustParse("hour()");
  EXPECT_NE(FindFunction("histogram_quantile"), nullptr);
}

}  // namespace
}  // namespace tidemark::query

namespace tidemark::query {
namespace {

TEST(ParserTest, LongChainsAreBounded) {
  std::string chain = "1";
  for (int i = 0; i < 300; ++i) chain += " + 1";
  auto ok = ParseExpr(chain);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)->height, 301);
  std::string too_long = "a";
  for (int i = 0; i < 100'000; ++i) too_long += " or a";
  EXPECT_NE(ErrorOf(too_long).find("nesting depth exceeded"), std::string::npos);
}

}  // namespace
}  // namespace tidemark::query

namespace tidemark::query {
namespace {

TEST(ParseMetricSelectorTest, SelectorsOnly) {
  auto plain = ParseMetricSelector("up{job=\"api\"}");
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  ASSERT_EQ(plain->size(), 2u);
  auto empty = ParseMetricSelector("{job=\"\"}");
  ASSERT_TRUE(empty.ok()) << "the API words this case itself";
  EXPECT_TRUE((*empty)[0].MatchesEmpty());
  EXPECT_FALSE(ParseExpr("{job=\"\"}").ok());
  for (const char* bad : {"rate(x[5m])", "x offset 5m", "x[5m]", "1 + x", "x{"}) {
    auto result = ParseMetricSelector(bad);
    EXPECT_FALSE(result.ok()) << bad;
    if (!result.ok()) {
      EXPECT_NE(result.status().message().find("parse error"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace tidemark::query
