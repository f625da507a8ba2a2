// Differential test against the reference implementation: backfills the demo data set into
// Debian's Prometheus 2.42 (promtool + a real server on a free loopback port), then runs the
// compliance query list plus engine-specific queries (offset, @, subqueries, label functions,
// histograms, matching) as instant and range queries on both and requires equal results
// (relative tolerance 1e-6). Skipped when prometheus/promtool are not installed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "gtest/gtest.h"
#include "query/compliance_data.h"
#include "query/engine.h"
#include "query/parser.h"

extern char** environ;

namespace tidemark::query {
namespace {

using nlohmann::json;

constexpr const char* kExtraQueries[] = {
    "irr_counter_total",
    "irr_gauge",
    "rate(irr_counter_total[1m])",
    "rate(irr_counter_total[5m])",
    "increase(irr_counter_total[3m])",
    "irate(irr_counter_total[2m])",
    "resets(irr_counter_total[30m])",
    "changes(irr_gauge[10m])",
    "delta(irr_gauge[2m])",
    "idelta(irr_gauge[1m])",
    "deriv(irr_gauge[5m])",
    "predict_linear(irr_gauge[5m], 120)",
    "avg_over_time(irr_gauge[3m])",
    "max_over_time(irr_gauge[3m])",
    "min_over_time(irr_gauge[3m])",
    "sum_over_time(irr_gauge[3m])",
    "count_over_time(irr_gauge[3m])",
    "stddev_over_time(irr_gauge[3m])",
    "quantile_over_time(0.7, irr_gauge[3m])",
    "last_over_time(irr_gauge[10m])",
    "present_over_time(irr_gauge[1m])",
    "absent_over_time(irr_gauge{k=\"1\"}[1m])",
    "holt_winters(irr_gauge[5m], 0.3, 0.7)",
    "sum(rate(irr_counter_total[2m]))",
    "avg(irr_gauge)",
    "max(irr_gauge) - min(irr_gauge)",
    "topk(1, irr_gauge)",
    "quantile(0.5, irr_gauge)",
    "irr_gauge > 0",
    "irr_gauge offset 7m",
    "rate(irr_counter_total[5m] offset 3m)",
    "max_over_time(irr_gauge[20m:1m])",
    "rate(irr_counter_total[10m:30s])",
    "timestamp(irr_gauge)",
    "irr_gauge[2m]",
    "topk(2, irr_gauge)",
    "bottomk(1, rate(irr_counter_total[2m]))",
    "count_values(\"v\", floor(irr_gauge / 10))",
    "sort(irr_gauge)",
    "absent(irr_gauge{k=\"2\"})",
    "absent(irr_gauge{k=\"7\"})",
    "histogram_quantile(0.9, demo_api_request_duration_seconds_bucket{le!=\"+Inf\"})",
    "histogram_quantile(0.9, {__name__=~\"demo_api_request_duration_seconds_.+\"})",
    "quantile(scalar(irr_gauge{k=\"0\"}) / 50, irr_gauge)",
    "sum(irr_gauge) by (k) > bool on(k) avg(irr_gauge) by (k)",
    "irr_gauge unless on(k) irr_gauge > 10",
    "irr_gauge or on(k) vector(0)",
    "max_over_time(irr_gauge[10m:1m] offset 5m)",
    "max_over_time(irr_gauge[10m:1m] @ start())",
    "avg_over_time((irr_gauge offset 2m)[5m:30s])",
    "sum_over_time(rate(irr_counter_total[1m])[5m:20s] @ end())",
    "max_over_time(max_over_time(irr_gauge[2m])[10m:1m])",
    "rate(irr_counter_total[5m:1m])",
    "delta(irr_gauge[10m:2m] offset -1m)",
    "changes((irr_gauge > 0)[15m:1m])",
    "label_replace(irr_gauge, \"k\", \"x\", \"k\", \".*\")",
    "sum by (k) (irr_gauge) * on(k) group_left() count by (k) (irr_counter_total)",
    "irr_gauge * on() group_left(k) vector(1)",
    "1 - irr_gauge % 7",
    "irr_gauge ^ 0.5",
    "-irr_gauge == bool -irr_gauge",
    "scalar(irr_gauge)",
    "time() - timestamp(irr_gauge)",
    "timestamp(irr_gauge offset 3m @ 6000)",
    "irr_gauge @ 6000.5",
    "stddev(irr_gauge) + stdvar(irr_gauge)",
    "group(irr_gauge) by (k)",
    "count(irr_gauge > 100) or vector(0)",
    "predict_linear(irr_gauge[10m] @ 5000, 600)",
    "predict_linear(demo_disk_usage_bytes[10m] @ 5000 offset 1m, 600)",
    "deriv(irr_gauge[10m] @ 5000)",
    "rate(irr_counter_total[5m])[10m:2m]",
    "demo_num_cpus[3m:45s] offset 1m",
    "demo_memory_usage_bytes @ 3000",
    "demo_memory_usage_bytes @ end() offset 10m",
    "rate(demo_cpu_usage_seconds_total[5m] @ 5000)",
    "rate(demo_cpu_usage_seconds_total[5m] offset -5m)",
    "max_over_time(rate(demo_cpu_usage_seconds_total[1m])[10m:])",
    "max_over_time(rate(demo_cpu_usage_seconds_total[1m])[10m:30s] offset 3m)",
    "max_over_time(rate(demo_cpu_usage_seconds_total[1m])[10m:30s] @ 4000)",
    "min_over_time((demo_disk_usage_bytes @ 4000)[10m:1m])",
    "count_over_time(demo_num_cpus[2m:7s])",
    "last_over_time(demo_memory_usage_bytes[1m])",
    "timestamp(demo_memory_usage_bytes @ 3001)",
    "timestamp(sum(demo_memory_usage_bytes))",
    "label_replace(demo_num_cpus, \"foo\", \"${1}x$2y\", \"instance\", \"(.*):(.*)\")",
    "label_replace(demo_num_cpus, \"__name__\", \"renamed\", \"job\", \".*\")",
    "label_join(demo_num_cpus, \"foo\", \":\", \"job\", \"instance\", \"job\")",
    "histogram_quantile(0.5, sum by (le) (rate(demo_api_request_duration_seconds_bucket[5m])))",
    "histogram_quantile(1, demo_api_request_duration_seconds_bucket)",
    "topk(scalar(count(demo_num_cpus)) - 1, demo_memory_usage_bytes)",
    "count_values by (instance) (\"v\", round(demo_memory_usage_bytes / 1e8))",
    "absent(nonexistent{job=\"x\", instance=~\"y\"})",
    "absent_over_time(nonexistent{job=\"x\"}[5m])",
    "predict_linear(demo_disk_usage_bytes[10m] offset 5m, 3600)",
    "holt_winters(demo_memory_usage_bytes[10m], 0.5, 0.5)",
    "quantile_over_time(0.3, demo_memory_usage_bytes[10m])",
    "sort_desc(demo_memory_usage_bytes)",
    "demo_num_cpus / on(instance) group_right demo_memory_usage_bytes",
    "demo_num_cpus > on(instance) group_right demo_memory_usage_bytes / 1e9",
    "demo_memory_usage_bytes / ignoring(type) group_left demo_num_cpus",
    "demo_memory_usage_bytes unless on(type) demo_memory_usage_bytes{type=\"free\"}",
    "demo_num_cpus or vector(1)",
    "demo_memory_usage_bytes == bool demo_memory_usage_bytes",
    "- - demo_num_cpus",
    "demo_num_cpus atan2 2",
    "max by (__name__) ({__name__=~\"demo_.*\", job=\"demo\"})",
    "round(demo_memory_usage_bytes / 1e7, 0.5)",
    "clamp(demo_memory_usage_bytes, 1e9, 1.05e9)",
    "year(vector(-1e9))",
    "sum by (instance) (demo_memory_usage_bytes) / on() group_left sum(demo_memory_usage_bytes)",
};

constexpr int64_t kInstantTime = kDemoEnd - 600'000;
constexpr int64_t kRangeStart = kDemoEnd / 2;

std::string Format(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

void WriteOpenMetrics(const std::vector<MemorySeries>& data, const std::string& path) {
  std::map<std::string, std::vector<const MemorySeries*>> families;
  for (const MemorySeries& s : data) families[std::string(s.labels.MetricName())].push_back(&s);
  std::ofstream out(path);
  for (const auto& [name, members] : families) {
    out << "# TYPE " << name << " unknown\n";
    for (const MemorySeries* s : members) {
      std::string labels;
      for (const auto& l : s->labels) {
        if (l.name == "__name__") continue;
        labels += (labels.empty() ? "" : ",") + l.name + "=\"" + l.value + "\"";
      }
      for (const auto& smp : s->samples) {
        out << name << "{" << labels << "} " << Format(smp.v) << " " << smp.t / 1000 << "."
            << Format(static_cast<double>(1000 + smp.t % 1000)).substr(1) << "\n";
      }
    }
  }
  out << "# EOF\n";
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// A minimal HTTP/1.0 GET; returns the body, or "" when the server is unreachable.
std::string HttpGet(int port, const std::string& target) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "";
  }
  const std::string req = "GET " + target + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (write(fd, req.data(), req.size()) < 0) {
    close(fd);
    return "";
  }
  std::string resp;
  char buf[65536];
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;) resp.append(buf, static_cast<size_t>(n));
  close(fd);
  const size_t body = resp.find("\r\n\r\n");
  return body == std::string::npos ? "" : resp.substr(body + 4);
}

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char hex[4];
      std::snprintf(hex, sizeof(hex), "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

bool Close(const std::string& a, const std::string& b) {
  const double x = std::strtod(a.c_str(), nullptr), y = std::strtod(b.c_str(), nullptr);
  if (std::isnan(x) && std::isnan(y)) return true;
  if (x == y) return true;
  const double d = std::abs(x - y);
  return d < 1e-9 || d / (std::abs(x) + std::abs(y)) < 1e-6;
}

std::string MetricKey(const storage::Labels& l) { return l.ToString(); }
std::string MetricKey(const json& m) {
  std::vector<storage::Label> labels;
  for (auto it = m.begin(); it != m.end(); ++it) labels.push_back({it.key(), it.value()});
  return storage::Labels(std::move(labels)).ToString();
}

// Series key -> (timestamp ms -> value text).
using Points = std::map<std::string, std::map<int64_t, std::string>>;

Points FromProm(const json& data) {
  Points out;
  const std::string type = data["resultType"];
  if (type == "scalar") {
    out["scalar"][0] = data["result"][1];
  } else if (type == "vector") {
    for (const json& s : data["result"]) out[MetricKey(s["metric"])][0] = s["value"][1];
  } else if (type == "matrix") {
    for (const json& s : data["result"]) {
      for (const json& p : s["values"]) {
        out[MetricKey(s["metric"])][std::llround(p[0].get<double>() * 1000)] = p[1];
      }
    }
  }
  return out;
}

Points FromOurs(const Value& v, bool instant) {
  Points out;
  if (const auto* s = std::get_if<Scalar>(&v)) out["scalar"][0] = FormatFloat(s->v);
  if (const auto* vec = std::get_if<Vector>(&v)) {
    for (const Sample& s : *vec) out[MetricKey(s.metric)][0] = FormatFloat(s.v);
  }
  if (const auto* m = std::get_if<Matrix>(&v)) {
    for (const Series& s : *m) {
      for (const Point& p : s.points)
        out[MetricKey(s.metric)][instant ? p.t : p.t] = FormatFloat(p.v);
    }
  }
  return out;
}

std::string Diff(const Points& prom, const Points& ours) {
  for (const auto& [key, points] : prom) {
    auto it = ours.find(key);
    if (it == ours.end()) return "missing series " + key;
    if (it->second.size() != points.size()) return "point count differs for " + key;
    for (const auto& [t, v] : points) {
      auto p = it->second.find(t);
      if (p == it->second.end()) return key + " has no point at " + std::to_string(t);
      if (!Close(v, p->second))
        return key + "@" + std::to_string(t) + ": " + v + " vs " + p->second;
    }
  }
  for (const auto& [key, points] : ours) {
    if (!prom.contains(key)) return "unexpected series " + key;
  }
  return "";
}

class Reference {
 public:
  Reference(const std::string& dir, const std::vector<MemorySeries>& data) {
    const std::string om = dir + "/data.om", db = dir + "/promdata";
    WriteOpenMetrics(data, om);
    const std::string backfill =
        "promtool tsdb create-blocks-from openmetrics " + om + " " + db + " > /dev/null 2>&1";
    if (std::system(backfill.c_str()) != 0) return;
    std::ofstream(dir + "/prom.yml") << "global:\n  scrape_interval: 15s\n";
    port_ = FreePort();
    const std::string config = "--config.file=" + dir + "/prom.yml";
    const std::string path = "--storage.tsdb.path=" + db;
    const std::string listen = "--web.listen-address=127.0.0.1:" + std::to_string(port_);
    const std::string log = dir + "/prometheus.log";
    std::vector<std::string> args = {"prometheus", config, path, listen,
                                     "--storage.tsdb.retention.time=100y"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    if (posix_spawnp(&pid_, "prometheus", &actions, nullptr, argv.data(), environ) != 0) pid_ = 0;
    posix_spawn_file_actions_destroy(&actions);
    for (int i = 0; i < 300 && pid_ != 0 && !ready_; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      ready_ = HttpGet(port_, "/-/ready").find("Ready") != std::string::npos;
    }
  }
  ~Reference() {
    if (pid_ == 0) return;
    kill(pid_, SIGTERM);
    int status;
    waitpid(pid_, &status, 0);
  }
  bool ready() const { return ready_; }

  json Query(const std::string& q, int64_t time_ms) const {
    return Get("/api/v1/query?query=" + UrlEncode(q) + "&time=" + Seconds(time_ms));
  }
  json QueryRange(const std::string& q, int64_t start, int64_t end, int64_t step) const {
    return Get("/api/v1/query_range?query=" + UrlEncode(q) + "&start=" + Seconds(start) +
               "&end=" + Seconds(end) + "&step=" + Seconds(step));
  }

 private:
  static std::string Seconds(int64_t ms) { return Format(static_cast<double>(ms) / 1000); }
  json Get(const std::string& target) const {
    return json::parse(HttpGet(port_, target), nullptr, false);
  }

  pid_t pid_ = 0;
  int port_ = 0;
  bool ready_ = false;
};

std::string Compare(const json& prom, const base::Result<Value>& ours, bool instant) {
  const bool prom_ok = prom.is_object() && prom.value("status", "") == "success";
  if (!prom_ok && !ours.ok()) return "";
  if (!prom_ok) return "reference failed (" + prom.value("error", std::string("?")) + "), ours ok";
  if (!ours.ok()) return "ours failed: " + ours.status().ToString();
  const std::string type = prom["data"]["resultType"];
  if (type == "string") return "";
  if (type != ValueTypeApiName(TypeOf(*ours))) return "result type " + type + " differs";
  return Diff(FromProm(prom["data"]), FromOurs(*ours, instant));
}

class Differential : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (std::system("command -v prometheus > /dev/null && command -v promtool > /dev/null") != 0) {
      return;
    }
    dir_ = new std::string((std::filesystem::temp_directory_path() /
                            ("tidemark-promql-diff-" + std::to_string(getpid())))
                               .string());
    std::filesystem::create_directories(*dir_);
    data_ = new std::vector<MemorySeries>(DemoData());
    prom_ = new Reference(*dir_, *data_);
  }
  static void TearDownTestSuite() {
    delete prom_;
    delete data_;
    if (dir_ != nullptr) std::filesystem::remove_all(*dir_);
    delete dir_;
    prom_ = nullptr;
    data_ = nullptr;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (prom_ == nullptr) GTEST_SKIP() << "prometheus/promtool not installed";
    ASSERT_TRUE(prom_->ready()) << "prometheus did not start; see " << *dir_;
    const char* root = std::getenv("TIDEMARK_SOURCE_DIR");
    ASSERT_NE(root, nullptr);
    root_ = root;
  }

  static std::string* dir_;
  static std::vector<MemorySeries>* data_;
  static Reference* prom_;
  std::string root_;
};

std::string* Differential::dir_ = nullptr;
std::vector<MemorySeries>* Differential::data_ = nullptr;
Reference* Differential::prom_ = nullptr;

TEST_F(Differential, ResultsMatchPrometheus242) {
  std::vector<ComplianceQuery> queries =
      LoadComplianceQueries(root_ + "/../shared/promql-compliance/promql-test-queries.yml");
  ASSERT_GT(queries.size(), 500u);
  for (const char* q : kExtraQueries) queries.push_back({q, false});
  const QuerierFactory factory = MemoryQuerier::Factory(data_);
  const Engine engine;
  std::vector<std::string> diffs;
  for (const ComplianceQuery& c : queries) {
    std::string d = Compare(prom_->Query(c.query, kInstantTime),
                            engine.InstantQuery(factory, c.query, kInstantTime), true);
    if (d.empty()) {
      d = Compare(prom_->QueryRange(c.query, kRangeStart, kDemoEnd, 60'000),
                  engine.RangeQuery(factory, c.query, kRangeStart, kDemoEnd, 60'000), false);
    }
    if (!d.empty()) diffs.push_back(c.query + ": " + d);
  }
  std::cout << "differential: " << queries.size() - diffs.size() << " of " << queries.size()
            << " queries agree with Prometheus 2.42\n";
  for (const std::string& d : diffs) std::cout << "  DIFF " << d << "\n";
  EXPECT_TRUE(diffs.empty());
}

// Byte-level mutations of known-good queries: the parser must accept exactly what Prometheus
// accepts (Prometheus answers bad_data for parse errors).
std::string Mutate(std::string s, std::mt19937* rng) {
  static const std::string kAlphabet = "()[]{}:,@=~!<>+-*/%^\"' 0123456789.eEmsxafoO_#bylnt";
  const int ops = 1 + static_cast<int>((*rng)() % 2);
  for (int i = 0; i < ops && !s.empty(); ++i) {
    const size_t pos = (*rng)() % s.size();
    switch ((*rng)() % 3) {
      case 0:
        s.erase(pos, 1);
        break;
      case 1:
        s.insert(pos, 1, kAlphabet[(*rng)() % kAlphabet.size()]);
        break;
      default:
        s.insert(pos, s.substr((*rng)() % s.size(), 1 + (*rng)() % 6));
        break;
    }
  }
  return s;
}

TEST_F(Differential, ParserAcceptsWhatPrometheusAccepts) {
  std::vector<ComplianceQuery> seeds =
      LoadComplianceQueries(root_ + "/../shared/promql-compliance/promql-test-queries.yml");
  for (const char* q : kExtraQueries) seeds.push_back({q, false});
  std::mt19937 rng(20260422);
  int checked = 0;
  std::vector<std::string> diffs;
  for (const ComplianceQuery& seed : seeds) {
    for (int i = 0; i < 5; ++i) {
      const std::string q = Mutate(seed.query, &rng);
      if (q.find('\n') != std::string::npos || q.empty()) continue;
      const json prom = prom_->Query(q, kInstantTime);
      ASSERT_TRUE(prom.is_object()) << q;
      const bool prom_rejects = prom.value("errorType", "") == "bad_data";
      const auto ours = ParseExpr(q);
      ++checked;
      if (prom_rejects == ours.ok()) {
        diffs.push_back(q + ": prometheus " + prom.value("error", std::string("accepts")) +
                        "; ours " + (ours.ok() ? "accepts" : ours.status().message()));
      }
    }
  }
  std::cout << "parser parity: " << checked - diffs.size() << " of " << checked
            << " mutated queries accepted/rejected as Prometheus does\n";
  for (const std::string& d : diffs) std::cout << "  DIFF " << d << "\n";
  EXPECT_GT(checked, 2500);
  EXPECT_TRUE(diffs.empty());
}

}  // namespace
}  // namespace tidemark::query
