// tidemark-fleet: publishes the simulated building fleet (tools/fleet/fleet_model.h) to an MQTT
// broker, for the demo; or, with --bench-messages, a fixed number of line-protocol messages as
// fast as the broker takes them, for the MQTT ingest benchmark.
//
//   tidemark-fleet [--broker mqtt://127.0.0.1:1883] [--interval 5] [--qos 1]
//   tidemark-fleet --bench-messages 200000 [--qos 1] [--topics 100]
#include <mosquitto.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "tools/fleet/fleet_model.h"

namespace {

std::atomic<bool> g_stop{false};
std::atomic<uint64_t> g_acked{0};

struct Args {
  std::string host = "127.0.0.1";
  int port = 1883;
  int interval_s = 5;
  int qos = 1;
  long bench_messages = 0;
  int topics = 100;
};

bool ParseBroker(const std::string& url, Args* args) {
  std::string rest = url;
  for (const char* scheme : {"mqtt://", "tcp://"}) {
    if (rest.rfind(scheme, 0) == 0) rest = rest.substr(std::strlen(scheme));
  }
  const size_t colon = rest.rfind(':');
  args->host = rest.substr(0, colon);
  if (colon != std::string::npos) args->port = std::atoi(rest.c_str() + colon + 1);
  return !args->host.empty() && args->port > 0;
}

bool ParseArgs(int argc, char** argv, Args* args) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--broker") {
      if (!ParseBroker(value, args)) return false;
    } else if (flag == "--interval") {
      args->interval_s = std::max(1, std::atoi(value.c_str()));
    } else if (flag == "--qos") {
      args->qos = std::atoi(value.c_str());
    } else if (flag == "--bench-messages") {
      args->bench_messages = std::atol(value.c_str());
    } else if (flag == "--topics") {
      args->topics = std::max(1, std::atoi(value.c_str()));
    } else {
      return false;
    }
  }
  return argc % 2 == 1;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool Publish(mosquitto* client, const tidemark::fleet::Message& m, int qos) {
  const int rc =
      mosquitto_publish(client, nullptr, m.topic.c_str(), static_cast<int>(m.payload.size()),
                        m.payload.data(), qos, false);
  if (rc != MOSQ_ERR_SUCCESS) {
    std::fprintf(stderr, "publish %s: %s\n", m.topic.c_str(), mosquitto_strerror(rc));
  }
  return rc == MOSQ_ERR_SUCCESS;
}

int RunFleet(mosquitto* client, const Args& args) {
  tidemark::fleet::FleetModel model;
  const int64_t interval_ms = int64_t{args.interval_s} * 1000;
  int64_t next_motion = 0;
  std::printf("publishing the fleet every %d s to %s:%d (Ctrl-C stops)\n", args.interval_s,
              args.host.c_str(), args.port);
  std::fflush(stdout);
  while (!g_stop) {
    const int64_t now = NowMs();
    for (const auto& message : model.Tick(now, interval_ms)) Publish(client, message, args.qos);
    if (now >= next_motion) {
      for (const auto& message : model.LateMotionEvents(now)) Publish(client, message, args.qos);
      next_motion = now + 60'000;
    }
    for (int64_t slept = 0; slept < interval_ms && !g_stop; slept += 100) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  return 0;
}

// N messages of three fields each over `topics` topics; returns once the broker acknowledged all.
int RunBench(mosquitto* client, const Args& args) {
  const int64_t t0 = NowMs() - args.bench_messages;
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < args.bench_messages && !g_stop; ++i) {
    const std::string device = "d" + std::to_string(i % args.topics);
    char payload[160];
    std::snprintf(payload, sizeof payload,
                  "bench,device=%s temperature=%.2f,humidity=%.1f,power=%ld %lld", device.c_str(),
                  20 + (i % 97) * 0.05, 40 + (i % 31) * 0.5, i, static_cast<long long>(t0 + i));
    while (!Publish(client, {"bench/" + device, payload}, args.qos) && !g_stop) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  while (args.qos > 0 && g_acked < static_cast<uint64_t>(args.bench_messages) && !g_stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("published %ld messages in %.2f s (%.0f msg/s)\n", args.bench_messages, seconds,
              args.bench_messages / seconds);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, &args)) {
    std::fprintf(stderr,
                 "usage: tidemark-fleet [--broker mqtt://host:port] [--interval S] [--qos Q]\n"
                 "                      [--bench-messages N] [--topics T]\n");
    return 2;
  }
  signal(SIGINT, [](int) { g_stop = true; });
  signal(SIGTERM, [](int) { g_stop = true; });
  mosquitto_lib_init();
  mosquitto* client = mosquitto_new(nullptr, true, nullptr);
  mosquitto_max_inflight_messages_set(client, 1000);
  mosquitto_publish_callback_set(client, [](mosquitto*, void*, int) { ++g_acked; });
  int rc = MOSQ_ERR_UNKNOWN;
  for (int attempt = 0; attempt < 50 && rc != MOSQ_ERR_SUCCESS && !g_stop; ++attempt) {
    rc = mosquitto_connect(client, args.host.c_str(), args.port, 30);
    if (rc != MOSQ_ERR_SUCCESS) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (rc != MOSQ_ERR_SUCCESS) {
    std::fprintf(stderr, "cannot connect to %s:%d: %s\n", args.host.c_str(), args.port,
                 mosquitto_strerror(rc));
    return 1;
  }
  mosquitto_loop_start(client);
  const int status = args.bench_messages > 0 ? RunBench(client, args) : RunFleet(client, args);
  mosquitto_disconnect(client);
  mosquitto_loop_stop(client, false);
  mosquitto_destroy(client);
  mosquitto_lib_cleanup();
  return status;
}
