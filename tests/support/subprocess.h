// Subprocess: starts a program for an end-to-end test, captures its stdout and stderr together,
// and stops it by PID. A reader thread drains the output continuously so the child never blocks.
// The destructor kills (SIGKILL) and reaps a child that is still running. Methods may be called
// from the test thread while the reader thread runs.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace tidemark::testing {

class Subprocess {
 public:
  // Starts argv[0] (a path) with the given arguments; nullptr if it could not be started.
  static std::unique_ptr<Subprocess> Start(const std::vector<std::string>& argv);
  ~Subprocess();

  pid_t pid() const { return pid_; }
  // Waits until some output line matches `pattern`; returns that line, or nullopt on timeout or
  // when the process closed its output first.
  std::optional<std::string> WaitForLine(const std::regex& pattern, int timeout_ms);
  // Everything printed so far.
  std::string Output() const;
  void Signal(int signal_number);
  // Waits for exit; returns the exit code, 128 + signal when killed, nullopt on timeout.
  std::optional<int> Wait(int timeout_ms);

 private:
  Subprocess() = default;
  void ReadLoop();

  pid_t pid_ = -1;
  int output_fd_ = -1;
  std::optional<int> exit_code_;
  std::thread reader_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string output_;
  bool output_closed_ = false;
};

// Runs a program to completion (with a timeout) and returns its exit code and output.
struct RunResult {
  int exit_code = -1;
  std::string output;
};
RunResult RunToExit(const std::vector<std::string>& argv, int timeout_ms = 30'000);

// Waits for a tidemark process's "listening on http://127.0.0.1:PORT" log line and returns PORT,
// or 0 when it did not come within `timeout_ms` (the caller reports process->Output()).
uint16_t WaitForListeningPort(Subprocess* process, int timeout_ms = 30'000);

// A TCP port on 127.0.0.1 that was free a moment ago.
uint16_t PickFreePort();

// A fresh empty directory under the system temp dir; removed by the caller.
std::string MakeTempDir(const std::string& prefix);

}  // namespace tidemark::testing
