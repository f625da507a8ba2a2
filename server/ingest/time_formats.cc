#include "server/ingest/time_formats.h"

#include <cmath>

#include "storage/base/time_parse.h"

namespace tidemark::server::ingest {

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

base::Result<int64_t> ParseLayout(std::string_view text, std::string_view layout) {
  auto bad = [&] {
    return base::Status::InvalidArgument(
        "time \"" + std::string(text) + "\" does not match layout \"" + std::string(layout) + "\"");
  };
  int64_t year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, millis = 0;
  bool seen_hour = false;
  size_t pos = 0;
  for (size_t i = 0; i < layout.size();) {
    const std::string_view rest = layout.substr(i);
    int64_t* field = nullptr;
    size_t width = 2;
    if (rest.substr(0, 4) == "YYYY") {
      field = &year;
      width = 4;
    } else if (rest.substr(0, 2) == "MM") {
      field = seen_hour ? &minute : &month;
    } else if (rest.substr(0, 2) == "DD") {
      field = &day;
    } else if (rest.substr(0, 2) == "HH") {
      field = &hour;
      seen_hour = true;
    } else if (rest.substr(0, 2) == "SS") {
      field = &second;
    } else if (rest.substr(0, 4) == ".fff") {
      if (!base::ReadMillisFraction(text, &pos, &millis)) return bad();
      i += 4;
      continue;
    }
    if (field != nullptr) {
      if (!base::ReadFixedDigits(text, &pos, width, field)) return bad();
      i += width;
      continue;
    }
    if (pos >= text.size() || text[pos] != layout[i]) return bad();
    ++pos;
    ++i;
  }
  if (pos != text.size()) return bad();
  return base::CivilToMillis(year, month, day, hour, minute, second, millis, text);
}

}  // namespace tidemark::server::ingest
