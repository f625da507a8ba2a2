#include "tests/support/mosquitto_broker.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

namespace tidemark::testing {

MosquittoBroker::MosquittoBroker(std::string dir, std::string extra_config, std::string username,
                                 std::string password)
    : dir_(std::move(dir)),
      extra_config_(std::move(extra_config)),
      username_(std::move(username)),
      password_(std::move(password)),
      port_(PickFreePort()) {}

MosquittoBroker::~MosquittoBroker() { Kill(); }

bool MosquittoBroker::Start() {
  const std::string config = dir_ + "/mosquitto.conf";
  std::string access = "allow_anonymous true\n";
  if (!username_.empty()) {
    const std::string file = dir_ + "/passwords";
    if (RunToExit({"/usr/bin/mosquitto_passwd", "-c", "-b", file, username_, password_})
            .exit_code != 0) {
      ADD_FAILURE() << "mosquitto_passwd failed";
      return false;
    }
    access = "allow_anonymous false\npassword_file " + file + "\n";
  }
  std::ofstream(config) << "listener " << port_ << " 127.0.0.1\n"
                        << access << "persistence true\npersistence_location " << dir_ << "/\n"
                        << "user root\nlog_dest stderr\nmax_queued_messages 0\n"
                        << extra_config_;
  process_ = Subprocess::Start({"/usr/sbin/mosquitto", "-c", config});
  if (!process_) return false;
  for (int attempt = 0; attempt < 100; ++attempt) {
    if (Publish("tidemark-test/ping", "x", 0)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::ifstream written(config);
  ADD_FAILURE() << "mosquitto did not start:\n"
                << process_->Output() << "\nconfig:\n"
                << std::string(std::istreambuf_iterator<char>(written), {});
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
  std::vector<std::string> argv = {"/usr/bin/mosquitto_pub",
                                   "-h",
                                   "127.0.0.1",
                                   "-p",
                                   std::to_string(port_),
                                   "-q",
                                   std::to_string(qos),
                                   "-t",
                                   topic,
                                   "-m",
                                   payload};
  if (!username_.empty()) argv.insert(argv.end(), {"-u", username_, "-P", password_});
  return RunToExit(argv, 10'000).exit_code == 0;
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
                              " -q " + std::to_string(qos) + " -t '" + topic + "' -l < " + path +
                              (username_.empty() ? "" : " -u " + username_ + " -P " + password_);
  return RunToExit({"/bin/sh", "-c", command}, 120'000).exit_code == 0;
}

}  // namespace tidemark::testing
