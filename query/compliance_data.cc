#include "query/compliance_data.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>

namespace tidemark::query {
namespace {

using storage::Labels;

struct Case {
  std::string query;
  bool should_fail = false;
  std::vector<std::string> vars;
};

std::string Unquote(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.pop_back();
  if (s.size() < 2 || (s.front() != '\'' && s.front() != '"')) return s;
  const char q = s.front();
  std::string out;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    if (q == '\'' && s[i] == '\'' && s[i + 1] == '\'') {
      out.push_back('\'');
      ++i;
    } else if (q == '"' && s[i] == '\\') {
      out.push_back(s[++i]);
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<Case> LoadCases(const std::string& path) {
  std::ifstream in(path);
  std::vector<Case> cases;
  std::string line;
  while (std::getline(in, line)) {
    const size_t q = line.find("query: ");
    if (q != std::string::npos && line.find('#') > q) {
      cases.push_back({Unquote(line.substr(q + 7))});
      continue;
    }
    if (cases.empty()) continue;
    if (line.find("should_fail: true") != std::string::npos) cases.back().should_fail = true;
    const size_t v = line.find("variant_args: [");
    if (v == std::string::npos) continue;
    std::string list = line.substr(v + 15);
    size_t p = 0;
    while ((p = list.find('\'', p)) != std::string::npos) {
      const size_t e = list.find('\'', p + 1);
      cases.back().vars.push_back(list.substr(p + 1, e - p - 1));
      p = e + 1;
    }
  }
  return cases;
}

const std::map<std::string, std::vector<std::string>>& VariantValues() {
  static const auto* values = new std::map<std::string, std::vector<std::string>>{
      {"offset", {"1m", "5m", "10m"}},
      {"range", {"1s", "15s", "1m", "5m", "15m", "1h"}},
      {"arithBinOp", {"+", "-", "*", "/", "%", "^"}},
      {"compBinOp", {"==", "!=", "<", ">", "<=", ">="}},
      {"binOp", {"+", "-", "*", "/", "%", "^", "==", "!=", "<", ">", "<=", ">="}},
      {"simpleAggrOp", {"sum", "avg", "max", "min", "count", "stddev", "stdvar", "group"}},
      {"topBottomOp", {"topk", "bottomk"}},
      {"quantile", {"-0.5", "0.1", "0.5", "0.75", "0.95", "0.90", "0.99", "1", "1.5"}},
      {"simpleTimeAggrOp",
       {"sum", "avg", "max", "min", "count", "stddev", "stdvar", "last", "present"}},
      {"extrapolatedRateFunc", {"delta", "rate", "increase"}},
      {"instantRateFunc", {"idelta", "irate"}},
      {"clampFunc", {"clamp_min", "clamp_max"}},
      {"dateFunc",
       {"day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute", "month",
        "year"}},
      {"simpleMathFunc", {"abs",   "ceil", "floor", "exp",   "sqrt",  "ln",    "log2", "log10",
                          "round", "sgn",  "sin",   "cos",   "tan",   "asin",  "acos", "atan",
                          "sinh",  "cosh", "tanh",  "asinh", "acosh", "atanh", "deg",  "rad"}},
  };
  return *values;
}

void Expand(const Case& c, size_t var, const std::string& q, std::vector<std::string>* out) {
  if (var == c.vars.size()) {
    out->push_back(q);
    return;
  }
  const std::string variable = "{{." + c.vars[var] + "}}";
  for (const std::string& value : VariantValues().at(c.vars[var])) {
    std::string expanded = q;
    for (size_t p; (p = expanded.find(variable)) != std::string::npos;) {
      expanded.replace(p, variable.size(), value);
    }
    Expand(c, var + 1, expanded, out);
  }
}

void AddSeries(std::vector<MemorySeries>* data, Labels labels,
               const std::function<double(int64_t)>& f) {
  MemorySeries s{std::move(labels), {}};
  for (int64_t t = 0; t <= kDemoEnd; t += kDemoStep) s.samples.push_back({t, f(t)});
  data->push_back(std::move(s));
}

// Irregular series for the differential test: jittered scrape intervals, gaps longer than the
// lookback, counter resets and NaN values. Timestamps stay on whole seconds because promtool's
// OpenMetrics backfill reads float seconds and would round millisecond timestamps.
void AddIrregularSeries(std::vector<MemorySeries>* data) {
  for (int k = 0; k < 3; ++k) {
    MemorySeries counter{Labels{{"__name__", "irr_counter_total"}, {"k", std::to_string(k)}}, {}};
    MemorySeries gauge{Labels{{"__name__", "irr_gauge"}, {"k", std::to_string(k)}}, {}};
    double c = 0;
    uint64_t seed = 12345 + static_cast<uint64_t>(k);
    for (int64_t t = 0; t <= kDemoEnd;) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      const uint64_t r = seed >> 33;
      const bool in_gap = (t / 600'000) % 7 == static_cast<int64_t>(k) + 2;
      if (!in_gap) {
        c += static_cast<double>(r % 100) / 10;
        if (r % 53 == 0) c = static_cast<double>(r % 5);  // counter reset
        counter.samples.push_back({t, c});
        const double g = (r % 97 == 0) ? NAN : std::sin(static_cast<double>(t) / 4e5) * 50 + k;
        gauge.samples.push_back({t, g});
      }
      t += 1000 * (5 + static_cast<int64_t>(r % 21));  // 5s..25s, whole seconds
    }
    data->push_back(std::move(counter));
    data->push_back(std::move(gauge));
  }
}

}  // namespace

// A small imitation of the PromLabs demo service's metrics.
std::vector<MemorySeries> DemoData() {
  std::vector<MemorySeries> data;
  for (int i = 0; i < 3; ++i) {
    const std::string inst = "demo.promlabs.com:1000" + std::to_string(i);
    auto base = [&](const std::string& name) {
      return std::vector<storage::Label>{{"__name__", name}, {"instance", inst}, {"job", "demo"}};
    };
    auto with = [&](std::vector<storage::Label> l, std::vector<storage::Label> more) {
      l.insert(l.end(), more.begin(), more.end());
      return Labels(std::move(l));
    };
    for (const char* type : {"free", "buffers", "cached", "used"}) {
      AddSeries(&data, with(base("demo_memory_usage_bytes"), {{"type", type}}),
                [i](int64_t t) { return 1e9 + i * 1e8 + std::sin(t / 6e5) * 1e7; });
    }
    AddSeries(&data, Labels(base("demo_num_cpus")), [](int64_t) { return 4; });
    for (const char* mode : {"idle", "user", "system"}) {
      AddSeries(&data, with(base("demo_cpu_usage_seconds_total"), {{"mode", mode}}),
                [i](int64_t t) { return std::fmod(t / 1000.0 * (i + 1), 5000); });
    }
    AddSeries(&data, Labels(base("demo_disk_usage_bytes")),
              [](int64_t t) { return 5e10 + t * 10.0; });
    AddSeries(&data, Labels(base("demo_batch_last_success_timestamp_seconds")),
              [](int64_t t) { return std::floor(t / 600'000.0) * 600; });
    for (const char* le : {"0.05", "0.1", "0.25", "0.5", "1", "+Inf"}) {
      AddSeries(&data,
                with(base("demo_api_request_duration_seconds_bucket"),
                     {{"le", le}, {"method", "GET"}, {"path", "/api/foo"}, {"status", "200"}}),
                [le](int64_t t) {
                  return t / 1000.0 * (std::string(le) == "+Inf" ? 10 : std::atof(le) * 9);
                });
    }
    AddSeries(&data,
              with(base("demo_api_request_duration_seconds_count"),
                   {{"method", "GET"}, {"path", "/api/foo"}, {"status", "200"}}),
              [](int64_t t) { return t / 100.0; });
  }
  AddIrregularSeries(&data);
  return data;
}

std::vector<ComplianceQuery> LoadComplianceQueries(const std::string& path) {
  std::vector<ComplianceQuery> out;
  for (const Case& c : LoadCases(path)) {
    std::vector<std::string> queries;
    Expand(c, 0, c.query, &queries);
    for (std::string& q : queries) out.push_back({std::move(q), c.should_fail});
  }
  return out;
}

}  // namespace tidemark::query
