#include "tests/support/subprocess.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <sstream>

namespace tidemark::testing {

std::unique_ptr<Subprocess> Subprocess::Start(const std::vector<std::string>& argv) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return nullptr;
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return nullptr;
  if (pid == 0) {
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::dup2(pipe_fds[1], STDERR_FILENO);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  std::unique_ptr<Subprocess> process(new Subprocess());
  process->pid_ = pid;
  process->output_fd_ = pipe_fds[0];
  process->reader_ = std::thread([p = process.get()] { p->ReadLoop(); });
  return process;
}

Subprocess::~Subprocess() {
  if (!exit_code_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    Wait(10'000);
  }
  if (reader_.joinable()) reader_.join();
  if (output_fd_ >= 0) ::close(output_fd_);
}

void Subprocess::ReadLoop() {
  char chunk[4096];
  while (true) {
    const ssize_t n = ::read(output_fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    std::lock_guard<std::mutex> lock(mu_);
    if (n <= 0) {
      output_closed_ = true;
      cv_.notify_all();
      return;
    }
    output_.append(chunk, static_cast<size_t>(n));
    cv_.notify_all();
  }
}

std::optional<std::string> Subprocess::WaitForLine(const std::regex& pattern, int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    std::istringstream lines(output_);
    for (std::string line; std::getline(lines, line);) {
      if (std::regex_search(line, pattern)) return line;
    }
    if (output_closed_) return std::nullopt;
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) return std::nullopt;
  }
}

std::string Subprocess::Output() const {
  std::lock_guard<std::mutex> lock(mu_);
  return output_;
}

void Subprocess::Signal(int signal_number) {
  if (!exit_code_) ::kill(pid_, signal_number);
}

std::optional<int> Subprocess::Wait(int timeout_ms) {
  if (exit_code_) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      if (reader_.joinable()) reader_.join();
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

RunResult RunToExit(const std::vector<std::string>& argv, int timeout_ms) {
  RunResult result;
  auto process = Subprocess::Start(argv);
  if (!process) return result;
  const auto code = process->Wait(timeout_ms);
  result.exit_code = code.value_or(-1);
  result.output = process->Output();
  return result;
}

uint16_t WaitForListeningPort(Subprocess* process, int timeout_ms) {
  static const std::regex kListening(R"(listening on http://127\.0\.0\.1:(\d+))");
  auto line = process->WaitForLine(kListening, timeout_ms);
  if (!line) return 0;
  std::smatch match;
  std::regex_search(*line, match, kListening);
  return static_cast<uint16_t>(std::stoi(match[1]));
}

uint16_t PickFreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string MakeTempDir(const std::string& prefix) {
  std::string pattern = "/tmp/" + prefix + "XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) return "";
  return pattern;
}

}  // namespace tidemark::testing
