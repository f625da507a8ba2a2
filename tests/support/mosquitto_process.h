// MosquittoProcess: Debian's mosquitto broker on 127.0.0.1 on a free port, for tests that need a
// real MQTT peer. Started with its own config in a temp dir (anonymous, no persistence, no queue
// limit) and stopped by PID. Not thread-safe; one per test.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tests/support/subprocess.h"

namespace tidemark::testing {

class MosquittoProcess {
 public:
  // Starts the broker and waits until mosquitto_pub can publish to it; nullptr on failure.
  static std::unique_ptr<MosquittoProcess> Start();
  ~MosquittoProcess();

  uint16_t port() const { return port_; }
  std::string url() const { return "mqtt://127.0.0.1:" + std::to_string(port_); }

 private:
  MosquittoProcess() = default;
  uint16_t port_ = 0;
  std::string dir_;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace tidemark::testing
