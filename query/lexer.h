// PromQL lexer: turns query text into tokens with byte positions. Hand-written; keywords are
// case-insensitive as in Prometheus; durations ("5m", "1h30m") are their own token.
//
// A Lexer is used by one thread; tokens own their text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tidemark::query {

enum class Tok {
  kEOF,
  kError,
  kIdentifier,  // metric or label name, function name
  kNumber,
  kDuration,
  kString,
  kLParen,
  kRParen,
  kLBrace,
  kRBrace,
  kLBracket,
  kRBracket,
  kComma,
  kColon,
  kAt,
  kAssign,  // "=" in label matchers
  // Binary operators.
  kEql,
  kNeq,
  kLss,
  kLte,
  kGtr,
  kGte,
  kEqlRegex,
  kNeqRegex,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kLand,
  kLor,
  kLunless,
  kAtan2,
  // Keywords.
  kAggregator,  // sum, avg, ... (text as written; keywords match case-insensitively)
  // kBool..kEnd stay contiguous, as do kLand..kAtan2 and kEql..kAtan2: parser_internal.h tests
  // token kinds by range.
  kBool,
  kBy,
  kWithout,
  kOn,
  kIgnoring,
  kGroupLeft,
  kGroupRight,
  kOffset,
  kStart,
  kEnd,
};

struct Token {
  Tok type = Tok::kEOF;
  size_t pos = 0;           // byte offset of the first character
  std::string text;         // raw text; for kString the unquoted value; for kError the message
  double number = 0;        // kNumber
  int64_t duration_ms = 0;  // kDuration
};

// The operator's text as written in queries ("+", "and", "==", ...).
std::string_view TokText(Tok type);

// Splits `input` into tokens, ending with kEOF or at the first kError.
std::vector<Token> Lex(std::string_view input);

// The longest duration Prometheus accepts (int64 nanoseconds, about 292 years), in ms.
inline constexpr int64_t kMaxDurationMs = INT64_MAX / 1'000'000;

// Parses a Prometheus duration ("1h30m", "5m", "100ms"); false when malformed or too long.
bool ParseDuration(std::string_view s, int64_t* ms);

}  // namespace tidemark::query
