#include "server/ingest/time_formats.h"

#include <cctype>
#include <cmath>

namespace tidemark::server::ingest {
namespace {

// Reads exactly `count` digits at `*pos`.
bool ReadDigits(std::string_view text, size_t* pos, size_t count, int64_t* value) {
  if (*pos + count > text.size()) return false;
  int64_t v = 0;
  for (size_t i = 0; i < count; ++i) {
    const char c = text[*pos + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + (c - '0');
  }
  *pos += count;
  *value = v;
  return true;
}

// Reads ".123456789" (any number of digits) as milliseconds, truncating below 1 ms.
bool ReadFraction(std::string_view text, size_t* pos, int64_t* millis) {
  *millis = 0;
  if (*pos >= text.size() || (text[*pos] != '.' && text[*pos] != ',')) return true;
  ++*pos;
  int digits = 0;
  while (*pos < text.size() && std::isdigit(static_cast<unsigned char>(text[*pos]))) {
    if (digits < 3) *millis = *millis * 10 + (text[*pos] - '0');
    ++digits;
    ++*pos;
  }
  for (int d = digits; d < 3; ++d) *millis *= 10;
  return digits > 0;
}

struct Civil {
  int64_t year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, millis = 0;
};

base::Result<int64_t> ToMillis(const Civil& c, std::string_view text) {
  static constexpr int kDaysInMonth[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (c.month < 1 || c.month > 12 || c.day < 1 || c.day > kDaysInMonth[c.month - 1] ||
      c.hour > 23 || c.minute > 59 || c.second > 60) {
    return base::Status::InvalidArgument("date or time out of range in \"" + std::string(text) +
                                         "\"");
  }
  const bool leap = (c.year % 4 == 0 && c.year % 100 != 0) || c.year % 400 == 0;
  if (c.month == 2 && c.day == 29 && !leap) {
    return base::Status::InvalidArgument("no February 29 in " + std::to_string(c.year));
  }
  const int64_t days =
      DaysFromCivil(c.year, static_cast<unsigned>(c.month), static_cast<unsigned>(c.day));
  return ((days * 24 + c.hour) * 60 + c.minute) * 60'000 + c.second * 1000 + c.millis;
}

}  // namespace

int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::optional<int64_t> EpochToMillis(double value, EpochUnit unit) {
  if (!std::isfinite(value)) return std::nullopt;
  if (unit == EpochUnit::kAuto) {
    const double magnitude = std::fabs(value);
    unit = magnitude < 1e11   ? EpochUnit::kSeconds
           : magnitude < 1e14 ? EpochUnit::kMilliseconds
           : magnitude < 1e17 ? EpochUnit::kMicroseconds
                              : EpochUnit::kNanoseconds;
  }
  double ms = value;
  switch (unit) {
    case EpochUnit::kSeconds:
      ms = value * 1e3;
      break;
    case EpochUnit::kMilliseconds:
      break;
    case EpochUnit::kMicroseconds:
      ms = value / 1e3;
      break;
    case EpochUnit::kNanoseconds:
      ms = value / 1e6;
      break;
    case EpochUnit::kAuto:
      break;
  }
  if (std::fabs(ms) > 9.2e18) return std::nullopt;
  return static_cast<int64_t>(std::floor(ms + 1e-6));
}

base::Result<int64_t> ParseRfc3339(std::string_view text) {
  auto bad = [&] {
    return base::Status::InvalidArgument("not an RFC 3339 time: \"" + std::string(text) + "\"");
  };
  Civil c;
  size_t pos = 0;
  if (!ReadDigits(text, &pos, 4, &c.year) || pos >= text.size() || text[pos++] != '-' ||
      !ReadDigits(text, &pos, 2, &c.month) || pos >= text.size() || text[pos++] != '-' ||
      !ReadDigits(text, &pos, 2, &c.day) || pos >= text.size() ||
      (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) {
    return bad();
  }
  ++pos;
  if (!ReadDigits(text, &pos, 2, &c.hour) || pos >= text.size() || text[pos++] != ':' ||
      !ReadDigits(text, &pos, 2, &c.minute) || pos >= text.size() || text[pos++] != ':' ||
      !ReadDigits(text, &pos, 2, &c.second) || !ReadFraction(text, &pos, &c.millis) ||
      pos >= text.size()) {
    return bad();
  }
  int64_t offset_minutes = 0;
  const char zone = text[pos++];
  if (zone == '+' || zone == '-') {
    int64_t hours = 0, minutes = 0;
    if (!ReadDigits(text, &pos, 2, &hours) || pos >= text.size() || text[pos++] != ':' ||
        !ReadDigits(text, &pos, 2, &minutes)) {
      return bad();
    }
    offset_minutes = (zone == '+' ? 1 : -1) * (hours * 60 + minutes);
  } else if (zone != 'Z' && zone != 'z') {
    return bad();
  }
  if (pos != text.size()) return bad();
  auto local = ToMillis(c, text);
  if (!local.ok()) return local;
  return *local - offset_minutes * 60'000;
}

base::Result<int64_t> ParseLayout(std::string_view text, std::string_view layout) {
  auto bad = [&] {
    return base::Status::InvalidArgument(
        "time \"" + std::string(text) + "\" does not match layout \"" + std::string(layout) + "\"");
  };
  Civil c;
  bool seen_hour = false;
  size_t pos = 0;
  for (size_t i = 0; i < layout.size();) {
    const std::string_view rest = layout.substr(i);
    if (rest.substr(0, 4) == "YYYY") {
      if (!ReadDigits(text, &pos, 4, &c.year)) return bad();
      i += 4;
    } else if (rest.substr(0, 2) == "MM") {
      if (!ReadDigits(text, &pos, 2, seen_hour ? &c.minute : &c.month)) return bad();
      i += 2;
    } else if (rest.substr(0, 2) == "DD") {
      if (!ReadDigits(text, &pos, 2, &c.day)) return bad();
      i += 2;
    } else if (rest.substr(0, 2) == "HH") {
      if (!ReadDigits(text, &pos, 2, &c.hour)) return bad();
      seen_hour = true;
      i += 2;
    } else if (rest.substr(0, 2) == "SS") {
      if (!ReadDigits(text, &pos, 2, &c.second)) return bad();
      i += 2;
    } else if (rest.substr(0, 4) == ".fff") {
      if (!ReadFraction(text, &pos, &c.millis)) return bad();
      i += 4;
    } else {
      if (pos >= text.size() || text[pos] != layout[i]) return bad();
      ++pos;
      ++i;
    }
  }
  if (pos != text.size()) return bad();
  return ToMillis(c, text);
}

}  // namespace tidemark::server::ingest
