// A synthetic IoT-shaped dataset for benchmarks and tests: per device, five series sampled every
// 10 s — temperature (0.1 °C resolution, daily cycle plus drift), relative humidity (0.1 %), an
// energy counter (kWh, 0.001 resolution, monotonic), a battery level (integer %, slowly
// discharging) and a 0/1 motion sensor (rare bursts). Deterministic for a given seed.
// Header-only; stateless functions, thread-safe.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "storage/labels.h"
#include "storage/write_batch.h"

namespace tidemark::storage::testing {

struct IotSeries {
  Labels labels;
  std::vector<Sample> samples;
};

inline std::vector<IotSeries> MakeIotDevice(int device, int64_t start_ms, int num_samples,
                                            int64_t interval_ms = 10'000) {
  std::mt19937_64 rng(1000 + device);
  std::normal_distribution<double> noise(0, 1);
  auto labels = [&](const char* metric) {
    return Labels({{"__name__", metric}, {"device", "dev-" + std::to_string(device)}});
  };
  std::vector<IotSeries> out = {{labels("temperature_celsius"), {}},
                                {labels("humidity_percent"), {}},
                                {labels("energy_kwh_total"), {}},
                                {labels("battery_percent"), {}},
                                {labels("motion"), {}}};
  double drift = 0, hum_drift = 0;
  int64_t energy_wh = 1'000'000 + device * 1000;
  double battery = 100 - device % 40;
  int motion_left = 0;
  bool heater_on = false;
  for (int i = 0; i < num_samples; ++i) {
    int64_t t = start_ms + i * interval_ms;
    double day_phase = 2 * M_PI * static_cast<double>(t % 86'400'000) / 86'400'000.0;
    drift += noise(rng) * 0.02;
    drift *= 0.999;
    double temp = 21 + 2.5 * std::sin(day_phase) + drift;
    out[0].samples.push_back({t, std::round(temp * 10) / 10});
    hum_drift += noise(rng) * 0.03;
    hum_drift *= 0.999;
    double hum = 48 - 6 * std::sin(day_phase) + hum_drift;
    out[1].samples.push_back({t, std::round(hum * 10) / 10});
    if (rng() % 360 == 0) heater_on = !heater_on;
    double watts = heater_on ? 1800 : 60;
    energy_wh += static_cast<int64_t>(std::llround(watts * interval_ms / 3'600'000.0));
    out[2].samples.push_back({t, static_cast<double>(energy_wh) / 1000});
    battery -= 0.0003;
    out[3].samples.push_back({t, std::floor(battery)});
    if (motion_left == 0 && rng() % 500 == 0) motion_left = 3 + static_cast<int>(rng() % 30);
    out[4].samples.push_back({t, motion_left > 0 ? 1.0 : 0.0});
    if (motion_left > 0) --motion_left;
  }
  return out;
}

}  // namespace tidemark::storage::testing
