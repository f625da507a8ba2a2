#include "web/http_metrics.h"

#include <dirent.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/text_serializer.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "tidemark_version.h"

namespace tidemark::web {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily GaugeFamily(std::string name, std::string help, double value,
                         MetricType type = MetricType::Gauge) {
  MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  ClientMetric metric;
  if (type == MetricType::Counter)
    metric.counter.value = value;
  else
    metric.gauge.value = value;
  family.metric.push_back(metric);
  return family;
}

// Fields of /proc/self/stat after the command name: utime(14) stime(15) starttime(22) vsize(23)
// rss(24), numbered as in proc(5).
struct ProcStat {
  double cpu_seconds = 0;
  double start_time_seconds = 0;
  double virtual_bytes = 0;
  double resident_bytes = 0;
};

double BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> value;
      return value;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

ProcStat ReadProcStat() {
  ProcStat stat;
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return stat;
  std::istringstream fields(line.substr(close + 2));
  std::vector<std::string> f;
  for (std::string token; fields >> token;) f.push_back(token);
  // f[0] is field 3 (state), so field N is f[N - 3].
  if (f.size() < 22) return stat;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  stat.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
  stat.start_time_seconds = BootTimeSeconds() + std::stod(f[19]) / ticks;
  stat.virtual_bytes = std::stod(f[20]);
  stat.resident_bytes = std::stod(f[21]) * page;
  return stat;
}

double OpenFds() {
  double count = 0;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (dirent* entry = readdir(dir)) {
      if (entry->d_name[0] != '.') ++count;
    }
    closedir(dir);
  }
  return count > 0 ? count - 1 : 0;  // minus the descriptor of the listing itself
}

class ProcessCollector final : public prometheus::Collectable {
 public:
  std::vector<MetricFamily> Collect() const override {
    const ProcStat stat = ReadProcStat();
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    return {
        GaugeFamily("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                    stat.cpu_seconds, MetricType::Counter),
        GaugeFamily("process_resident_memory_bytes", "Resident memory size in bytes.",
                    stat.resident_bytes),
        GaugeFamily("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                    stat.virtual_bytes),
        GaugeFamily("process_start_time_seconds",
                    "Start time of the process since unix epoch in seconds.",
                    stat.start_time_seconds),
        GaugeFamily("process_open_fds", "Number of open file descriptors.", OpenFds()),
        GaugeFamily("process_max_fds", "Maximum number of open file descriptors.",
                    static_cast<double>(limit.rlim_cur)),
    };
  }
};

}  // namespace

HttpMetrics::HttpMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(prometheus::BuildCounter()
                    .Name("tidemark_http_requests_total")
                    .Help("HTTP requests answered, by route and status code.")
                    .Register(*registry_)),
      durations_(prometheus::BuildHistogram()
                     .Name("tidemark_http_request_duration_seconds")
                     .Help("Time from a complete request to its response, by route.")
                     .Register(*registry_)),
      connections_total_(prometheus::BuildCounter()
                             .Name("tidemark_http_connections_total")
                             .Help("HTTP connections accepted.")
                             .Register(*registry_)
                             .Add({})),
      connections_open_(prometheus::BuildGauge()
                            .Name("tidemark_http_connections_open")
                            .Help("HTTP connections currently open.")
                            .Register(*registry_)
                            .Add({})) {
  prometheus::BuildGauge()
      .Name("tidemark_build_info")
      .Help("Always 1; labels say which build is running.")
      .Register(*registry_)
      .Add({{"version", kTidemarkVersion}, {"revision", kTidemarkRevision}})
      .Set(1);
  collectables_.push_back(registry_);
  collectables_.push_back(MakeProcessCollector());
}

void HttpMetrics::ObserveRequest(std::string_view handler, int status, double seconds) {
  const std::string name(handler);
  requests_.Add({{"handler", name}, {"code", std::to_string(status)}}).Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30};
  durations_.Add({{"handler", name}}, kBuckets).Observe(seconds);
}

void HttpMetrics::ConnectionOpened() {
  connections_total_.Increment();
  connections_open_.Increment();
}

void HttpMetrics::ConnectionClosed() { connections_open_.Decrement(); }

void HttpMetrics::AddCollectable(std::shared_ptr<prometheus::Collectable> collectable) {
  std::lock_guard<std::mutex> lock(mu_);
  collectables_.push_back(std::move(collectable));
}

std::string HttpMetrics::Exposition() const {
  std::vector<MetricFamily> families;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& collectable : collectables_) {
      auto collected = collectable->Collect();
      families.insert(families.end(), std::make_move_iterator(collected.begin()),
                      std::make_move_iterator(collected.end()));
    }
  }
  return prometheus::TextSerializer().Serialize(families);
}

std::shared_ptr<prometheus::Collectable> MakeProcessCollector() {
  return std::make_shared<ProcessCollector>();
}

}  // namespace tidemark::web
