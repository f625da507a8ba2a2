// The PromQL abstract syntax tree the parser builds and the evaluator walks. One node struct for
// every kind keeps the tree simple; each kind uses the fields its comment names.
//
// Immutable after parsing; safe to share between threads for reading.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "query/lexer.h"
#include "query/value.h"
#include "storage/matcher.h"

namespace tidemark::query {

struct FunctionDef;

enum class NodeKind {
  kNumber,          // number
  kString,          // str
  kVectorSelector,  // name, matchers, offset_ms, at
  kMatrixSelector,  // lhs (a vector selector carrying offset/@), range_ms
  kSubquery,        // lhs, range_ms, step_ms (0: engine default), offset_ms, at
  kParen,           // lhs
  kUnary,           // op (kAdd or kSub), lhs
  kBinary,          // op, lhs, rhs, return_bool, matching
  kCall,            // func, args
  kAggregate,       // name (operator), lhs (expression), rhs (parameter or null), grouping
};

// The `@` modifier of a selector or subquery.
enum class AtKind { kNone, kTimestamp, kStart, kEnd };

enum class Cardinality { kOneToOne, kManyToOne, kOneToMany, kManyToMany };

struct VectorMatching {
  Cardinality card = Cardinality::kOneToOne;
  bool on = false;                   // `on(labels)`; otherwise `ignoring(labels)`
  std::vector<std::string> labels;   // matching labels
  std::vector<std::string> include;  // group_left/group_right labels
};

struct Expr {
  NodeKind kind = NodeKind::kNumber;
  size_t pos = 0;  // byte offset of the node's first token
  int height = 1;  // levels of the subtree rooted here (bounded by the parser)
  ValueType type = ValueType::kNone;

  double number = 0;
  std::string str;

  std::string name;
  std::vector<storage::Matcher> matchers;
  int64_t offset_ms = 0;
  bool has_offset = false;
  AtKind at = AtKind::kNone;
  int64_t at_ms = 0;

  int64_t range_ms = 0;
  int64_t step_ms = 0;

  Tok op = Tok::kEOF;
  bool return_bool = false;
  VectorMatching matching;

  const FunctionDef* func = nullptr;
  std::vector<std::unique_ptr<Expr>> args;

  std::vector<std::string> grouping;
  bool without = false;

  std::unique_ptr<Expr> lhs;
  std::unique_ptr<Expr> rhs;
};

using ExprPtr = std::unique_ptr<Expr>;

// Skips parentheses: the innermost non-paren node.
inline const Expr* Unparen(const Expr* e) {
  while (e->kind == NodeKind::kParen) e = e->lhs.get();
  return e;
}

}  // namespace tidemark::query
