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

namespace {

// Per-series grouping keys, computed once (labels do not change between steps).
struct GroupKeys {
  std::vector<Labels> labels;
  std::vector<uint64_t> hashes;
};

GroupKeys MakeGroupKeys(const Matrix& input, const Expr& e) {
  GroupKeys keys;
  for (const Series& series : input) {
    keys.labels.push_back(GroupLabels(series.metric, e));
    keys.hashes.push_back(keys.labels.back().Hash());
  }
  return keys;
}

// Groups one step's samples. count_values groups by the value as well, under `value_label`.
std::vector<Group> GroupStep(const StepVector& in, const GroupKeys& keys, const std::string& op,
                             const std::string& value_label) {
  std::unordered_map<uint64_t, size_t> index;
  std::vector<Group> groups;
  const bool by_value = !value_label.empty();
  // Only these look at the members; the rest accumulate (a push per sample and step cost more
  // than the accumulation on a 1000-series avg).
  const bool keep_members = op == "topk" || op == "bottomk" || op == "quantile";
  for (const StepSample& smp : in) {
    Labels key;
    uint64_t hash = keys.hashes[smp.index];
    if (by_value) {
      std::vector<Label> l = keys.labels[smp.index].labels();
      l.push_back({value_label, FormatFloat(smp.v)});
      key = Labels(std::move(l));
      hash = key.Hash();
    }
    auto [it, inserted] = index.try_emplace(hash, groups.size());
    if (inserted) groups.push_back(Group{by_value ? std::move(key) : keys.labels[smp.index]});
    Group& g = groups[it->second];
    Accumulate(op, &g, smp, inserted);
    if (keep_members) g.members.push_back(&smp);
  }
  return groups;
}

void EmitGroups(const std::string& op, double param, std::vector<Group>* groups, int64_t ts,
                MatrixBuilder* out) {
  for (Group& g : *groups) {
    if (op == "topk" || op == "bottomk") {
      SelectK(op, param, &g, ts, out);
    } else if (op == "quantile") {
      std::vector<double> values;
      for (const StepSample* m : g.members) values.push_back(m->v);
      out->Add(g.metric, ts, Quantile(param, &values));
    } else {
      out->Add(g.metric, ts, Finalize(op, g));
    }
  }
}

}  // namespace

Matrix Evaluator::EvalAggregate(const Expr& e, const Steps& s) {
  // count_values counts per (group, value): a count over finer groups.
  const std::string op = e.name == "count_values" ? "count" : e.name;
  Matrix input = Eval(*e.lhs, s);
  std::vector<double> params(s.Count(), NAN);
  std::string value_label;
  if (e.name == "count_values") {
    value_label = Unparen(e.rhs.get())->str;
    if (!ValidLabelName(value_label)) ThrowExecError("invalid label name \"" + value_label + "\"");
  } else if (e.rhs != nullptr) {
    params = EvalScalarSteps(*e.rhs, s);
  }
  const GroupKeys keys = MakeGroupKeys(input, e);
  Matrix result = PerStep({&input}, s, [&](int64_t ts, size_t step, auto& in, MatrixBuilder* out) {
    std::vector<Group> groups = GroupStep(in[0], keys, op, value_label);
    EmitGroups(op, params[step], &groups, ts, out);
  });
  ReleaseSamples(input);
  return result;
}

}  // namespace tidemark::query
