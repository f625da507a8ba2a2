// Aggregation operators: sum avg min max count group stddev stdvar topk bottomk quantile
// count_values, grouped `by` or `without` labels, evaluated per step.
#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "query/eval_error.h"
#include "query/evaluator.h"
#include "query/functions.h"

namespace tidemark::query {
namespace {

using storage::Label;
using storage::Labels;

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

Labels GroupLabels(const Labels& l, const Expr& e) {
  std::vector<Label> out;
  for (const Label& label : l) {
    const bool listed = Contains(e.grouping, label.name);
    if (e.without ? (!listed && label.name != storage::kMetricNameLabel) : listed) {
      out.push_back(label);
    }
  }
  return Labels(std::move(out));
}

struct Group {
  Labels metric;
  double value = 0;
  double mean = 0;
  double count = 0;
  std::vector<const StepSample*> members;  // topk/bottomk/quantile
};

void Accumulate(const std::string& op, Group* g, const StepSample& s, bool first) {
  const double v = s.v;
  if (first) {
    g->value = v;
    g->mean = v;
    g->count = 1;
    if (op == "stddev" || op == "stdvar") g->value = 0;
    return;
  }
  g->count++;
  if (op == "sum") {
    g->value += v;
  } else if (op == "avg") {
    if (std::isinf(g->mean)) {
      if (std::isinf(v) && (g->mean > 0) == (v > 0)) return;
      if (!std::isinf(v) && !std::isnan(v)) return;
    }
    g->mean += v / g->count - g->mean / g->count;
  } else if (op == "max") {
    if (g->value < v || std::isnan(g->value)) g->value = v;
  } else if (op == "min") {
    if (g->value > v || std::isnan(g->value)) g->value = v;
  } else if (op == "stddev" || op == "stdvar") {
    const double delta = v - g->mean;
    g->mean += delta / g->count;
    g->value += delta * (v - g->mean);
  }
}

double Finalize(const std::string& op, const Group& g) {
  if (op == "avg") return g.mean;
  if (op == "count") return g.count;
  if (op == "group") return 1;
  if (op == "stdvar") return g.value / g.count;
  if (op == "stddev") return std::sqrt(g.value / g.count);
  return g.value;
}

// topk keeps the k largest (NaN smallest), bottomk the k smallest (NaN largest); the order is
// best-first, ties in input order.
void SelectK(const std::string& op, double param, Group* g, int64_t ts, MatrixBuilder* out) {
  if (std::isnan(param) || param >= 9.2e18 || param <= -9.2e18) {
    ThrowExecError("Scalar value " + FormatFloat(param) + " overflows int64");
  }
  const int64_t k = static_cast<int64_t>(param);
  if (k < 1) return;
  const bool top = op == "topk";
  std::stable_sort(g->members.begin(), g->members.end(),
                   [top](const StepSample* a, const StepSample* b) {
                     if (std::isnan(a->v)) return false;
                     if (std::isnan(b->v)) return true;
                     return top ? a->v > b->v : a->v < b->v;
                   });
  const size_t n = std::min(g->members.size(), static_cast<size_t>(k));
  for (size_t i = 0; i < n; ++i) out->Add(*g->members[i]->metric, ts, g->members[i]->v);
}

bool ValidLabelName(const std::string& s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
                    (i > 0 && std::isdigit(static_cast<unsigned char>(c)));
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Matrix Evaluator::EvalAggregate(const Expr& e, const Steps& s) {
  const std::string& op = e.name;
  Matrix input = Eval(*e.lhs, s);
  std::vector<double> params;
  std::string label;
  if (e.rhs != nullptr) {
    if (op == "count_values") {
      label = Unparen(e.rhs.get())->str;
      if (!ValidLabelName(label)) ThrowExecError("invalid label name \"" + label + "\"");
    } else {
      params = EvalScalarSteps(*e.rhs, s);
    }
  }
  const bool select_k = op == "topk" || op == "bottomk";
  // Group labels and their hashes per input series (they do not change between steps).
  std::vector<Labels> keys;
  std::vector<uint64_t> hashes;
  for (const Series& series : input) {
    keys.push_back(GroupLabels(series.metric, e));
    hashes.push_back(keys.back().Hash());
  }
  Matrix result = PerStep({&input}, s, [&](int64_t ts, size_t step, auto& in, MatrixBuilder* out) {
    std::unordered_map<uint64_t, size_t> index;
    std::vector<Group> groups;
    for (const StepSample& smp : in[0]) {
      Labels key;
      uint64_t hash = hashes[smp.index];
      if (op == "count_values") {
        std::vector<Label> l = keys[smp.index].labels();
        l.push_back({label, FormatFloat(smp.v)});
        key = Labels(std::move(l));
        hash = key.Hash();
      }
      auto [it, inserted] = index.try_emplace(hash, groups.size());
      if (inserted)
        groups.push_back(Group{op == "count_values" ? std::move(key) : keys[smp.index]});
      Group& g = groups[it->second];
      Accumulate(op == "count_values" ? "count" : op, &g, smp, inserted);
      g.members.push_back(&smp);
    }
    for (Group& g : groups) {
      if (select_k) {
        SelectK(op, params[step], &g, ts, out);
      } else if (op == "quantile") {
        std::vector<double> values;
        for (const StepSample* m : g.members) values.push_back(m->v);
        out->Add(g.metric, ts, Quantile(params[step], &values));
      } else {
        out->Add(g.metric, ts, Finalize(op == "count_values" ? "count" : op, g));
      }
    }
  });
  ReleaseSamples(input);
  return result;
}

}  // namespace tidemark::query
