#include "tools/fleet/fleet_model.h"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace tidemark::fleet {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int64_t kDayMs = 86'400'000;

// 0 at midnight UTC, 1 at noon: drives daylight, occupancy and heating.
double Daylight(int64_t now_ms) {
  const double phase = static_cast<double>(now_ms % kDayMs) / kDayMs;
  return 0.5 - 0.5 * std::cos(2 * kPi * phase);
}

std::string Fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string Rfc3339(int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  return std::string(text) + "." + Fixed(static_cast<double>(ms % 1000), 0) + "Z";
}

}  // namespace

FleetModel::FleetModel(uint64_t seed)
    : random_(seed), energy_kwh_(Sites().size(), 0), water_m3_(Sites().size(), 0) {
  for (size_t i = 0; i < Sites().size(); ++i) {
    energy_kwh_[i] = 10'000 + 2'500 * static_cast<double>(i);
    water_m3_[i] = 300 + 75 * static_cast<double>(i);
  }
}

const std::vector<std::string>& FleetModel::Sites() {
  static const std::vector<std::string> kSites = {"north", "south", "harbor"};
  return kSites;
}

const std::vector<std::string>& FleetModel::Rooms() {
  static const std::vector<std::string> kRooms = {"lobby", "office", "kitchen", "server_room"};
  return kRooms;
}

const std::vector<std::string>& FleetModel::Devices(const std::string& room) {
  static const std::vector<std::string> kKitchen = {"fridge", "oven", "washer", "lighting"};
  static const std::vector<std::string> kServerRoom = {"hvac"};
  static const std::vector<std::string> kOther = {"hvac", "lighting"};
  if (room == "kitchen") return kKitchen;
  if (room == "server_room") return kServerRoom;
  return kOther;
}

// Rooms follow the day; harbor's server room runs hot in the afternoon (the overheating alert).
double FleetModel::Temperature(const std::string& site, const std::string& room, int64_t now_ms) {
  std::normal_distribution<double> noise(0, 0.15);
  double base = room == "server_room" ? 22 : room == "kitchen" ? 21.5 : 20.5;
  base += 2.0 * Daylight(now_ms);
  if (site == "harbor" && room == "server_room") base += 8.0 * Daylight(now_ms);
  return base + noise(random_);
}

double FleetModel::Power(const std::string& site, const std::string& room,
                         const std::string& device, int64_t now_ms) {
  std::uniform_real_distribution<double> unit(0, 1);
  const double day = Daylight(now_ms);
  if (device == "hvac") return (room == "server_room" ? 1800 : 600) + 900 * day * unit(random_);
  if (device == "fridge") return unit(random_) < 0.4 ? 140 + 10 * unit(random_) : 4;
  if (device == "oven") return day > 0.7 && unit(random_) < 0.3 ? 2000 : 0;
  if (device == "washer") return unit(random_) < 0.15 ? 500 : 2;
  return day > 0.3 ? 120 + 30 * unit(random_) : 0;  // lighting
}

// Kitchens draw water in bursts; harbor's kitchen also leaks a steady trickle (the leak alert).
double FleetModel::WaterFlow(const std::string& site, const std::string& room, int64_t now_ms) {
  std::uniform_real_distribution<double> unit(0, 1);
  double flow = unit(random_) < 0.1 ? 6 + 6 * unit(random_) : 0;
  if (site == "harbor") flow += 0.8;
  return flow;
}

std::vector<Message> FleetModel::Tick(int64_t now_ms, int64_t interval_ms) {
  std::vector<Message> out;
  const double hours = static_cast<double>(interval_ms) / 3'600'000.0;
  for (size_t s = 0; s < Sites().size(); ++s) {
    const std::string& site = Sites()[s];
    double site_watts = 0;
    double site_lpm = 0;
    for (const std::string& room : Rooms()) {
      const std::string prefix = "fleet/" + site + "/" + room;
      std::normal_distribution<double> humidity(48, 3);
      out.push_back(
          {prefix + "/climate", "{\"temperature\": " + Fixed(Temperature(site, room, now_ms), 2) +
                                    ", \"humidity\": " + Fixed(humidity(random_), 1) +
                                    ", \"battery_v\": 3.01}"});
      for (const std::string& device : Devices(room)) {
        const double watts = Power(site, room, device, now_ms);
        site_watts += watts;
        out.push_back({prefix + "/" + device + "/power_watts", Fixed(watts, 1)});
      }
      if (room == "kitchen") {
        const double lpm = WaterFlow(site, room, now_ms);
        site_lpm += lpm;
        out.push_back({prefix + "/water_flow_lpm", Fixed(lpm, 2)});
      }
    }
    energy_kwh_[s] += site_watts / 1000.0 * hours;
    water_m3_[s] += site_lpm * 60.0 * hours / 1000.0;
    const std::string ms = std::to_string(now_ms);
    out.push_back({"fleet/" + site + "/meters",
                   "energy,site=" + site + ",meter=main kwh_total=" + Fixed(energy_kwh_[s], 4) +
                       " " + ms + "\nwater,site=" + site +
                       ",meter=main m3_total=" + Fixed(water_m3_[s], 5) + " " + ms});
  }
  return out;
}

std::vector<Message> FleetModel::LateMotionEvents(int64_t now_ms) {
  std::vector<Message> out;
  std::uniform_int_distribution<int64_t> age(kDayMs, 3 * kDayMs);
  for (const std::string& site : Sites()) {
    for (const std::string& room : {std::string("lobby"), std::string("office")}) {
      std::string events;
      const int64_t start = now_ms - age(random_);
      for (int i = 0; i < 5; ++i) {
        if (!events.empty()) events += ", ";
        events += "{\"ts\": \"" + Rfc3339(start + i * 20'000) + "\", \"motion\": 1}";
      }
      out.push_back({"fleet/" + site + "/" + room + "/motion",
                     "{\"gateway\": \"gw-" + site + "\", \"events\": [" + events + "]}"});
    }
  }
  return out;
}

}  // namespace tidemark::fleet
