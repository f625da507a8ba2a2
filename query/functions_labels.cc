// label_replace, label_join and histogram_quantile over classic (le-labelled) buckets.
#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <unordered_map>
#include <unordered_set>

#include "query/eval_error.h"
#include "query/evaluator.h"

namespace tidemark::query {
namespace {

using storage::Label;
using storage::Labels;

bool ValidLabelName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (!(std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
          (i > 0 && std::isdigit(static_cast<unsigned char>(c))))) {
      return false;
    }
  }
  return true;
}

const std::string& StringArg(const Expr& e) { return Unparen(&e)->str; }

Labels WithLabel(const Labels& l, const std::string& name, const std::string& value) {
  std::vector<Label> out;
  for (const Label& label : l) {
    if (label.name != name) out.push_back(label);
  }
  if (!value.empty()) out.push_back({name, value});
  return Labels(std::move(out));
}

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// Go's Regexp.ExpandString: $1, ${1}, $name, ${name}, $$.
std::string Expand(const RE2& re, std::string_view tmpl,
                   const std::vector<re2::StringPiece>& groups) {
  const auto& named = re.NamedCapturingGroups();
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '$' || i + 1 >= tmpl.size()) {
      out.push_back(tmpl[i]);
      continue;
    }
    if (tmpl[i + 1] == '$') {
      out.push_back('$');
      ++i;
      continue;
    }
    std::string name;
    size_t j = i + 1;
    if (tmpl[j] == '{') {
      size_t close = tmpl.find('}', j);
      if (close == std::string_view::npos) {
        out.push_back('$');
        continue;
      }
      name = std::string(tmpl.substr(j + 1, close - j - 1));
      bool ok = !name.empty();
      for (char c : name) ok = ok && IsWordChar(c);
      if (!ok) {
        out.push_back('$');
        continue;
      }
      j = close + 1;
    } else {
      while (j < tmpl.size() && IsWordChar(tmpl[j])) name.push_back(tmpl[j++]);
      if (name.empty()) {
        out.push_back('$');
        continue;
      }
    }
    i = j - 1;
    int index = -1;
    if (std::all_of(name.begin(), name.end(),
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      index = name.size() < 9 ? std::atoi(name.c_str()) : -1;
    } else if (auto it = named.find(name); it != named.end()) {
      index = it->second;
    }
    if (index >= 0 && static_cast<size_t>(index) < groups.size() &&
        groups[index].data() != nullptr) {
      out.append(groups[index].data(), groups[index].size());
    }
  }
  return out;
}

struct Bucket {
  double upper;
  double count;
};

double BucketQuantile(double q, std::vector<Bucket> b) {
  if (std::isnan(q)) return NAN;
  if (q < 0) return -INFINITY;
  if (q > 1) return INFINITY;
  std::sort(b.begin(), b.end(), [](const Bucket& x, const Bucket& y) { return x.upper < y.upper; });
  if (b.empty() || !std::isinf(b.back().upper) || b.back().upper < 0) return NAN;
  std::vector<Bucket> merged;
  for (const Bucket& x : b) {
    if (!merged.empty() && merged.back().upper == x.upper) {
      merged.back().count += x.count;
    } else {
      merged.push_back(x);
    }
  }
  double max = merged[0].count;
  for (Bucket& x : merged) {
    if (x.count > max) {
      max = x.count;
    } else if (x.count < max) {
      x.count = max;
    }
  }
  if (merged.size() < 2) return NAN;
  const double observations = merged.back().count;
  if (observations == 0) return NAN;
  double rank = q * observations;
  size_t i = 0;
  while (i < merged.size() - 1 && merged[i].count < rank) ++i;
  if (i == merged.size() - 1) return merged[merged.size() - 2].upper;
  if (i == 0 && merged[0].upper <= 0) return merged[0].upper;
  double start = 0, end = merged[i].upper, count = merged[i].count;
  if (i > 0) {
    start = merged[i - 1].upper;
    count -= merged[i - 1].count;
    rank -= merged[i - 1].count;
  }
  return start + (end - start) * (rank / count);
}

bool ParseLe(std::string_view s, double* out) {
  if (s.empty()) return false;
  std::string str(s);
  char* end = nullptr;
  *out = std::strtod(str.c_str(), &end);
  return end == str.c_str() + str.size();
}

}  // namespace

Matrix Evaluator::EvalLabelReplace(const Expr& e, const Steps& s) {
  const std::string& dst = StringArg(*e.args[1]);
  const std::string& repl = StringArg(*e.args[2]);
  const std::string& src = StringArg(*e.args[3]);
  const std::string& regex = StringArg(*e.args[4]);
  RE2 re("^(?:" + regex + ")$", RE2::Quiet);
  if (!re.ok()) ThrowExecError("invalid regular expression in label_replace(): " + regex);
  if (!ValidLabelName(dst))
    ThrowExecError("invalid destination label name in label_replace(): " + dst);
  Matrix in = Eval(*e.args[0], s);
  std::vector<re2::StringPiece> groups(static_cast<size_t>(re.NumberOfCapturingGroups()) + 1);
  for (Series& series : in) {
    const std::string value(series.metric.Get(src));
    if (!re.Match(value, 0, value.size(), RE2::ANCHOR_BOTH, groups.data(),
                  static_cast<int>(groups.size()))) {
      continue;
    }
    series.metric = WithLabel(series.metric, dst, Expand(re, repl, groups));
  }
  return MergeSameLabels(std::move(in));
}

Matrix Evaluator::EvalLabelJoin(const Expr& e, const Steps& s) {
  const std::string& dst = StringArg(*e.args[1]);
  const std::string& sep = StringArg(*e.args[2]);
  std::vector<std::string> srcs;
  for (size_t i = 3; i < e.args.size(); ++i) {
    srcs.push_back(StringArg(*e.args[i]));
    if (!ValidLabelName(srcs.back())) {
      ThrowExecError("invalid source label name in label_join(): " + srcs.back());
    }
  }
  if (!ValidLabelName(dst))
    ThrowExecError("invalid destination label name in label_join(): " + dst);
  Matrix in = Eval(*e.args[0], s);
  for (Series& series : in) {
    std::string joined;
    for (size_t i = 0; i < srcs.size(); ++i) {
      if (i > 0) joined += sep;
      joined += series.metric.Get(srcs[i]);
    }
    series.metric = WithLabel(series.metric, dst, joined);
  }
  return MergeSameLabels(std::move(in));
}

Matrix Evaluator::EvalHistogramQuantile(const Expr& e, const Steps& s) {
  Matrix q = Eval(*e.args[0], s);
  Matrix in = Eval(*e.args[1], s);
  std::vector<Labels> keys;
  std::vector<double> les;
  for (const Series& series : in) {
    double le = NAN;
    const bool ok = ParseLe(series.metric.Get("le"), &le);
    keys.push_back(ok ? WithLabel(DropMetricName(series.metric), "le", "") : Labels());
    les.push_back(ok ? le : NAN);
  }
  return PerStep({&q, &in}, s, [&](int64_t ts, size_t, auto& args, MatrixBuilder* out) {
    if (args[0].empty()) return;
    std::unordered_map<uint64_t, size_t> index;
    std::vector<std::pair<const Labels*, std::vector<Bucket>>> groups;
    std::vector<std::unordered_set<std::string_view>> seen_le;
    for (const StepSample& smp : args[1]) {
      const size_t k = smp.index;
      if (std::isnan(les[k])) continue;
      auto [it, inserted] = index.try_emplace(keys[k].Hash(), groups.size());
      if (inserted) {
        groups.push_back({&keys[k], {}});
        seen_le.emplace_back();
      }
      if (!seen_le[it->second].insert(in[k].metric.Get("le")).second) {
        ThrowExecError("vector cannot contain metrics with the same labelset");
      }
      groups[it->second].second.push_back({les[k], smp.v});
    }
    for (auto& [metric, buckets] : groups) {
      out->Add(*metric, ts, BucketQuantile(args[0][0].v, std::move(buckets)));
    }
  });
}

}  // namespace tidemark::query
