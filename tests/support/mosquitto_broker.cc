#include "tests/support/mosquitto_broker.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

namespace tidemark::testing {

MosquittoBroker::MosquittoBroker(std::string dir, std::string extra_config)
    : dir_(std::move(dir)), extra_config_(std::move(extra_config)), port_(PickFreePort()) {}

MosquittoBroker::~MosquittoBroker() { Kill(); }

bool MosquittoBroker::Start() {
  const std::string config = dir_ + "/mosquitto.conf";
  std::ofstream(config) << "listener " << port_ << " 127.0.0.1\n"
                        << "allow_anonymous true\n"
                        << "persistence true\npersistence_location " << dir_ << "/\n"
                        << "user root\nlog_dest stderr\nmax_queued_messages 0\n"
                        << extra_config_;
  process_ = Subprocess::Start({"/usr/sbin/mosquitto", "-c", config});
  if (!process_) return false;
  for (int attempt = 0; attempt < 100; ++attempt) {
    if (Publish("tidemark-test/ping", "x", 0)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "mosquitto did not start:\n" << process_->Output();
  return false;
}

void MosquittoBroker::Stop() {
  if (!process_) return;
  process_->Signal(SIGTERM);
  process_->Wait(10'000);
  process_.reset();
}

void MosquittoBroker::Kill() {
  if (!process_) return;
  process_->Signal(SIGKILL);
  process_->Wait(10'000);
  process_.reset();
}

bool MosquittoBroker::Publish(const std::string& topic, const std::string& payload, int qos) const {
  return RunToExit({"/usr/bin/mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(port_), "-q",
                    std::to_string(qos), "-t", topic, "-m", payload},
                   10'000)
             .exit_code == 0;
}

bool MosquittoBroker::PublishLines(const std::string& topic, const std::vector<std::string>& lines,
                                   int qos) const {
  static int file_number = 0;
  const std::string path = dir_ + "/publish-" + std::to_string(++file_number) + ".txt";
  {
    std::ofstream out(path);
    for (const std::string& line : lines) out << line << "\n";
  }
  const std::string command = "/usr/bin/mosquitto_pub -h 127.0.0.1 -p " + std::to_string(port_) +
                              " -q " + std::to_string(qos) + " -t '" + topic + "' -l < " + path;
  return RunToExit({"/bin/sh", "-c", command}, 120'000).exit_code == 0;
}

}  // namespace tidemark::testing
