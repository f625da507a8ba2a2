// tidemark: the server binary. Parses flags, loads the configuration, starts the App and runs
// until SIGINT or SIGTERM (SIGHUP reloads the rule files), then stops gracefully and exits 0. Every
// startup failure is one log line naming the cause and a non-zero exit: 1 for a bad config or
// environment, 2 for bad flags.
#include <malloc.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "config/config.h"
#include "server/alerting/manager.h"
#include "server/app.h"
#include "server/cli.h"
#include "storage/base/log.h"
#include "tidemark_version.h"

namespace {

using tidemark::base::LogLevel;

int Fail(const tidemark::base::Status& status) {
  tidemark::base::LogLine(LogLevel::kError, status.message());
  return 1;
}

int CheckConfig(const std::string& path) {
  auto loaded = tidemark::config::LoadFile(path);
  if (!loaded.ok()) return Fail(loaded.status());
  auto rules = tidemark::server::alerting::CheckRuleFiles(loaded->rule_files);
  if (!rules.ok()) return Fail(rules.status());
  std::cout << path << ": OK";
  if (!loaded->rule_files.empty()) std::cout << " (" << *rules << " rules)";
  std::cout << "\n";
  return 0;
}

// Blocks the stop signals (and SIGHUP, which reloads the rule files) in every thread (threads
// inherit the mask) so main can sigwait them.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return set;
}

int Serve(const tidemark::server::CliOptions& cli) {
  auto loaded = cli.config_path ? tidemark::config::LoadFile(*cli.config_path)
                                : tidemark::config::LoadDefaults();
  if (!loaded.ok()) return Fail(loaded.status());
  tidemark::config::Config config = std::move(loaded).value();
  if (auto status = tidemark::server::ApplyOverrides(cli, &config); !status.ok()) {
    return Fail(status);
  }
  LogLevel level = LogLevel::kInfo;
  tidemark::base::ParseLogLevel(config.log_level, &level);
  tidemark::base::SetLogLevel(level);

  const sigset_t stop_signals = BlockStopSignals();
  const std::string source = config.source;
  const std::string data_dir = config.storage.data_dir;
  const std::string host = config.server.listen.host;
  tidemark::server::App app(std::move(config));
  if (auto status = app.Start(); !status.ok()) return Fail(status);
  TM_LOG(kInfo) << "tidemark " << kTidemarkVersion << " listening on http://"
                << (host.find(':') != std::string::npos ? "[" + host + "]" : host) << ":"
                << app.http_port() << " data_dir=" << data_dir << " config=" << source;

  int signal_number = 0;
  while (sigwait(&stop_signals, &signal_number) == 0 && signal_number == SIGHUP) {
    TM_LOG(kInfo) << "received SIGHUP, reloading rule files";
    (void)app.Reload();  // logs its outcome; a failed reload keeps the running rules
  }
  TM_LOG(kInfo) << "received " << (signal_number == SIGINT ? "SIGINT" : "SIGTERM")
                << ", shutting down";
  app.Stop();
  TM_LOG(kInfo) << "stopped cleanly";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // glibc gives threads that allocate concurrently their own arenas (up to 8 per core), each
  // keeping what it freed: on the ingest benchmark that was ~45 MB more peak RSS than with two,
  // at no measurable CPU cost. MALLOC_ARENA_MAX in the environment still decides when set.
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 2);
  // glibc's mmap and trim thresholds are dynamic: it raises the mmap threshold to the largest
  // block freed and trims the heap top above twice that. Fixed values instead:
  // - a query's sample buffers (a day of one series at 10 s is ~140 KB) stay on the heap rather
  //   than being mapped, trimmed and faulted back in on every request (~15 % of the CPU of a
  //   one-series avg_over_time), and so do per-request ingest buffers (~1 MB; a 256 KiB
  //   threshold cost ~30 % more ingest CPU in page faults);
  // - blocks over 4 MiB (WAL segments read by a checkpoint, seal batches) go to mmap and back to
  //   the system when freed, instead of growing a heap that small chunk allocations around them
  //   keep from shrinking (part of 209 -> 163 MB peak RSS of the ingest benchmark's flush);
  // - up to 16 MiB of free heap top per arena is kept for the next request.
  // The MALLOC_*_ environment variables still win.
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") == nullptr) mallopt(M_MMAP_THRESHOLD, 4 << 20);
  if (std::getenv("MALLOC_TRIM_THRESHOLD_") == nullptr) mallopt(M_TRIM_THRESHOLD, 16 << 20);
  auto cli = tidemark::server::ParseCommandLine(argc, argv);
  if (!cli.ok()) {
    tidemark::base::LogLine(LogLevel::kError, cli.status().message());
    return 2;
  }
  if (cli->help) {
    std::cout << tidemark::server::CliUsage();
    return 0;
  }
  if (cli->version) {
    std::cout << "tidemark " << kTidemarkVersion << " (revision " << kTidemarkRevision << ")\n";
    return 0;
  }
  if (cli->check_config) return CheckConfig(*cli->check_config);
  return Serve(*cli);
}
