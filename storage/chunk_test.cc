// Round-trip property tests for the XOR (Gorilla) chunk and the sealed chunk codec.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <random>

#include "storage/sealed_chunk.h"
#include "storage/varint.h"
#include "storage/xor_chunk.h"

namespace tidemark::storage {
namespace {

constexpr uint64_t kStaleNaN = 0x7ff0000000000002ULL;

using Gen = std::function<double(std::mt19937_64&, size_t)>;

struct Shape {
  const char* name;
  Gen value;
};

std::vector<Shape> Shapes() {
  return {
      {"random_bits",
       [](std::mt19937_64& r, size_t) {
         double v = BitsDouble(r());
         return v;
       }},
      {"constant", [](std::mt19937_64&, size_t) { return 42.5; }},
      {"zero", [](std::mt19937_64&, size_t) { return 0.0; }},
      {"counter",
       [c = 0.0](std::mt19937_64& r, size_t) mutable { return c += static_cast<double>(r() % 5); }},
      {"counter_decimal",
       [c = int64_t{0}](std::mt19937_64& r, size_t) mutable {
         c += static_cast<int64_t>(r() % 40);
         return static_cast<double>(c) / 1000.0;
       }},
      {"decimal_0.1",
       [](std::mt19937_64& r, size_t) {
         return static_cast<double>(static_cast<int64_t>(r() % 600) - 200) / 10.0;
       }},
      {"decimal_0.01_large",
       [](std::mt19937_64& r, size_t) {
         return static_cast<double>(static_cast<int64_t>(r() % 2000000000)) / 100.0;
       }},
      {"binary_state", [](std::mt19937_64& r, size_t) { return static_cast<double>(r() % 2); }},
      {"specials",
       [](std::mt19937_64& r, size_t) {
         switch (r() % 7) {
           case 0:
             return std::numeric_limits<double>::quiet_NaN();
           case 1:
             return BitsDouble(kStaleNaN);
           case 2:
             return std::numeric_limits<double>::infinity();
           case 3:
             return -std::numeric_limits<double>::infinity();
           case 4:
             return -0.0;
           case 5:
             return BitsDouble(0x7ff8dead0000beefULL);  // NaN with payload
           default:
             return static_cast<double>(r() % 100) / 10.0;
         }
       }},
      {"mostly_decimal_rare_stale",
       [](std::mt19937_64& r, size_t i) {
         if (i % 97 == 13) return BitsDouble(kStaleNaN);
         return 20.0 + static_cast<double>(r() % 30) / 10.0;
       }},
      {"tiny_and_huge",
       [](std::mt19937_64& r, size_t) {
         double choices[] = {1e-300, 5e-324, 1.7976931348623157e308, -1e300, 1e15 + 0.5, 0.1};
         return choices[r() % 6];
       }},
  };
}

std::vector<int64_t> Times(std::mt19937_64& r, size_t n, int kind) {
  std::vector<int64_t> t(n);
  int64_t cur = kind == 3 ? std::numeric_limits<int64_t>::min() / 2 : 1'700'000'000'000;
  for (size_t i = 0; i < n; ++i) {
    t[i] = cur;
    switch (kind) {
      case 0:
        cur += 10'000;
        break;  // regular
      case 1:
        cur += 10'000 + static_cast<int64_t>(r() % 7) - 3;
        break;  // jitter
      case 2:
        cur += 1 + static_cast<int64_t>(r() % 100'000'000);
        break;  // irregular
      default:
        cur += static_cast<int64_t>(r() % (int64_t{1} << 40)) + 1;
        break;  // huge gaps
    }
  }
  return t;
}

void ExpectSameBits(const std::vector<Sample>& want, const std::vector<Sample>& got,
                    const std::string& what) {
  ASSERT_EQ(want.size(), got.size()) << what;
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(want[i].t, got[i].t) << what << " at " << i;
    ASSERT_EQ(DoubleBits(want[i].v), DoubleBits(got[i].v)) << what << " at " << i;
  }
}

// DecodeSealedChunkRange over windows inside, around, before, after and between samples must
// give exactly the samples of the full decode within the window.
void ExpectRangesDecode(const std::vector<Sample>& samples, const std::string& enc,
                        std::mt19937_64& rng, const std::string& what) {
  std::vector<std::pair<int64_t, int64_t>> windows = {{INT64_MIN, INT64_MAX}};
  if (!samples.empty()) {
    const int64_t first = samples.front().t, last = samples.back().t;
    const Sample& mid = samples[samples.size() / 2];
    windows.insert(windows.end(), {{first - 10, first - 1},
                                   {last + 1, last + 10},
                                   {mid.t, mid.t},
                                   {mid.t + 1, mid.t},  // empty
                                   {first, samples[samples.size() / 3].t},
                                   {samples[2 * samples.size() / 3].t, last}});
    for (int k = 0; k < 3; ++k) {
      const int64_t a = samples[rng() % samples.size()].t + static_cast<int64_t>(rng() % 3) - 1;
      const int64_t b = samples[rng() % samples.size()].t + static_cast<int64_t>(rng() % 3) - 1;
      windows.emplace_back(std::min(a, b), std::max(a, b));
    }
  }
  for (const auto& [lo, hi] : windows) {
    std::vector<Sample> want;
    for (const Sample& x : samples) {
      if (x.t >= lo && x.t <= hi) want.push_back(x);
    }
    std::vector<Sample> got = {{1, 2}};  // appended after what is there
    ASSERT_TRUE(DecodeSealedChunkRange(enc, lo, hi, &got).ok()) << what;
    ASSERT_EQ(got.front().t, 1);
    got.erase(got.begin());
    ExpectSameBits(want, got,
                   "range [" + std::to_string(lo) + ", " + std::to_string(hi) + "] " + what);
  }
}

TEST(ChunkTest, RoundTripEveryShapeSizeAndCodec) {
  std::mt19937_64 rng(7);
  const size_t sizes[] = {0, 1, 2, 3, 4, 119, 120, 121, 1000, 8640};
  for (const auto& shape : Shapes()) {
    for (size_t n : sizes) {
      for (int tkind = 0; tkind < 4; ++tkind) {
        auto ts = Times(rng, n, tkind);
        std::vector<Sample> samples;
        Gen gen = shape.value;
        for (size_t i = 0; i < n; ++i) samples.push_back({ts[i], gen(rng, i)});
        std::string what =
            std::string(shape.name) + " n=" + std::to_string(n) + " tkind=" + std::to_string(tkind);
        XorChunk x;
        for (const auto& s : samples) x.Append(s.t, s.v);
        std::vector<Sample> got;
        ASSERT_TRUE(x.DecodeAll(&got).ok()) << what;
        ExpectSameBits(samples, got, "xor " + what);
        for (int codec = -1; codec <= 2; ++codec) {
          for (bool zstd : {false, true}) {
            SealOptions opt;
            opt.force_codec = codec;
            opt.compress = zstd;
            std::string enc = EncodeSealedChunk(samples, opt);
            got.clear();
            ASSERT_TRUE(DecodeSealedChunk(enc, &got).ok()) << what << " codec " << codec;
            ExpectSameBits(samples, got, "sealed codec " + std::to_string(codec) + " " + what);
            ExpectRangesDecode(samples, enc, rng, what);
          }
        }
      }
    }
  }
}

// Without zstd the encoder sizes candidates instead of building them all: it must still return
// exactly the smallest forced encoding (the lowest codec number on ties), for every shape.
TEST(ChunkTest, UnzippedChunkIsTheSmallestForcedEncoding) {
  std::mt19937_64 rng(11);
  for (const auto& shape : Shapes()) {
    for (size_t n : {1, 2, 120, 1000}) {
      auto ts = Times(rng, n, 0);
      std::vector<Sample> samples;
      Gen gen = shape.value;
      for (size_t i = 0; i < n; ++i) samples.push_back({ts[i], gen(rng, i)});
      SealOptions opt;
      opt.compress = false;
      std::string smallest;
      for (int codec = 0; codec <= 2; ++codec) {
        opt.force_codec = codec;
        std::string enc = EncodeSealedChunk(samples, opt);
        if (SealedChunkCodec(enc).value() != static_cast<ValueCodec>(codec))
          continue;  // no decimal
        if (smallest.empty() || enc.size() < smallest.size()) smallest = enc;
      }
      opt.force_codec = -1;
      EXPECT_EQ(EncodeSealedChunk(samples, opt), smallest) << shape.name << " n=" << n;
    }
  }
}

TEST(ChunkTest, DecimalScaleDetection) {
  EXPECT_EQ(DecimalScaleOf(21.0), 0);
  EXPECT_EQ(DecimalScaleOf(21.3), 1);
  EXPECT_EQ(DecimalScaleOf(-0.05), 2);
  EXPECT_EQ(DecimalScaleOf(0.0), 0);
  EXPECT_EQ(DecimalScaleOf(-0.0), -1);
  EXPECT_EQ(DecimalScaleOf(std::nan("")), -1);
  EXPECT_EQ(DecimalScaleOf(std::numeric_limits<double>::infinity()), -1);
  EXPECT_EQ(DecimalScaleOf(1.0 / 3.0), -1);
  EXPECT_EQ(DecimalScaleOf(1e300), -1);
}

TEST(ChunkTest, PicksDecimalForDecimalDataAndBeatsXor) {
  std::mt19937_64 rng(3);
  std::vector<Sample> s;
  int64_t v = 215;
  for (int i = 0; i < 720; ++i) {
    if (rng() % 4 == 0) v += static_cast<int64_t>(rng() % 3) - 1;
    s.push_back({1'700'000'000'000 + i * 10'000LL, static_cast<double>(v) / 10.0});
  }
  std::string best = EncodeSealedChunk(s);
  auto codec = SealedChunkCodec(best);
  ASSERT_TRUE(codec.ok());
  EXPECT_NE(*codec, ValueCodec::kXor);
  XorChunk x;
  for (const auto& p : s) x.Append(p.t, p.v);
  EXPECT_LT(best.size() * 3, x.size_bytes()) << best.size() << " vs " << x.size_bytes();
}

// A two-hour chunk of a 0.1-resolution temperature (steps -0.1, 0, +0.1 with p .2/.6/.2, 1.37
// bits of entropy per sample) is coded near that entropy, headers included: zstd needed about
// 1.96 bits per sample plus its frame headers and tables.
TEST(ChunkTest, EntropyCodesRegularDecimalDataNearItsEntropy) {
  std::mt19937_64 rng(5);
  std::vector<Sample> s;
  int64_t v = 215;
  for (int i = 0; i < 720; ++i) {
    const uint64_t r = rng() % 5;
    v += r == 0 ? -1 : r == 1 ? 1 : 0;
    s.push_back({1'700'000'000'000 + i * 10'000LL, static_cast<double>(v) / 10.0});
  }
  const double entropy_bytes = 720 * 1.371 / 8;
  const std::string enc = EncodeSealedChunk(s);
  EXPECT_LE(enc.size(), entropy_bytes * 1.03 + 32) << enc.size();
  std::vector<Sample> got;
  ASSERT_TRUE(DecodeSealedChunk(enc, &got).ok());
  ExpectSameBits(s, got, "temperature");
  // A 0/1 sensor that rarely toggles costs a few bits per toggle, not a bit per sample.
  s.clear();
  int state = 0;
  for (int i = 0; i < 720; ++i) {
    if (i % 97 == 40) state = 1 - state;
    s.push_back({1'700'000'000'000 + i * 10'000LL, static_cast<double>(state)});
  }
  EXPECT_LT(EncodeSealedChunk(s).size(), 60u);
}

// Timestamps at a fixed interval store the first time and the interval only: a plain two-hour
// chunk at 10 s saves its 718 zero delta-of-deltas, and chunks written before that layout (the
// zeros stored) still decode.
TEST(ChunkTest, RegularTimesStoreOnlyTheFirstTimeAndInterval) {
  SealOptions plain;
  plain.compress = false;
  std::vector<Sample> s;
  for (int i = 0; i < 720; ++i) s.push_back({1'700'000'000'000 + i * 10'000LL, 21.5});
  const std::string regular = EncodeSealedChunk(s, plain);
  s[300].t += 1;  // one jittered sample: every delta-of-delta is stored
  const std::string jittered = EncodeSealedChunk(s, plain);
  EXPECT_EQ(static_cast<uint8_t>(regular[0]) & 0x10, 0x10);
  EXPECT_EQ(static_cast<uint8_t>(jittered[0]) & 0x10, 0);
  EXPECT_GE(jittered.size(), regular.size() + 718);
  s[300].t -= 1;
  for (const SealOptions& opt : {plain, SealOptions{}}) {
    std::vector<Sample> got;
    ASSERT_TRUE(DecodeSealedChunk(EncodeSealedChunk(s, opt), &got).ok());
    ExpectSameBits(s, got, opt.compress ? "rANS" : "plain");
  }

  // Samples (1000, 1.5), (1010, 1.6), (1020, 1.4) as decimal deltas at scale 1, both layouts.
  const std::string old_layout("\x01\x03\xd0\x0f\x14\x00\x01\x1e\x02\x03\x00", 11);
  const std::string new_layout("\x11\x03\xd0\x0f\x14\x01\x1e\x02\x03\x00", 10);
  const std::vector<Sample> three = {{1000, 1.5}, {1010, 1.6}, {1020, 1.4}};
  plain.force_codec = static_cast<int>(ValueCodec::kDecimalDelta);
  EXPECT_EQ(EncodeSealedChunk(three, plain), new_layout);
  for (const std::string& enc : {old_layout, new_layout}) {
    std::vector<Sample> got;
    ASSERT_TRUE(DecodeSealedChunk(enc, &got).ok());
    ExpectSameBits(three, got, "hand-built chunk");
  }
  // The flag is only valid with at least three samples.
  std::string two = new_layout;
  two[1] = 2;
  std::vector<Sample> got;
  EXPECT_FALSE(DecodeSealedChunk(two, &got).ok());
}

// A corrupt sample count must not size an allocation: an entropy-coded body of a few bytes can
// claim millions of samples.
TEST(ChunkTest, RejectsCountsAboveTheChunkLimit) {
  std::vector<Sample> one = {{1000, 1.5}};
  std::string enc = EncodeSealedChunk(one);
  std::vector<Sample> out;
  ASSERT_TRUE(DecodeSealedChunk(enc, &out).ok());
  for (uint8_t flags : {0x01, 0x05, 0x09, 0x11, 0x15, 0x19}) {  // plain, zstd, rANS; regular
    std::string bad(1, static_cast<char>(flags));
    uint64_t n = kMaxSealedChunkSamples + 1;
    while (n >= 0x80) {
      bad.push_back(static_cast<char>(n | 0x80));
      n >>= 7;
    }
    bad.push_back(static_cast<char>(n));
    bad.append(64, '\0');
    out.clear();
    EXPECT_FALSE(DecodeSealedChunk(bad, &out).ok()) << int{flags};
    EXPECT_TRUE(out.empty());
  }
}

TEST(ChunkTest, CorruptInputNeverCrashes) {
  std::mt19937_64 rng(11);
  for (int iter = 0; iter < 300; ++iter) {
    std::vector<Sample> s;
    int n = 1 + static_cast<int>(rng() % 200);
    for (int i = 0; i < n; ++i) {
      s.push_back({i * 1000LL, static_cast<double>(rng() % 1000) / 10.0});
    }
    SealOptions opt;
    opt.force_codec = static_cast<int>(rng() % 4) - 1;
    opt.compress = rng() % 2;
    std::string enc = EncodeSealedChunk(s, opt);
    std::vector<Sample> out;
    // Truncation is always detected.
    if (enc.size() > 1) {
      std::string cut = enc.substr(0, rng() % enc.size());
      EXPECT_FALSE(DecodeSealedChunk(cut, &out).ok()) << "iteration " << iter;
      EXPECT_TRUE(out.empty());
    }
    // Random bit flips must not crash (result may or may not decode).
    std::string flipped = enc;
    flipped[rng() % flipped.size()] ^= static_cast<char>(1 << (rng() % 8));
    out.clear();
    (void)DecodeSealedChunk(flipped, &out);
    out.clear();
    (void)XorChunk::Decode(flipped, n, &out);
  }
}

}  // namespace
}  // namespace tidemark::storage
