// The simulated building fleet of the demo and the MQTT benchmark: three sites with four rooms
// each, publishing what real IoT deployments send — JSON climate readings, plain power and
// water-flow numbers, line-protocol meter counters, and motion events that a gateway uploads
// days late. Pure: the model turns a time into the messages of that tick; publishing is the
// caller's. Not thread-safe (holds the counters' running state).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace tidemark::fleet {

struct Message {
  std::string topic;
  std::string payload;
};

class FleetModel {
 public:
  explicit FleetModel(uint64_t seed = 42);

  // Every reading of one tick at `now_ms`, `interval_ms` after the previous tick.
  std::vector<Message> Tick(int64_t now_ms, int64_t interval_ms);
  // A batch of motion events, 1 to 3 days old, as a gateway uploads them after an outage.
  std::vector<Message> LateMotionEvents(int64_t now_ms);

  static const std::vector<std::string>& Sites();
  static const std::vector<std::string>& Rooms();
  // The appliances metered in `room`.
  static const std::vector<std::string>& Devices(const std::string& room);

 private:
  double Temperature(const std::string& site, const std::string& room, int64_t now_ms);
  double Power(const std::string& site, const std::string& room, const std::string& device,
               int64_t now_ms);
  double WaterFlow(const std::string& site, const std::string& room, int64_t now_ms);

  std::mt19937_64 random_;
  // Cumulative meters per site, advanced by the power and flow of each tick.
  std::vector<double> energy_kwh_;
  std::vector<double> water_m3_;
};

}  // namespace tidemark::fleet
