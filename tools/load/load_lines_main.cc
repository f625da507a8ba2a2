// tidemark-load-lines: loads a line-protocol file into an InfluxDB-compatible /write endpoint, the
// same way for every server — the ingest benchmark's client (scripts/bench/
// ingest_vs_victoriametrics.sh). The file is mapped and cut into bodies of --lines lines, which
// --workers threads send over one keep-alive connection each, as fast as the server answers.
// Prints one JSON object: bodies, lines, bytes, seconds, failures, first_failure and the client's
// own CPU seconds (so a run can show that the client was not the bottleneck).
//
// Usage: tidemark-load-lines FILE URL [--lines 10000] [--workers 4]
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tools/load/http_post.h"

namespace {

using tidemark::tools::HttpPoster;
using tidemark::tools::HttpTarget;

struct Options {
  std::string file, url;
  size_t lines = 10000;
  int workers = 4;
};

bool ParseArgs(int argc, char** argv, Options* o) {
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if ((a == "--lines" || a == "--workers") && i + 1 < argc) {
      const long v = std::atol(argv[++i]);
      if (v <= 0) return false;
      if (a == "--lines") o->lines = static_cast<size_t>(v);
      if (a == "--workers") o->workers = static_cast<int>(v);
    } else {
      positional.emplace_back(a);
    }
  }
  if (positional.size() != 2) return false;
  o->file = positional[0];
  o->url = positional[1];
  return true;
}

// Bodies of `per_body` whole lines each (the last may be shorter), as views into `text`.
std::vector<std::string_view> CutBodies(std::string_view text, size_t per_body, size_t* lines) {
  std::vector<std::string_view> bodies;
  size_t start = 0, count = 0, pos = 0;
  *lines = 0;
  while (pos < text.size()) {
    const void* nl = std::memchr(text.data() + pos, '\n', text.size() - pos);
    pos = nl ? static_cast<size_t>(static_cast<const char*>(nl) - text.data()) + 1 : text.size();
    ++*lines;
    if (++count == per_body) {
      bodies.push_back(text.substr(start, pos - start));
      start = pos;
      count = 0;
    }
  }
  if (start < text.size()) bodies.push_back(text.substr(start));
  return bodies;
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

struct Shared {
  const std::vector<std::string_view>* bodies;
  HttpTarget target;
  std::atomic<size_t> next{0};
  std::atomic<size_t> failures{0};
  std::mutex mu;
  std::string first_failure;

  void Fail(std::string what) {
    if (failures.fetch_add(1) == 0) {
      std::lock_guard l(mu);
      first_failure = std::move(what);
    }
  }
};

void Worker(Shared* shared) {
  HttpPoster poster(shared->target);
  while (true) {
    const size_t i = shared->next.fetch_add(1);
    if (i >= shared->bodies->size()) return;
    auto result = poster.Post((*shared->bodies)[i], "text/plain; charset=utf-8");
    if (result.status == 0) {
      shared->Fail(result.error);
    } else if (result.status != 200 && result.status != 204) {
      shared->Fail(std::to_string(result.status) + " " + result.body.substr(0, 200));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  // A write to a connection the server closed must fail with EPIPE (the client then reconnects
  // and resends), not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  Options o;
  HttpTarget target;
  if (!ParseArgs(argc, argv, &o) || !tidemark::tools::ParseHttpUrl(o.url, &target)) {
    std::fprintf(stderr, "usage: %s FILE http://host:port/path [--lines N] [--workers N]\n",
                 argv[0]);
    return 2;
  }
  const int fd = ::open(o.file.c_str(), O_RDONLY);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    std::fprintf(stderr, "%s: %s\n", o.file.c_str(), std::strerror(errno));
    return 1;
  }
  const size_t size = static_cast<size_t>(st.st_size);
  void* map = size ? ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0) : nullptr;
  if (map == MAP_FAILED) {
    std::fprintf(stderr, "mmap %s: %s\n", o.file.c_str(), std::strerror(errno));
    return 1;
  }
  size_t lines = 0;
  const auto bodies = CutBodies({static_cast<const char*>(map), size}, o.lines, &lines);
  Shared shared;
  shared.bodies = &bodies;
  shared.target = target;
  const double cpu0 = CpuSeconds();
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < o.workers; ++i) threads.emplace_back(Worker, &shared);
  for (auto& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "{\"bodies\": %zu, \"lines\": %zu, \"bytes\": %zu, \"seconds\": %.3f, \"failures\": %zu, "
      "\"first_failure\": %s, \"client_cpu_seconds\": %.3f}\n",
      bodies.size(), lines, size, seconds, shared.failures.load(),
      JsonString(shared.first_failure).c_str(), CpuSeconds() - cpu0);
  return 0;
}
