// PlanCaching: whether a query's steps can be cached and merged independently of the query
// range, and what each step depends on.
#include <algorithm>

#include "query/result_cache.h"

namespace tidemark::query {
namespace {

struct Walk {
  int64_t lookback_ms;
  int64_t default_subquery_step_ms;
  CachePlan* plan;

  // How far before its evaluation time `e` reads samples; clears plan->cacheable when a step's
  // answer could depend on the query range or on samples after the step.
  int64_t Visit(const Expr& e) {
    if (e.at != AtKind::kNone || e.offset_ms < 0) plan->cacheable = false;
    switch (e.kind) {
      case NodeKind::kVectorSelector:
        AddName(e);
        return e.offset_ms + lookback_ms;
      case NodeKind::kMatrixSelector:
        Visit(*e.lhs);
        return e.lhs->offset_ms + e.range_ms;
      case NodeKind::kSubquery: {
        // The inner grid is aligned to multiples of its step, so it may start up to one step
        // earlier than the window.
        const int64_t step = e.step_ms > 0 ? e.step_ms : default_subquery_step_ms;
        return e.offset_ms + e.range_ms + step + Visit(*e.lhs);
      }
      default:
        break;
    }
    int64_t deepest = 0;
    if (e.lhs) deepest = std::max(deepest, Visit(*e.lhs));
    if (e.rhs) deepest = std::max(deepest, Visit(*e.rhs));
    for (const auto& arg : e.args) deepest = std::max(deepest, Visit(*arg));
    return deepest;
  }

  void AddName(const Expr& selector) {
    std::string name;
    for (const auto& m : selector.matchers) {
      if (m.name() == storage::kMetricNameLabel && m.type() == storage::MatchType::kEqual) {
        name = m.value();
      }
    }
    plan->metric_names.push_back(std::move(name));
  }
};

}  // namespace

CachePlan PlanCaching(const Expr& expr, int64_t lookback_ms, int64_t default_subquery_step_ms) {
  CachePlan plan;
  plan.cacheable = expr.type == ValueType::kVector || expr.type == ValueType::kScalar;
  Walk walk{lookback_ms, default_subquery_step_ms, &plan};
  plan.lookbehind_ms = walk.Visit(expr);
  auto& names = plan.metric_names;
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return plan;
}

}  // namespace tidemark::query
