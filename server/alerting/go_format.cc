#include "server/alerting/go_format.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace tidemark::server::alerting {
namespace {

// Shortest round-trip decimal digits of |v| (no dot) and the decimal exponent of the first digit.
void ShortestDigits(double v, std::string* digits, int* exponent) {
  char buf[64];
  auto [end, ec] =
      std::to_chars(buf, buf + sizeof(buf), std::fabs(v), std::chars_format::scientific);
  const std::string text(buf, end);
  const size_t e = text.find('e');
  digits->clear();
  for (size_t i = 0; i < e; ++i) {
    if (text[i] != '.') digits->push_back(text[i]);
  }
  *exponent = std::stoi(text.substr(e + 1));
}

std::string ExponentForm(const std::string& digits, int exponent) {
  std::string out(1, digits[0]);
  if (digits.size() > 1) out += "." + digits.substr(1);
  char exp[16];
  std::snprintf(exp, sizeof(exp), "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  return out + exp;
}

std::string PlainForm(const std::string& digits, int exponent) {
  if (exponent < 0) return "0." + std::string(-exponent - 1, '0') + digits;
  const size_t int_digits = static_cast<size_t>(exponent) + 1;
  if (digits.size() <= int_digits) return digits + std::string(int_digits - digits.size(), '0');
  return digits.substr(0, int_digits) + "." + digits.substr(int_digits);
}

std::string SpecialFloat(double v) {
  if (std::isnan(v)) return "NaN";
  return v > 0 ? "+Inf" : "-Inf";
}

}  // namespace

std::string GoFloatV(double v) {
  if (!std::isfinite(v)) return SpecialFloat(v);
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  std::string digits;
  int exponent = 0;
  ShortestDigits(v, &digits, &exponent);
  const std::string sign = v < 0 ? "-" : "";
  // Go's shortest %g switches to the exponent form below 1e-4 and from 1e+06 on.
  if (exponent < -4 || exponent >= 6) return sign + ExponentForm(digits, exponent);
  return sign + PlainForm(digits, exponent);
}

std::string GoFloatE(double v) {
  if (!std::isfinite(v)) return SpecialFloat(v);
  if (v == 0) return std::signbit(v) ? "-0e+00" : "0e+00";
  std::string digits;
  int exponent = 0;
  ShortestDigits(v, &digits, &exponent);
  return (v < 0 ? "-" : "") + ExponentForm(digits, exponent);
}

std::string GoFloat4g(double v) {
  if (!std::isfinite(v)) return SpecialFloat(v);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.4g", v);
  return buf;
}

std::string Humanize(double v) {
  if (v == 0 || !std::isfinite(v)) return GoFloat4g(v);
  static const char* kBig[] = {"k", "M", "G", "T", "P", "E", "Z", "Y"};
  static const char* kSmall[] = {"m", "u", "n", "p", "f", "a", "z", "y"};
  std::string prefix;
  if (std::fabs(v) >= 1) {
    for (const char* p : kBig) {
      if (std::fabs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
  } else {
    for (const char* p : kSmall) {
      if (std::fabs(v) >= 1) break;
      prefix = p;
      v *= 1000;
    }
  }
  return GoFloat4g(v) + prefix;
}

std::string Humanize1024(double v) {
  if (std::fabs(v) <= 1 || !std::isfinite(v)) return GoFloat4g(v);
  static const char* kPrefixes[] = {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"};
  std::string prefix;
  for (const char* p : kPrefixes) {
    if (std::fabs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return GoFloat4g(v) + prefix;
}

std::string HumanizeDuration(double v) {
  if (!std::isfinite(v)) return GoFloat4g(v);
  if (v == 0) return GoFloat4g(v) + "s";
  if (std::fabs(v) >= 1) {
    const std::string sign = v < 0 ? "-" : "";
    v = std::fabs(v);
    const int64_t whole = static_cast<int64_t>(v);
    const int64_t s = whole % 60, m = whole / 60 % 60, h = whole / 3600 % 24, d = whole / 86400;
    auto n = [](int64_t x) { return std::to_string(x); };
    if (d != 0) return sign + n(d) + "d " + n(h) + "h " + n(m) + "m " + n(s) + "s";
    if (h != 0) return sign + n(h) + "h " + n(m) + "m " + n(s) + "s";
    if (m != 0) return sign + n(m) + "m " + n(s) + "s";
    return sign + GoFloat4g(v) + "s";
  }
  static const char* kSmall[] = {"m", "u", "n", "p", "f", "a", "z", "y"};
  std::string prefix;
  for (const char* p : kSmall) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return GoFloat4g(v) + prefix + "s";
}

std::string HumanizePercentage(double ratio) { return GoFloat4g(ratio * 100) + "%"; }

std::string HumanizeTimestamp(double unix_seconds) {
  if (!std::isfinite(unix_seconds)) return GoFloat4g(unix_seconds);
  const int64_t ns = static_cast<int64_t>(std::llround(unix_seconds * 1e9));
  const time_t secs = static_cast<time_t>(ns / 1'000'000'000 - (ns % 1'000'000'000 < 0 ? 1 : 0));
  int64_t frac = ns - static_cast<int64_t>(secs) * 1'000'000'000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  std::string out = buf;
  if (frac != 0) {
    char f[16];
    std::snprintf(f, sizeof(f), ".%09lld", static_cast<long long>(frac));
    std::string fraction = f;
    while (fraction.back() == '0') fraction.pop_back();
    out += fraction;
  }
  return out + " +0000 UTC";
}

std::string UrlQueryEscape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string Rfc3339(int64_t unix_ms, int fraction_digits, bool fixed) {
  int64_t secs = unix_ms / 1000;
  int64_t ms = unix_ms % 1000;
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  const time_t t = static_cast<time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (fraction_digits > 0) {
    char f[16];
    std::snprintf(f, sizeof(f), "%03lld000000", static_cast<long long>(ms));
    std::string fraction(f, static_cast<size_t>(std::min(fraction_digits, 9)));
    if (!fixed) {
      while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
    }
    if (!fraction.empty()) out += "." + fraction;
  }
  return out + "Z";
}

}  // namespace tidemark::server::alerting
