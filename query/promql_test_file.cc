#include "query/promql_test_file.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "query/engine.h"
#include "query/lexer.h"
#include "storage/base/clock.h"
#include "storage/storage.h"

namespace tidemark::query {
namespace {

using storage::Labels;

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

bool ParseNumber(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

bool AlmostEqual(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == b) return true;
  constexpr double kMinNormal = 2.2250738585072014e-308;
  constexpr double kEpsilon = 0.000001;
  const double diff = std::abs(a - b);
  if (a == 0 || b == 0 || diff < kMinNormal) return diff < kEpsilon * kMinNormal;
  return diff / (std::abs(a) + std::abs(b)) < kEpsilon;
}

// Parses `metric{a="b", ...}` at the start of `s`; returns the rest.
std::string ParseSeriesLabels(const std::string& s, Labels* labels) {
  std::vector<storage::Label> out;
  size_t p = 0;
  while (p < s.size() &&
         (std::isalnum(static_cast<unsigned char>(s[p])) || s[p] == '_' || s[p] == ':'))
    ++p;
  if (p > 0) out.push_back({std::string(storage::kMetricNameLabel), s.substr(0, p)});
  if (p < s.size() && s[p] == '{') {
    ++p;
    while (p < s.size() && s[p] != '}') {
      while (p < s.size() && (s[p] == ' ' || s[p] == ',')) ++p;
      if (s[p] == '}') break;
      size_t n = p;
      while (n < s.size() && s[n] != '=') ++n;
      std::string name = Trim(s.substr(p, n - p));
      p = n + 1;
      while (p < s.size() && s[p] == ' ') ++p;
      const char quote = s[p++];
      std::string value;
      while (p < s.size() && s[p] != quote) {
        if (s[p] == '\\' && p + 1 < s.size()) {
          ++p;
          value.push_back(s[p] == 'n' ? '\n' : s[p]);
        } else {
          value.push_back(s[p]);
        }
        ++p;
      }
      ++p;
      out.push_back({name, value});
    }
    ++p;
  }
  *labels = Labels(std::move(out));
  return s.substr(std::min(p, s.size()));
}

// Expands one value item ("1", "_", "stale", "a+bxN", "a-bxN", "axN", "_xN"); nullopt = omitted.
std::vector<std::optional<double>> ExpandItem(const std::string& item) {
  std::vector<std::optional<double>> out;
  const size_t x = item.rfind('x');
  if (x == std::string::npos) {
    if (item == "_") return {std::nullopt};
    if (item == "stale") return {StaleNaN()};
    double v;
    ParseNumber(item, &v);
    return {v};
  }
  const int n = std::atoi(item.c_str() + x + 1);
  const std::string head = item.substr(0, x);
  if (head == "_") {
    for (int i = 0; i < n; ++i) out.push_back(std::nullopt);
    return out;
  }
  size_t op = std::string::npos;
  for (size_t i = 1; i < head.size(); ++i) {
    if ((head[i] == '+' || head[i] == '-') && head[i - 1] != 'e' && head[i - 1] != 'E') op = i;
  }
  double start = 0, step = 0;
  if (op == std::string::npos) {
    ParseNumber(head, &start);
  } else {
    ParseNumber(head.substr(0, op), &start);
    ParseNumber(head.substr(op + 1), &step);
    if (head[op] == '-') step = -step;
  }
  for (int i = 0; i <= n; ++i) {
    out.push_back(start);
    start += step;
  }
  return out;
}

struct Expected {
  bool scalar = false;
  double scalar_value = 0;
  std::map<Labels, std::pair<int, double>> series;  // labels -> (position, value)
};

class FileRunner {
 public:
  FileRunner(std::string path, std::string tmp, bool seal)
      : path_(std::move(path)), tmp_(std::move(tmp)), seal_(seal) {}

  TestFileResult Run() {
    std::ifstream in(path_);
    std::string line;
    while (std::getline(in, line)) lines_.push_back(line);
    for (size_t i = 0; i < lines_.size();) i = Command(i);
    if (storage_ != nullptr) (void)storage_->Close();
    return result_;
  }

 private:
  // Indented continuation lines after `i`, up to a blank line.
  std::vector<std::string> Block(size_t* i) {
    std::vector<std::string> out;
    while (*i < lines_.size()) {
      std::string t = Trim(lines_[*i]);
      if (t.empty()) break;
      if (t[0] == '#') {
        ++*i;
        continue;
      }
      out.push_back(t);
      ++*i;
    }
    return out;
  }

  size_t Command(size_t i) {
    const std::string t = Trim(lines_[i]);
    const size_t line_no = i + 1;
    ++i;
    if (t.empty() || t[0] == '#') return i;
    if (t == "clear") {
      Reset();
      return i;
    }
    if (t.rfind("load ", 0) == 0) {
      Load(t.substr(5), Block(&i));
      return i;
    }
    if (t.rfind("eval", 0) == 0) {
      Eval(t, Block(&i), line_no);
      return i;
    }
    Setup(path_ + ":" + std::to_string(line_no) + ": unknown command");
    return i;
  }

  void Setup(std::string failure) {
    result_.setup_failures++;
    result_.failures.push_back(std::move(failure));
  }

  void Reset() {
    if (storage_ != nullptr) (void)storage_->Close();
    storage_.reset();
  }

  storage::Storage* Store() {
    if (storage_ != nullptr) return storage_.get();
    storage::StorageOptions opts;
    opts.retention_ms = 1LL << 50;
    opts.max_future_skew_ms = 1LL << 50;
    opts.wal_sync = storage::SyncPolicy::kInterval;
    opts.maintenance_interval_ms = 0;
    opts.clock = &clock_;
    const std::string dir = tmp_ + "/db" + std::to_string(db_counter_++);
    std::filesystem::remove_all(dir);
    auto s = storage::Storage::Open(opts, dir);
    if (!s.ok()) {
      Setup(path_ + ": cannot open storage: " + s.status().ToString());
      return nullptr;
    }
    storage_ = std::move(s.value());
    return storage_.get();
  }

  void Load(const std::string& interval_text, const std::vector<std::string>& defs) {
    int64_t interval = 0;
    ParseDuration(Trim(interval_text), &interval);
    storage::WriteBatch batch;
    int64_t max_t = 0;
    for (const std::string& def : defs) {
      Labels labels;
      std::istringstream values(ParseSeriesLabels(def, &labels));
      std::string item;
      int64_t t = 0;
      while (values >> item) {
        for (const auto& v : ExpandItem(item)) {
          if (v.has_value()) batch.Add(labels, t, *v);
          max_t = std::max(max_t, t);
          t += interval;
        }
      }
    }
    storage::Storage* s = Store();
    if (s == nullptr) return;
    storage::AppendReport report;
    auto st = s->Append(batch, &report);
    if (!st.ok() || report.accepted != batch.num_samples()) {
      Setup(path_ + ": load failed: " + st.ToString());
    }
    if (seal_) {
      const uint64_t before = s->Stats().sealed_samples;
      st = s->Seal(max_t + 1);
      // Duplicate (series, time) pairs in one load collapse, so only require progress.
      if (!st.ok() || s->Stats().sealed_samples == before) {
        Setup(path_ + ": seal failed: " + st.ToString());
      }
    }
  }

  Expected ParseExpected(const std::vector<std::string>& lines) {
    Expected e;
    int pos = 0;
    for (const std::string& l : lines) {
      double v;
      if (ParseNumber(l, &v)) {
        e.scalar = true;
        e.scalar_value = v;
        continue;
      }
      Labels labels;
      std::istringstream rest(ParseSeriesLabels(l, &labels));
      std::string item;
      rest >> item;
      auto vals = ExpandItem(item);
      e.series[labels] = {++pos, vals.empty() || !vals[0] ? NAN : *vals[0]};
    }
    return e;
  }

  static std::string CompareVector(const Vector& got, const Expected& exp, bool ordered) {
    std::map<Labels, bool> seen;
    for (size_t i = 0; i < got.size(); ++i) {
      auto it = exp.series.find(got[i].metric);
      if (it == exp.series.end()) return "unexpected metric " + got[i].metric.ToString();
      if (ordered && it->second.first != static_cast<int>(i) + 1) {
        return "metric " + got[i].metric.ToString() + " at position " + std::to_string(i + 1);
      }
      if (!AlmostEqual(it->second.second, got[i].v)) {
        return "expected " + FormatFloat(it->second.second) + " for " + got[i].metric.ToString() +
               " but got " + FormatFloat(got[i].v);
      }
      seen[got[i].metric] = true;
    }
    for (const auto& [labels, unused] : exp.series) {
      if (!seen.contains(labels)) return "expected metric " + labels.ToString() + " not found";
    }
    return "";
  }

  static std::string Compare(const Value& got, const Expected& exp, bool ordered) {
    if (const auto* s = std::get_if<Scalar>(&got)) {
      if (!exp.scalar) return "got scalar, expected vector";
      if (!AlmostEqual(exp.scalar_value, s->v)) {
        return "expected scalar " + FormatFloat(exp.scalar_value) + " but got " + FormatFloat(s->v);
      }
      return "";
    }
    if (const auto* v = std::get_if<Vector>(&got)) return CompareVector(*v, exp, ordered);
    return "unexpected result type";
  }

  std::string CheckRange(const QuerierFactory& f, const std::string& expr, int64_t t,
                         const Value& instant, const Expected& exp) {
    auto res = engine_.RangeQuery(f, expr, t - 60'000, t + 60'000, 60'000);
    if (!res.ok()) return "range query failed: " + res.status().ToString();
    const Matrix& m = std::get<Matrix>(*res);
    Vector vec;
    for (const Series& s : m) {
      for (const Point& p : s.points) {
        if (p.t == t) {
          vec.push_back({s.metric, t, p.v});
          break;
        }
      }
    }
    if (std::holds_alternative<Scalar>(instant)) {
      if (vec.empty()) return "range query: no scalar value";
      return Compare(Scalar{t, vec[0].v}, exp, false);
    }
    std::string err = Compare(vec, exp, false);
    return err.empty() ? "" : "range query: " + err;
  }

  void Eval(const std::string& line, const std::vector<std::string>& expect, size_t line_no) {
    result_.evals++;
    const bool fail = line.rfind("eval_fail", 0) == 0;
    const bool ordered = line.rfind("eval_ordered", 0) == 0;
    const size_t at = line.find(" at ");
    const size_t space = line.find(' ', at + 4);
    int64_t t = 0;
    ParseDuration(line.substr(at + 4, space - at - 4), &t);
    const std::string expr = Trim(line.substr(space));
    const std::string where = path_ + ":" + std::to_string(line_no) + ": " + expr + ": ";
    storage::Storage* s = Store();
    if (s == nullptr) return;
    QuerierFactory f = [s](int64_t mint, int64_t maxt) { return s->NewQuerier(mint, maxt); };
    auto res = engine_.InstantQuery(f, expr, t);
    if (fail) {
      if (res.ok()) {
        result_.failures.push_back(where + "expected an error");
      } else {
        result_.passed++;
      }
      return;
    }
    if (!res.ok()) {
      result_.failures.push_back(where + res.status().ToString());
      return;
    }
    const Expected exp = ParseExpected(expect);
    std::string err = Compare(*res, exp, ordered);
    if (err.empty() && !ordered) err = CheckRange(f, expr, t, *res, exp);
    if (err.empty()) {
      result_.passed++;
    } else {
      result_.failures.push_back(where + err);
    }
  }

  std::string path_;
  std::string tmp_;
  bool seal_;
  std::vector<std::string> lines_;
  base::FakeClock clock_{0};
  std::unique_ptr<storage::Storage> storage_;
  int db_counter_ = 0;
  Engine engine_;
  TestFileResult result_;
};

}  // namespace

TestFileResult RunPromqlTestFile(const std::string& path, const std::string& tmp_dir, bool seal) {
  return FileRunner(path, tmp_dir, seal).Run();
}

}  // namespace tidemark::query
