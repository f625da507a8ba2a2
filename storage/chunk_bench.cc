// Chunk encoding benchmarks: bytes per sample on the IoT shape (sealed codec vs plain Gorilla XOR
// in the same run) and decode (scan) speed.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <span>

#include "storage/iot_dataset.h"
#include "storage/sealed_chunk.h"
#include "storage/xor_chunk.h"

namespace tidemark::storage {
namespace {

constexpr int kDevices = 50;
constexpr int kSamplesPerDay = 8640;  // 24 h at 10 s

const std::vector<testing::IotSeries>& Dataset() {
  static const auto* data = [] {
    auto* all = new std::vector<testing::IotSeries>;
    for (int d = 0; d < kDevices; ++d) {
      for (auto& s : testing::MakeIotDevice(d, 1'763'769'600'000, kSamplesPerDay)) {
        all->push_back(std::move(s));
      }
    }
    return all;
  }();
  return *data;
}

// Arg 0: samples per sealed chunk. Reports bytes/sample for the sealed codec, for Gorilla with
// the same chunk length, and for Gorilla with Prometheus' 120-sample chunks, per metric as well.
void BM_BytesPerSampleIot(benchmark::State& state) {
  const size_t per_chunk = static_cast<size_t>(state.range(0));
  SealOptions opt;
  opt.zstd_level = static_cast<int>(state.range(1));
  double sealed = 0, gorilla = 0, gorilla120 = 0, samples = 0;
  double per_metric[5] = {0, 0, 0, 0, 0};
  double per_metric_samples[5] = {0, 0, 0, 0, 0};
  for (auto _ : state) {
    sealed = gorilla = gorilla120 = samples = 0;
    for (size_t si = 0; si < Dataset().size(); ++si) {
      const auto& s = Dataset()[si].samples;
      for (size_t off = 0; off < s.size(); off += per_chunk) {
        std::span<const Sample> part(s.data() + off, std::min(per_chunk, s.size() - off));
        size_t bytes = EncodeSealedChunk(part, opt).size();
        sealed += bytes;
        per_metric[si % 5] += bytes;
        per_metric_samples[si % 5] += part.size();
        XorChunk x;
        for (const auto& p : part) x.Append(p.t, p.v);
        gorilla += x.size_bytes() + 2;  // + sample count
        samples += part.size();
      }
      for (size_t off = 0; off < s.size(); off += 120) {
        XorChunk x;
        for (size_t i = off; i < std::min(off + 120, s.size()); ++i) x.Append(s[i].t, s[i].v);
        gorilla120 += x.size_bytes() + 2;
      }
    }
  }
  state.counters["tidemark_B_per_sample"] = sealed / samples;
  state.counters["gorilla_same_chunk_B_per_sample"] = gorilla / samples;
  state.counters["gorilla_120_B_per_sample"] = gorilla120 / samples;
  const char* names[] = {"temp", "humidity", "energy", "battery", "motion"};
  for (int m = 0; m < 5; ++m) {
    state.counters[std::string("tidemark_") + names[m]] = per_metric[m] / per_metric_samples[m];
  }
}
// Args: samples per chunk, zstd level (3 is what the store uses).
BENCHMARK(BM_BytesPerSampleIot)
    ->Args({120, 3})
    ->Args({720, 3})
    ->Args({8640, 3})
    ->Args({720, 19})
    ->Args({8640, 9})
    ->Args({8640, 19})
    ->Unit(benchmark::kMillisecond);

// A harder shape than the dataset's: a 0.1-resolution temperature whose reading jitters (sensor
// noise with sigma 0.05 before rounding), so consecutive values flip between neighbours often.
void BM_BytesPerSampleNoisyTemperature(benchmark::State& state) {
  const size_t per_chunk = static_cast<size_t>(state.range(0));
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0, 0.05);
  std::vector<Sample> s;
  for (int i = 0; i < kSamplesPerDay * 10; ++i) {
    double v = 21 + 2.5 * std::sin(2 * M_PI * (i % kSamplesPerDay) / kSamplesPerDay) + noise(rng);
    s.push_back({1'763'769'600'000 + i * 10'000LL, std::round(v * 10) / 10});
  }
  double sealed = 0, gorilla = 0;
  for (auto _ : state) {
    sealed = gorilla = 0;
    for (size_t off = 0; off < s.size(); off += per_chunk) {
      std::span<const Sample> part(s.data() + off, std::min(per_chunk, s.size() - off));
      sealed += EncodeSealedChunk(part).size();
      XorChunk x;
      for (const auto& p : part) x.Append(p.t, p.v);
      gorilla += x.size_bytes() + 2;
    }
  }
  state.counters["tidemark_B_per_sample"] = sealed / s.size();
  state.counters["gorilla_same_chunk_B_per_sample"] = gorilla / s.size();
}
BENCHMARK(BM_BytesPerSampleNoisyTemperature)->Arg(720)->Arg(8640)->Unit(benchmark::kMillisecond);

std::vector<std::string> EncodedChunks(size_t per_chunk) {
  std::vector<std::string> chunks;
  for (const auto& series : Dataset()) {
    const auto& s = series.samples;
    for (size_t off = 0; off < s.size(); off += per_chunk) {
      chunks.push_back(EncodeSealedChunk(
          std::span<const Sample>(s.data() + off, std::min(per_chunk, s.size() - off))));
    }
  }
  return chunks;
}

void BM_DecodeSealedIot(benchmark::State& state) {
  auto chunks = EncodedChunks(static_cast<size_t>(state.range(0)));
  std::vector<Sample> out;
  int64_t n = 0;
  for (auto _ : state) {
    for (const auto& c : chunks) {
      out.clear();
      if (!DecodeSealedChunk(c, &out).ok()) state.SkipWithError("decode failed");
      n += static_cast<int64_t>(out.size());
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["samples_per_s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DecodeSealedIot)->Arg(720)->Arg(8640)->Unit(benchmark::kMillisecond);

void BM_DecodeGorillaIot(benchmark::State& state) {
  std::vector<std::pair<std::string, int>> chunks;
  for (const auto& series : Dataset()) {
    const auto& s = series.samples;
    for (size_t off = 0; off < s.size(); off += 120) {
      XorChunk x;
      for (size_t i = off; i < std::min(off + 120, s.size()); ++i) x.Append(s[i].t, s[i].v);
      chunks.emplace_back(x.bytes(), x.num_samples());
    }
  }
  std::vector<Sample> out;
  int64_t n = 0;
  for (auto _ : state) {
    for (const auto& [bytes, count] : chunks) {
      out.clear();
      if (!XorChunk::Decode(bytes, count, &out).ok()) state.SkipWithError("decode failed");
      n += count;
    }
  }
  state.counters["samples_per_s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DecodeGorillaIot)->Unit(benchmark::kMillisecond);

void BM_EncodeSealedIot(benchmark::State& state) {
  int64_t n = 0;
  for (auto _ : state) {
    for (const auto& series : Dataset()) {
      const auto& s = series.samples;
      for (size_t off = 0; off < s.size(); off += 720) {
        std::span<const Sample> part(s.data() + off, std::min<size_t>(720, s.size() - off));
        benchmark::DoNotOptimize(EncodeSealedChunk(part));
        n += static_cast<int64_t>(part.size());
      }
    }
  }
  state.counters["samples_per_s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_EncodeSealedIot)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tidemark::storage

BENCHMARK_MAIN();
