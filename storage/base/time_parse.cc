#include "storage/base/time_parse.h"

#include <cctype>
#include <string>

namespace tidemark::base {

bool ReadFixedDigits(std::string_view text, size_t* pos, size_t count, int64_t* value) {
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

bool ReadMillisFraction(std::string_view text, size_t* pos, int64_t* millis) {
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

int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

Result<int64_t> CivilToMillis(int64_t year, int64_t month, int64_t day, int64_t hour,
                              int64_t minute, int64_t second, int64_t millis,
                              std::string_view context) {
  static constexpr int kDaysInMonth[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > kDaysInMonth[month - 1] || hour > 23 ||
      minute > 59 || second > 60) {
    return Status::InvalidArgument("date or time out of range in \"" + std::string(context) + "\"");
  }
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && day == 29 && !leap) {
    return Status::InvalidArgument("no February 29 in " + std::to_string(year));
  }
  const int64_t days =
      DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return ((days * 24 + hour) * 60 + minute) * 60'000 + second * 1000 + millis;
}

Result<int64_t> ParseRfc3339(std::string_view text) {
  auto bad = [&] {
    return Status::InvalidArgument("not an RFC 3339 time: \"" + std::string(text) + "\"");
  };
  int64_t year, month, day, hour, minute, second, millis;
  size_t pos = 0;
  if (!ReadFixedDigits(text, &pos, 4, &year) || pos >= text.size() || text[pos++] != '-' ||
      !ReadFixedDigits(text, &pos, 2, &month) || pos >= text.size() || text[pos++] != '-' ||
      !ReadFixedDigits(text, &pos, 2, &day) || pos >= text.size() ||
      (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) {
    return bad();
  }
  ++pos;
  if (!ReadFixedDigits(text, &pos, 2, &hour) || pos >= text.size() || text[pos++] != ':' ||
      !ReadFixedDigits(text, &pos, 2, &minute) || pos >= text.size() || text[pos++] != ':' ||
      !ReadFixedDigits(text, &pos, 2, &second) || !ReadMillisFraction(text, &pos, &millis) ||
      pos >= text.size()) {
    return bad();
  }
  int64_t offset_minutes = 0;
  const char zone = text[pos++];
  if (zone == '+' || zone == '-') {
    int64_t zone_hours = 0, zone_minutes = 0;
    if (!ReadFixedDigits(text, &pos, 2, &zone_hours) || pos >= text.size() || text[pos++] != ':' ||
        !ReadFixedDigits(text, &pos, 2, &zone_minutes)) {
      return bad();
    }
    offset_minutes = (zone == '+' ? 1 : -1) * (zone_hours * 60 + zone_minutes);
  } else if (zone != 'Z' && zone != 'z') {
    return bad();
  }
  if (pos != text.size()) return bad();
  auto local = CivilToMillis(year, month, day, hour, minute, second, millis, text);
  if (!local.ok()) return local;
  return *local - offset_minutes * 60'000;
}

}  // namespace tidemark::base
