// MosquittoBroker: the Debian mosquitto 2.0 broker for a test, on 127.0.0.1 and a free port,
// with unlimited queues (the default of 1000 queued messages silently drops QoS 1 messages to a
// slow subscriber) and persistence in the test's directory, so a restart keeps sessions. Stopped
// by PID. Also runs mosquitto_pub against it. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"

namespace tidemark::testing {

class MosquittoBroker {
 public:
  // `dir` keeps the config and the persistence file. `extra_config` lines are appended (e.g. a
  // TLS listener). With a `username`, anonymous clients are refused and only that user with
  // `password` is let in (our own publishes included).
  explicit MosquittoBroker(std::string dir, std::string extra_config = "",
                           std::string username = "", std::string password = "");
  ~MosquittoBroker();

  // Starts (or restarts on the same port) and waits until a publish succeeds.
  bool Start();
  // SIGTERM, so persistence is written.
  void Stop();
  void Kill();

  uint16_t port() const { return port_; }
  std::string url() const { return "mqtt://127.0.0.1:" + std::to_string(port_); }
  std::string Output() const { return process_ ? process_->Output() : ""; }

  // mosquitto_pub of one message; true on exit status 0.
  bool Publish(const std::string& topic, const std::string& payload, int qos = 1) const;
  // mosquitto_pub -l: each line of `lines` is one message (keep under 65,535 at QoS ≥ 1).
  bool PublishLines(const std::string& topic, const std::vector<std::string>& lines,
                    int qos = 1) const;

 private:
  std::string dir_;
  std::string extra_config_;
  std::string username_;
  std::string password_;
  uint16_t port_ = 0;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace tidemark::testing
