// Binary operators: scalar/scalar, vector/scalar and vector/vector arithmetic and comparison
// (with `bool`), set operators, and vector matching (on/ignoring, group_left/group_right).
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "query/eval_error.h"
#include "query/evaluator.h"

namespace tidemark::query {
namespace {

using storage::Label;
using storage::Labels;

bool IsComparison(Tok op) {
  return op == Tok::kEql || op == Tok::kNeq || op == Tok::kLss || op == Tok::kLte ||
         op == Tok::kGtr || op == Tok::kGte;
}

bool DropsName(Tok op) {
  return op == Tok::kAdd || op == Tok::kSub || op == Tok::kMul || op == Tok::kDiv ||
         op == Tok::kMod || op == Tok::kPow;
}

// Prometheus' vectorElemBinop: the value and whether a comparison keeps the element.
std::pair<double, bool> ElemBinop(Tok op, double l, double r) {
  switch (op) {
    case Tok::kAdd:
      return {l + r, true};
    case Tok::kSub:
      return {l - r, true};
    case Tok::kMul:
      return {l * r, true};
    case Tok::kDiv:
      return {l / r, true};
    case Tok::kPow:
      return {std::pow(l, r), true};
    case Tok::kMod:
      return {std::fmod(l, r), true};
    case Tok::kAtan2:
      return {std::atan2(l, r), true};
    case Tok::kEql:
      return {l, l == r};
    case Tok::kNeq:
      return {l, l != r};
    case Tok::kGtr:
      return {l, l > r};
    case Tok::kLss:
      return {l, l < r};
    case Tok::kGte:
      return {l, l >= r};
    case Tok::kLte:
      return {l, l <= r};
    default:
      break;
  }
  throw EvalError{base::StatusCode::kInternal, "operator not allowed here"};
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The matching signature of a series: the `on` labels, or all but the `ignoring` ones and
// __name__.
std::string Signature(const Labels& l, const VectorMatching& m) {
  std::string sig;
  for (const Label& label : l) {
    const bool listed = Contains(m.labels, label.name);
    const bool take = m.on ? listed : (!listed && label.name != storage::kMetricNameLabel);
    if (!take) continue;
    sig += label.name;
    sig += '\xff';
    sig += label.value;
    sig += '\xff';
  }
  return sig;
}

std::string MatchLabelsString(const Labels& l, const VectorMatching& m) {
  std::vector<Label> out;
  for (const Label& label : l) {
    const bool listed = Contains(m.labels, label.name);
    if (m.on ? listed : (!listed && label.name != storage::kMetricNameLabel)) out.push_back(label);
  }
  return Labels(std::move(out)).ToString();
}

Labels ResultMetric(const Labels& lhs, const Labels& rhs, Tok op, const VectorMatching& m,
                    bool return_bool) {
  std::vector<Label> out;
  for (const Label& label : lhs) {
    if ((DropsName(op) || return_bool) && label.name == storage::kMetricNameLabel) continue;
    if (m.card == Cardinality::kOneToOne) {
      const bool listed = Contains(m.labels, label.name);
      if (m.on ? !listed : listed) continue;
    }
    if (Contains(m.include, label.name)) continue;
    out.push_back(label);
  }
  for (const std::string& name : m.include) {
    const std::string_view v = rhs.Get(name);
    if (!v.empty()) out.push_back({name, std::string(v)});
  }
  return Labels(std::move(out));
}

// Per-series values that do not change between steps: matching signatures and result labels.
struct BinopCache {
  std::vector<std::string> lsig, rsig;
  std::unordered_map<uint64_t, Labels> result;  // (many-side index, one-side index) -> labels
  std::vector<std::optional<Labels>> dropped;   // vector/scalar: labels without __name__

  void Init(const Matrix& lhs, const Matrix& rhs, const VectorMatching& m) {
    for (const Series& s : lhs) lsig.push_back(Signature(s.metric, m));
    for (const Series& s : rhs) rsig.push_back(Signature(s.metric, m));
  }
};

// Indexes the "one" side by signature; a repeated signature means many-to-many matching.
std::unordered_map<std::string_view, const StepSample*> IndexOneSide(
    const StepVector& one, const std::vector<std::string>& sigs, const VectorMatching& m,
    bool swapped) {
  std::unordered_map<std::string_view, const StepSample*> index;
  for (const StepSample& rs : one) {
    auto [it, inserted] = index.try_emplace(sigs[rs.index], &rs);
    if (inserted) continue;
    ThrowExecError("found duplicate series for the match group " +
                   MatchLabelsString(*rs.metric, m) + " on the " + (swapped ? "left" : "right") +
                   " hand-side of the operation: [" + rs.metric->ToString() + ", " +
                   it->second->metric->ToString() +
                   "];many-to-many matching not allowed: matching labels must be unique on "
                   "one side");
  }
  return index;
}

void VectorBinop(const Expr& e, StepVector lhs, StepVector rhs, int64_t ts, BinopCache* cache,
                 MatrixBuilder* out) {
  const VectorMatching& m = e.matching;
  const bool swapped = m.card == Cardinality::kOneToMany;
  if (swapped) std::swap(lhs, rhs);
  const std::vector<std::string>& lsig = swapped ? cache->rsig : cache->lsig;
  const auto right = IndexOneSide(rhs, swapped ? cache->lsig : cache->rsig, m, swapped);
  std::unordered_map<std::string_view, std::unordered_set<uint64_t>> matched;
  for (const StepSample& ls : lhs) {
    const std::string_view sig = lsig[ls.index];
    auto it = right.find(sig);
    if (it == right.end()) continue;
    const StepSample& rs = *it->second;
    double vl = ls.v, vr = rs.v;
    if (swapped) std::swap(vl, vr);
    auto [value, keep] = ElemBinop(e.op, vl, vr);
    if (e.return_bool) {
      value = keep ? 1.0 : 0.0;
    } else if (!keep) {
      continue;
    }
    const uint64_t key = (static_cast<uint64_t>(ls.index) << 32) | rs.index;
    auto rit = cache->result.find(key);
    if (rit == cache->result.end()) {
      rit = cache->result.emplace(key, ResultMetric(*ls.metric, *rs.metric, e.op, m, e.return_bool))
                .first;
    }
    const Labels& metric = rit->second;
    auto [mit, first] = matched.try_emplace(sig);
    if (m.card == Cardinality::kOneToOne) {
      if (!first) {
        ThrowExecError(
            "multiple matches for labels: many-to-one matching must be explicit "
            "(group_left/group_right)");
      }
    } else if (!mit->second.insert(metric.Hash()).second) {
      ThrowExecError("multiple matches for labels: grouping labels must ensure unique metric");
    }
    out->Add(metric, ts, value);
  }
}

void SetBinop(const Expr& e, const StepVector& lhs, const StepVector& rhs, int64_t ts,
              const BinopCache& cache, MatrixBuilder* out) {
  if (e.op == Tok::kLor) {
    std::unordered_set<std::string_view> left;
    for (const StepSample& ls : lhs) {
      left.insert(cache.lsig[ls.index]);
      out->Add(*ls.metric, ts, ls.v);
    }
    for (const StepSample& rs : rhs) {
      if (!left.contains(cache.rsig[rs.index])) out->Add(*rs.metric, ts, rs.v);
    }
    return;
  }
  std::unordered_set<std::string_view> right;
  for (const StepSample& rs : rhs) right.insert(cache.rsig[rs.index]);
  const bool want = e.op == Tok::kLand;
  for (const StepSample& ls : lhs) {
    if (right.contains(cache.lsig[ls.index]) == want) out->Add(*ls.metric, ts, ls.v);
  }
}

void VectorScalarBinop(const Expr& e, const StepVector& vec, double scalar, bool swap, int64_t ts,
                       BinopCache* cache, MatrixBuilder* out) {
  for (const StepSample& s : vec) {
    double l = s.v, r = scalar;
    if (swap) std::swap(l, r);
    auto [value, keep] = ElemBinop(e.op, l, r);
    if (IsComparison(e.op) && swap) value = r;
    if (e.return_bool) {
      value = keep ? 1.0 : 0.0;
      keep = true;
    }
    if (!keep) continue;
    if (!DropsName(e.op) && !e.return_bool) {
      out->Add(*s.metric, ts, value);
      continue;
    }
    if (cache->dropped.size() <= s.index) cache->dropped.resize(s.index + 1);
    auto& dropped = cache->dropped[s.index];
    if (!dropped.has_value()) dropped = DropMetricName(*s.metric);
    out->Add(*dropped, ts, value);
  }
}

}  // namespace

Matrix Evaluator::EvalBinaryOperands(const Expr& e, const Steps& s, const Matrix& lhs,
                                     const Matrix& rhs) {
  const ValueType lt = e.lhs->type, rt = e.rhs->type;
  if (lt == ValueType::kScalar && rt == ValueType::kScalar) {
    return PerStep({&lhs, &rhs}, s, [&](int64_t ts, size_t, auto& in, MatrixBuilder* out) {
      if (in[0].empty() || in[1].empty()) return;
      auto [value, keep] = ElemBinop(e.op, in[0][0].v, in[1][0].v);
      if (IsComparison(e.op)) value = keep ? 1.0 : 0.0;
      out->Add(Labels(), ts, value);
    });
  }
  BinopCache cache;
  if (lt == ValueType::kVector && rt == ValueType::kVector) {
    cache.Init(lhs, rhs, e.matching);
    return PerStep({&lhs, &rhs}, s, [&](int64_t ts, size_t, auto& in, MatrixBuilder* out) {
      if (e.matching.card == Cardinality::kManyToMany) {
        SetBinop(e, in[0], in[1], ts, cache, out);
      } else {
        VectorBinop(e, in[0], in[1], ts, &cache, out);
      }
    });
  }
  const bool scalar_left = lt == ValueType::kScalar;
  return PerStep({&lhs, &rhs}, s, [&](int64_t ts, size_t, auto& in, MatrixBuilder* out) {
    const StepVector& vec = scalar_left ? in[1] : in[0];
    const StepVector& sc = scalar_left ? in[0] : in[1];
    if (sc.empty()) return;
    VectorScalarBinop(e, vec, sc[0].v, scalar_left, ts, &cache, out);
  });
}

Matrix Evaluator::EvalBinary(const Expr& e, const Steps& s) {
  const Matrix lhs = Eval(*e.lhs, s);
  const Matrix rhs = Eval(*e.rhs, s);
  Matrix out = EvalBinaryOperands(e, s, lhs, rhs);
  ReleaseSamples(lhs);
  ReleaseSamples(rhs);
  return out;
}

}  // namespace tidemark::query
