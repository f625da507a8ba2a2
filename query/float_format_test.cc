// WriteFloat must give exactly std::to_chars(fixed) (the shortest round trip, which is what Go's
// strconv.FormatFloat(v, 'f', -1, 64) prints) for every double, whichever of its paths a value
// takes; WriteInteger exactly std::to_chars. The reference here is the standard library alone.
#include "query/float_format.h"

#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "query/value.h"

namespace tidemark::query {
namespace {

std::string Reference(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[512];
  return std::string(buf, std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed).ptr);
}

std::string Fast(double v) {
  char buf[kMaxFloatChars];
  return std::string(buf, WriteFloat(v, buf));
}

// Counts mismatches and reports the first few, so one bad path does not flood the log.
class Checker {
 public:
  void Check(double v) {
    ++checked_;
    const std::string want = Reference(v), got = Fast(v);
    if (got == want) return;
    if (++bad_ <= 10) ADD_FAILURE() << std::hexfloat << v << ": got " << got << ", want " << want;
  }
  void CheckBothSigns(double v) {
    Check(v);
    Check(-v);
  }
  int bad() const { return bad_; }
  int checked() const { return checked_; }

 private:
  int bad_ = 0;
  int checked_ = 0;
};

TEST(FloatFormatTest, KnownValuesAsPrometheusPrintsThem) {
  EXPECT_EQ(Fast(0.1), "0.1");
  EXPECT_EQ(Fast(20.868000000000002), "20.868000000000002");
  EXPECT_EQ(Fast(1e-05), "0.00001");
  EXPECT_EQ(Fast(123456789.125), "123456789.125");
  EXPECT_EQ(Fast(-2.5), "-2.5");
  EXPECT_EQ(Fast(42), "42");
  EXPECT_EQ(Fast(0.0), "0");
  EXPECT_EQ(Fast(-0.0), "-0");
  EXPECT_EQ(Fast(1e21), "1000000000000000000000");
  EXPECT_EQ(Fast(std::nan("")), "NaN");
  EXPECT_EQ(Fast(StaleNaN()), "NaN");
  EXPECT_EQ(Fast(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(Fast(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatFloat(3.25), "3.25");
}

// Prometheus' API writes tiny and huge sample values in exponent form, as Go's 'e', -1 does.
TEST(FloatFormatTest, SampleValuesUseExponentsBelow1eMinus6AndFrom1e21) {
  auto sample = [](double v) {
    char buf[kMaxFloatChars];
    return std::string(buf, WriteSampleValue(v, buf));
  };
  EXPECT_EQ(sample(1e-7), "1e-07");
  EXPECT_EQ(sample(5e-7), "5e-07");
  EXPECT_EQ(sample(-2.5e-8), "-2.5e-08");
  EXPECT_EQ(sample(1e21), "1e+21");
  EXPECT_EQ(sample(1.5e21), "1.5e+21");
  EXPECT_EQ(sample(5e-324), "5e-324");
  EXPECT_EQ(sample(1e-6), "0.000001");
  EXPECT_EQ(sample(9.99e20), "999000000000000000000");
  EXPECT_EQ(sample(0.0), "0");
  EXPECT_EQ(sample(-0.0), "-0");
  EXPECT_EQ(sample(20.5), "20.5");
  EXPECT_EQ(sample(std::nan("")), "NaN");
  EXPECT_EQ(sample(-std::numeric_limits<double>::infinity()), "-Inf");
}

// Every binade from the subnormals to the largest, near its edges and near powers of ten: the
// edges of the exact path's range, powers of two (lopsided intervals) and carries.
TEST(FloatFormatTest, EdgesOfEveryBinadeAndPowerOfTen) {
  Checker c;
  for (int e = -1074; e <= 1023; ++e) {
    double x = std::ldexp(1.0, e);
    for (int step = 0; step < 4; ++step) {
      c.CheckBothSigns(x);
      x = std::nextafter(x, std::numeric_limits<double>::infinity());
    }
    x = std::ldexp(1.0, e);
    for (int step = 0; step < 4; ++step) {
      x = std::nextafter(x, 0.0);
      c.CheckBothSigns(x);
    }
  }
  for (int e = -325; e <= 308; ++e) {
    const double x = std::pow(10.0, e);
    c.CheckBothSigns(x);
    c.CheckBothSigns(std::nextafter(x, 0.0));
    c.CheckBothSigns(std::nextafter(x, std::numeric_limits<double>::infinity()));
  }
  c.CheckBothSigns(std::numeric_limits<double>::max());
  c.CheckBothSigns(std::numeric_limits<double>::denorm_min());
  c.CheckBothSigns(9007199254740991.0);
  c.CheckBothSigns(4503599627370495.5);
  EXPECT_EQ(c.bad(), 0) << "of " << c.checked();
}

// Telemetry-shaped values: short decimals, their neighbours, and sums and means of them (the
// 17-digit values an avg or a rate yields), plus whole numbers and quarters.
TEST(FloatFormatTest, DecimalsMeansAndWholeNumbers) {
  Checker c;
  std::mt19937_64 rng(20261122);
  for (int i = 0; i < 200'000; ++i) {
    const int decimals = static_cast<int>(rng() % 10);
    const double x = static_cast<double>(rng() % 100'000'000) / std::pow(10.0, decimals);
    c.CheckBothSigns(x);
    c.Check(std::nextafter(x, 0.0));
    c.Check(std::nextafter(x, 1e300));
    c.Check(x / 3);
    c.Check(x * 1.1);
  }
  for (int i = 0; i < 50'000; ++i) {
    double sum = 0;
    const int n = 1 + static_cast<int>(rng() % 60);
    for (int k = 0; k < n; ++k) sum += static_cast<double>(rng() % 40'000) / 1000;
    c.Check(sum / n);
  }
  for (int64_t i = -50'000; i <= 50'000; ++i) {
    c.Check(static_cast<double>(i));
    c.Check(static_cast<double>(i) / 4);
    c.Check(static_cast<double>(i) * 0.001);
  }
  EXPECT_EQ(c.bad(), 0) << "of " << c.checked();
}

// Random bit patterns: over all doubles, and over the exact path's range [2^-21, 2^53).
TEST(FloatFormatTest, RandomBitPatterns) {
  Checker c;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 300'000; ++i) c.Check(std::bit_cast<double>(rng()));
  for (int i = 0; i < 1'000'000; ++i) {
    const uint64_t exponent = 1023 - 22 + rng() % 76;
    const uint64_t bits = (exponent << 52) | (rng() & ((uint64_t{1} << 52) - 1)) | (rng() << 63);
    c.Check(std::bit_cast<double>(bits));
  }
  EXPECT_EQ(c.bad(), 0) << "of " << c.checked();
}

TEST(FloatFormatTest, IntegersAsToChars) {
  auto check = [](int64_t v) {
    char got[24], want[24];
    const std::string g(got, WriteInteger(v, got));
    const std::string w(want, std::to_chars(want, want + sizeof(want), v).ptr);
    EXPECT_EQ(g, w);
  };
  for (int64_t p = 1; p <= std::numeric_limits<int64_t>::max() / 10; p *= 10) {
    for (int64_t v : {p - 1, p, p + 1}) {
      check(v);
      check(-v);
    }
  }
  check(0);
  check(std::numeric_limits<int64_t>::max());
  check(std::numeric_limits<int64_t>::min());
  std::mt19937_64 rng(11);
  for (int i = 0; i < 100'000; ++i) {
    check(static_cast<int64_t>(rng()));
    check(static_cast<int64_t>(rng() >> (rng() % 64)));
  }
}

}  // namespace
}  // namespace tidemark::query
