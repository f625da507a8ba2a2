#include "storage/base/units.h"

#include <array>
#include <cctype>
#include <limits>
#include <utility>

namespace tidemark::base {
namespace {

struct Unit {
  std::string_view name;
  int64_t millis;
};

// Longest names first where one is a prefix of another ("ms" before "m").
constexpr std::array<Unit, 7> kDurationUnits = {{
    {"y", 365LL * 24 * 3600 * 1000},
    {"w", 7LL * 24 * 3600 * 1000},
    {"d", 24LL * 3600 * 1000},
    {"h", 3600LL * 1000},
    {"ms", 1},
    {"m", 60LL * 1000},
    {"s", 1000},
}};

// Rank of a unit in "decreasing order" terms: y w d h m s ms.
int UnitRank(std::string_view name) {
  static constexpr std::array<std::string_view, 7> kOrder = {"y", "w", "d", "h", "m", "s", "ms"};
  for (size_t i = 0; i < kOrder.size(); ++i) {
    if (kOrder[i] == name) return static_cast<int>(i);
  }
  return -1;
}

bool ReadDigits(std::string_view text, size_t* pos, uint64_t* value) {
  const size_t start = *pos;
  uint64_t v = 0;
  while (*pos < text.size() && std::isdigit(static_cast<unsigned char>(text[*pos]))) {
    const uint64_t digit = static_cast<uint64_t>(text[*pos] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    v = v * 10 + digit;
    ++*pos;
  }
  *value = v;
  return *pos > start;
}

const Unit* MatchUnit(std::string_view rest) {
  for (const Unit& unit : kDurationUnits) {
    if (rest.substr(0, unit.name.size()) == unit.name) {
      // "m" must not swallow the "m" of "ms".
      if (unit.name == "m" && rest.size() > 1 && rest[1] == 's') continue;
      return &unit;
    }
  }
  return nullptr;
}

}  // namespace

Result<int64_t> ParseDuration(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("invalid duration \"" + std::string(text) +
                                   "\": " + std::string(why));
  };
  if (text.empty()) return bad("empty");
  if (text == "0") return int64_t{0};
  size_t pos = 0;
  int64_t total = 0;
  int last_rank = -1;
  while (pos < text.size()) {
    uint64_t amount = 0;
    if (!ReadDigits(text, &pos, &amount)) return bad("expected a number");
    const Unit* unit = MatchUnit(text.substr(pos));
    if (unit == nullptr) return bad("unknown or missing unit (use ms, s, m, h, d, w, y)");
    const int rank = UnitRank(unit->name);
    if (rank <= last_rank) return bad("units must appear once each, largest first");
    last_rank = rank;
    pos += unit->name.size();
    if (amount > static_cast<uint64_t>(std::numeric_limits<int64_t>::max() / unit->millis) ||
        total > std::numeric_limits<int64_t>::max() - static_cast<int64_t>(amount) * unit->millis) {
      return bad("too large");
    }
    total += static_cast<int64_t>(amount) * unit->millis;
  }
  return total;
}

std::string FormatDuration(int64_t millis) {
  if (millis == 0) return "0s";
  std::string out;
  if (millis < 0) {
    out = "-";
    millis = -millis;
  }
  static constexpr std::array<Unit, 7> kFormatOrder = {{
      {"y", 365LL * 24 * 3600 * 1000},
      {"w", 7LL * 24 * 3600 * 1000},
      {"d", 24LL * 3600 * 1000},
      {"h", 3600LL * 1000},
      {"m", 60LL * 1000},
      {"s", 1000},
      {"ms", 1},
  }};
  for (const Unit& unit : kFormatOrder) {
    if (millis >= unit.millis) {
      out += std::to_string(millis / unit.millis);
      out += unit.name;
      millis %= unit.millis;
    }
  }
  return out;
}

Result<uint64_t> ParseByteSize(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("invalid byte size \"" + std::string(text) +
                                   "\": " + std::string(why));
  };
  size_t pos = 0;
  uint64_t amount = 0;
  if (!ReadDigits(text, &pos, &amount)) return bad("expected a number");
  static constexpr std::array<std::pair<std::string_view, uint64_t>, 10> kUnits = {{
      {"", 1},
      {"B", 1},
      {"KB", 1000ULL},
      {"MB", 1000ULL * 1000},
      {"GB", 1000ULL * 1000 * 1000},
      {"TB", 1000ULL * 1000 * 1000 * 1000},
      {"KiB", 1ULL << 10},
      {"MiB", 1ULL << 20},
      {"GiB", 1ULL << 30},
      {"TiB", 1ULL << 40},
  }};
  const std::string_view suffix = text.substr(pos);
  for (const auto& [name, factor] : kUnits) {
    if (suffix != name) continue;
    if (amount > std::numeric_limits<uint64_t>::max() / factor) return bad("too large");
    return amount * factor;
  }
  return bad("unknown unit (use B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)");
}

}  // namespace tidemark::base
