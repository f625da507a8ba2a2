#include "query/lexer.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>
#include <unordered_map>

namespace tidemark::query {
namespace {

bool IsIdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}
bool IsIdentChar(char c) { return IsIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)); }
bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

const std::unordered_map<std::string, Tok>& Keywords() {
  static const auto* keywords = new std::unordered_map<std::string, Tok>{
      {"and", Tok::kLand},
      {"or", Tok::kLor},
      {"unless", Tok::kLunless},
      {"atan2", Tok::kAtan2},
      {"bool", Tok::kBool},
      {"by", Tok::kBy},
      {"without", Tok::kWithout},
      {"on", Tok::kOn},
      {"ignoring", Tok::kIgnoring},
      {"group_left", Tok::kGroupLeft},
      {"group_right", Tok::kGroupRight},
      {"offset", Tok::kOffset},
      {"start", Tok::kStart},
      {"end", Tok::kEnd},
      {"sum", Tok::kAggregator},
      {"avg", Tok::kAggregator},
      {"count", Tok::kAggregator},
      {"min", Tok::kAggregator},
      {"max", Tok::kAggregator},
      {"group", Tok::kAggregator},
      {"stddev", Tok::kAggregator},
      {"stdvar", Tok::kAggregator},
      {"topk", Tok::kAggregator},
      {"bottomk", Tok::kAggregator},
      {"count_values", Tok::kAggregator},
      {"quantile", Tok::kAggregator},
  };
  return *keywords;
}

int64_t UnitMillis(std::string_view unit) {
  if (unit == "ms") return 1;
  if (unit == "s") return 1000;
  if (unit == "m") return 60'000;
  if (unit == "h") return 3'600'000;
  if (unit == "d") return 86'400'000;
  if (unit == "w") return 7 * 86'400'000LL;
  if (unit == "y") return 365 * 86'400'000LL;
  return 0;
}

class Lexer {
 public:
  explicit Lexer(std::string_view in) : in_(in) {}

  std::vector<Token> Run() {
    std::vector<Token> out;
    while (true) {
      Token t = NextToken();
      const bool stop = t.type == Tok::kEOF || t.type == Tok::kError;
      out.push_back(std::move(t));
      if (stop) break;
    }
    return out;
  }

 private:
  char Peek(size_t ahead = 0) const { return pos_ + ahead < in_.size() ? in_[pos_ + ahead] : '\0'; }

  Token Make(Tok type, size_t start) {
    Token t;
    t.type = type;
    t.pos = start;
    t.text = std::string(in_.substr(start, pos_ - start));
    return t;
  }

  Token Error(size_t start, std::string msg) {
    Token t;
    t.type = Tok::kError;
    t.pos = start;
    t.text = std::move(msg);
    return t;
  }

  void SkipSpaceAndComments() {
    while (pos_ < in_.size()) {
      const char c = in_[pos_];
      if (c == '#') {
        while (pos_ < in_.size() && in_[pos_] != '\n') ++pos_;
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        ++pos_;
      } else {
        break;
      }
    }
  }

  Token NextToken() {
    SkipSpaceAndComments();
    const size_t start = pos_;
    if (pos_ >= in_.size()) {
      if (paren_depth_ > 0) return Error(start, "unclosed left parenthesis");
      if (in_brackets_) return Error(start, "unclosed left bracket");
      return Make(Tok::kEOF, start);
    }
    const char c = in_[pos_];
    if (IsDigit(c) || (c == '.' && IsDigit(Peek(1)))) return LexNumberOrDuration();
    if (c == ':' && in_brackets_) {
      ++pos_;
      return Make(Tok::kColon, start);
    }
    if (IsIdentStart(c)) return LexIdentifier();
    if (c == '"' || c == '\'' || c == '`') return LexString();
    return LexOperator();
  }

  Token LexOperator() {
    const size_t start = pos_;
    const char c = in_[pos_++];
    const char n = Peek();
    auto two = [&](Tok t) {
      ++pos_;
      return Make(t, start);
    };
    switch (c) {
      case '(':
        ++paren_depth_;
        return Make(Tok::kLParen, start);
      case ')':
        if (--paren_depth_ < 0) return Error(pos_, "unexpected right parenthesis ')'");
        return Make(Tok::kRParen, start);
      case '{':
        ++brace_depth_;
        return Make(Tok::kLBrace, start);
      case '}':
        if (--brace_depth_ < 0) return Error(start, "unexpected character: '}'");
        return Make(Tok::kRBrace, start);
      case '[':
        in_brackets_ = true;
        return Make(Tok::kLBracket, start);
      case ']':
        if (!in_brackets_) return Error(start, "unexpected right bracket ']'");
        in_brackets_ = false;
        return Make(Tok::kRBracket, start);
      case ',':
        return Make(Tok::kComma, start);
      case ':':
        return Make(Tok::kColon, start);
      case '@':
        return Make(Tok::kAt, start);
      case '+':
        return Make(Tok::kAdd, start);
      case '-':
        return Make(Tok::kSub, start);
      case '*':
        return Make(Tok::kMul, start);
      case '/':
        return Make(Tok::kDiv, start);
      case '%':
        return Make(Tok::kMod, start);
      case '^':
        return Make(Tok::kPow, start);
      case '=':
        if (n == '=') return two(Tok::kEql);
        if (n == '~') return two(Tok::kEqlRegex);
        return Make(Tok::kAssign, start);
      case '!':
        if (n == '=') return two(Tok::kNeq);
        if (n == '~') return two(Tok::kNeqRegex);
        return Error(start, "unexpected character after '!': " + std::string(1, n));
      case '<':
        if (n == '=') return two(Tok::kLte);
        return Make(Tok::kLss, start);
      case '>':
        if (n == '=') return two(Tok::kGte);
        return Make(Tok::kGtr, start);
      default:
        break;
    }
    return Error(start, "unexpected character: '" + std::string(1, c) + "'");
  }

  Token LexIdentifier() {
    const size_t start = pos_;
    while (pos_ < in_.size() && IsIdentChar(in_[pos_])) ++pos_;
    Token t = Make(Tok::kIdentifier, start);
    std::string lower = t.text;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower == "inf" || lower == "nan") {
      t.type = Tok::kNumber;
      t.number = lower == "inf" ? INFINITY : NAN;
      return t;
    }
    auto it = Keywords().find(lower);
    if (it != Keywords().end()) {
      t.type = it->second;
    }
    return t;
  }

  // Tries "<digits><unit>..." at pos_; returns the end offset or 0 when it is not a duration.
  size_t ScanDuration() const {
    size_t p = pos_;
    bool any = false;
    while (p < in_.size() && IsDigit(in_[p])) {
      while (p < in_.size() && IsDigit(in_[p])) ++p;
      size_t u = p;
      while (u < in_.size() && std::isalpha(static_cast<unsigned char>(in_[u]))) ++u;
      std::string_view unit = in_.substr(p, u - p);
      // "ms" may be followed by more components, as may any other unit.
      if (unit.empty()) return 0;
      if (UnitMillis(unit) == 0) {
        // Try splitting e.g. "1m30s" lexed greedily as "m" then digits: units are letters only,
        // so an unknown letter run means this is not a duration.
        return 0;
      }
      p = u;
      any = true;
    }
    if (!any) return 0;
    if (p < in_.size() && in_[p] != ':' && (IsIdentChar(in_[p]) || in_[p] == '.')) return 0;
    return p;
  }

  Token LexNumberOrDuration() {
    const size_t start = pos_;
    if (IsDigit(in_[pos_])) {
      size_t end = ScanDuration();
      if (end != 0) {
        pos_ = end;
        Token t = Make(Tok::kDuration, start);
        if (!ParseDuration(t.text, &t.duration_ms)) {
          return Error(start, "not a valid duration string: \"" + t.text + "\"");
        }
        return t;
      }
    }
    if (in_[pos_] == '0' && (Peek(1) == 'x' || Peek(1) == 'X')) {
      pos_ += 2;
      while (pos_ < in_.size() && std::isxdigit(static_cast<unsigned char>(in_[pos_]))) ++pos_;
    } else {
      while (pos_ < in_.size() && IsDigit(in_[pos_])) ++pos_;
      if (Peek() == '.') {
        ++pos_;
        while (pos_ < in_.size() && IsDigit(in_[pos_])) ++pos_;
      }
      if (Peek() == 'e' || Peek() == 'E') {
        size_t save = pos_;
        ++pos_;
        if (Peek() == '+' || Peek() == '-') ++pos_;
        if (!IsDigit(Peek())) {
          pos_ = save;
        } else {
          while (pos_ < in_.size() && IsDigit(in_[pos_])) ++pos_;
        }
      }
    }
    if (pos_ < in_.size() && in_[pos_] != ':' && (IsIdentChar(in_[pos_]) || in_[pos_] == '.')) {
      while (pos_ < in_.size() && (IsIdentChar(in_[pos_]) || in_[pos_] == '.')) ++pos_;
      return Error(start, "bad number or duration syntax: \"" +
                              std::string(in_.substr(start, pos_ - start)) + "\"");
    }
    Token t = Make(Tok::kNumber, start);
    if (t.text.size() > 2 && (t.text[1] == 'x' || t.text[1] == 'X')) {
      t.number = static_cast<double>(std::strtoull(t.text.c_str() + 2, nullptr, 16));
    } else {
      t.number = std::strtod(t.text.c_str(), nullptr);
    }
    if (std::isinf(t.number) || (t.text.size() > 17 && t.text[1] == 'x')) {
      return Error(start, "error parsing number: strconv.ParseFloat: parsing \"" + t.text +
                              "\": value out of range");
    }
    return t;
  }

  static int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  static void AppendUtf8(std::string* out, uint32_t cp) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  // Reads `n` hex digits at pos_ into *cp; false when malformed.
  bool ReadHex(int n, uint32_t* cp) {
    *cp = 0;
    for (int i = 0; i < n; ++i) {
      int h = HexValue(Peek());
      if (h < 0) return false;
      *cp = *cp * 16 + static_cast<uint32_t>(h);
      ++pos_;
    }
    return true;
  }

  // Handles one escape after a backslash; false on an unknown escape.
  bool Escape(char quote, std::string* out) {
    const char c = Peek();
    ++pos_;
    switch (c) {
      case 'a':
        out->push_back('\a');
        return true;
      case 'b':
        out->push_back('\b');
        return true;
      case 'f':
        out->push_back('\f');
        return true;
      case 'n':
        out->push_back('\n');
        return true;
      case 'r':
        out->push_back('\r');
        return true;
      case 't':
        out->push_back('\t');
        return true;
      case 'v':
        out->push_back('\v');
        return true;
      case '\\':
        out->push_back('\\');
        return true;
      case 'x': {
        uint32_t cp;
        if (!ReadHex(2, &cp)) return false;
        out->push_back(static_cast<char>(cp));
        return true;
      }
      case 'u':
      case 'U': {
        uint32_t cp;
        if (!ReadHex(c == 'u' ? 4 : 8, &cp) || cp > 0x10FFFF) return false;
        AppendUtf8(out, cp);
        return true;
      }
      default:
        break;
    }
    if (c == quote) {
      out->push_back(c);
      return true;
    }
    if (c >= '0' && c <= '7') {
      uint32_t v = static_cast<uint32_t>(c - '0');
      for (int i = 0; i < 2; ++i) {
        const char d = Peek();
        if (d < '0' || d > '7') return false;
        v = v * 8 + static_cast<uint32_t>(d - '0');
        ++pos_;
      }
      if (v > 255) return false;
      out->push_back(static_cast<char>(v));
      return true;
    }
    return false;
  }

  Token LexString() {
    const size_t start = pos_;
    const char quote = in_[pos_++];
    std::string value;
    while (true) {
      if (pos_ >= in_.size()) return Error(start, "unterminated quoted string");
      const char c = in_[pos_];
      if (c == quote) {
        ++pos_;
        break;
      }
      if (quote != '`' && c == '\n') return Error(start, "unterminated quoted string");
      if (quote != '`' && c == '\\') {
        ++pos_;
        if (!Escape(quote, &value)) return Error(pos_ - 1, "unknown escape sequence");
        continue;
      }
      value.push_back(c);
      ++pos_;
    }
    Token t = Make(Tok::kString, start);
    t.text = std::move(value);
    return t;
  }

  std::string_view in_;
  size_t pos_ = 0;
  bool in_brackets_ = false;
  int paren_depth_ = 0;
  int brace_depth_ = 0;
};

}  // namespace

std::string_view TokText(Tok type) {
  switch (type) {
    case Tok::kEql:
      return "==";
    case Tok::kNeq:
      return "!=";
    case Tok::kLss:
      return "<";
    case Tok::kLte:
      return "<=";
    case Tok::kGtr:
      return ">";
    case Tok::kGte:
      return ">=";
    case Tok::kEqlRegex:
      return "=~";
    case Tok::kNeqRegex:
      return "!~";
    case Tok::kAdd:
      return "+";
    case Tok::kSub:
      return "-";
    case Tok::kMul:
      return "*";
    case Tok::kDiv:
      return "/";
    case Tok::kMod:
      return "%";
    case Tok::kPow:
      return "^";
    case Tok::kLand:
      return "and";
    case Tok::kLor:
      return "or";
    case Tok::kLunless:
      return "unless";
    case Tok::kAtan2:
      return "atan2";
    default:
      break;
  }
  return "?";
}

std::vector<Token> Lex(std::string_view input) { return Lexer(input).Run(); }

bool ParseDuration(std::string_view s, int64_t* ms) {
  if (s == "0") {
    *ms = 0;
    return true;
  }
  int64_t total = 0;
  size_t p = 0;
  int64_t last_unit = INT64_MAX;
  if (s.empty()) return false;
  while (p < s.size()) {
    size_t d = p;
    while (d < s.size() && IsDigit(s[d])) ++d;
    if (d == p) return false;
    size_t u = d;
    while (u < s.size() && !IsDigit(s[u])) ++u;
    const int64_t unit = UnitMillis(s.substr(d, u - d));
    if (unit == 0 || unit >= last_unit) return false;
    last_unit = unit;
    const std::string digits(s.substr(p, d - p));
    if (digits.size() > 18) return false;
    int64_t part;
    if (__builtin_mul_overflow(std::stoll(digits), unit, &part) ||
        __builtin_add_overflow(total, part, &total)) {
      return false;
    }
    p = u;
  }
  // Prometheus keeps durations as int64 nanoseconds (about 292 years).
  if (total > kMaxDurationMs) return false;
  *ms = total;
  return true;
}

}  // namespace tidemark::query
