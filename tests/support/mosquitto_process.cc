#include "tests/support/mosquitto_process.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace tidemark::testing {

std::unique_ptr<MosquittoProcess> MosquittoProcess::Start() {
  std::unique_ptr<MosquittoProcess> broker(new MosquittoProcess());
  broker->dir_ = MakeTempDir("tidemark_mosquitto");
  broker->port_ = PickFreePort();
  const std::string conf = broker->dir_ + "/mosquitto.conf";
  std::ofstream(conf) << "listener " << broker->port_ << " 127.0.0.1\n"
                      << "allow_anonymous true\npersistence false\nlog_dest stderr\n"
                      << "max_queued_messages 0\n";
  broker->process_ = Subprocess::Start({"/usr/sbin/mosquitto", "-c", conf});
  if (!broker->process_) return nullptr;
  for (int i = 0; i < 100; ++i) {
    RunResult ping = RunToExit({"/usr/bin/mosquitto_pub", "-h", "127.0.0.1", "-p",
                                std::to_string(broker->port_), "-t", "ping", "-m", "x"},
                               5'000);
    if (ping.exit_code == 0) return broker;
    ::usleep(50'000);
  }
  return nullptr;
}

MosquittoProcess::~MosquittoProcess() {
  if (process_) {
    process_->Signal(SIGTERM);
    process_->Wait(5'000);
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

}  // namespace tidemark::testing
