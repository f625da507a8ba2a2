// YamlReader: typed, schema-checked access to one YAML mapping, for the config loader.
//
// Each getter consumes a key; Finish() then reports the first key nobody asked for, with a
// "did you mean" hint. Every error is thrown as ConfigError carrying "source:line: path: message";
// the loader's single catch site turns it into a Status. Strings get ${ENV} substitution.
// Not thread-safe; one reader per mapping during one load.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.h"

namespace tidemark::config {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Shared state of one load: the source name and the environment.
struct LoadContext {
  std::string source;
  const EnvLookup* env;
  // Rule files keep "$" as written: their templates use $labels and $value, not the environment.
  bool substitute_env = true;
  [[noreturn]] void Fail(const YAML::Mark& mark, const std::string& path,
                         const std::string& message) const;
};

class YamlReader {
 public:
  // `node` must be a mapping (or null, read as empty); `path` is its dotted key path ("" at top).
  YamlReader(const LoadContext& ctx, const YAML::Node& node, std::string path);

  void String(const std::string& key, std::string* out);
  void Int(const std::string& key, int64_t min, int64_t max, int64_t* out);
  void Int(const std::string& key, int min, int max, int* out);
  void Bool(const std::string& key, bool* out);
  void Duration(const std::string& key, int64_t* out_ms);
  void ByteSize(const std::string& key, uint64_t* out);
  void StringList(const std::string& key, std::vector<std::string>* out);
  void StringMap(const std::string& key, std::map<std::string, std::string>* out);
  // Reads a string and converts it; `convert` returns an error Status for bad values.
  template <typename T>
  void Parsed(const std::string& key, T* out,
              const std::function<base::Result<T>(const std::string&)>& convert);
  // Hands a nested mapping to `read`.
  void Map(const std::string& key, const std::function<void(YamlReader&)>& read);
  // Hands each mapping of a list of mappings to `read`.
  void MapList(const std::string& key, const std::function<void(YamlReader&)>& read);
  // Like MapList; `read` returns "" or what is wrong with the item as a whole, reported at the
  // item's line.
  void MapListChecked(const std::string& key, const std::function<std::string(YamlReader&)>& read);

  // Fails on the first key that no getter consumed.
  void Finish() const;

  // True when `key` is present with a non-null value (does not consume it).
  bool Has(const std::string& key) const;
  // The 1-based line of this mapping (0 when unknown).
  int Line() const;
  // The 1-based line of `key`'s value, or of this mapping when the key is absent.
  int LineOf(const std::string& key) const;
  // Fails with "source:line: path.key: message" at `key` (or at this mapping when absent).
  [[noreturn]] void Fail(const std::string& key, const std::string& message) const;

 private:
  // The value for `key`, or an undefined node when absent or null. Records the key as known.
  YAML::Node Take(const std::string& key);
  std::string PathOf(const std::string& key) const;
  std::string ScalarText(const YAML::Node& node, const std::string& key) const;

  const LoadContext& ctx_;
  YAML::Node node_;
  std::string path_;
  std::set<std::string> known_;
};

template <typename T>
void YamlReader::Parsed(const std::string& key, T* out,
                        const std::function<base::Result<T>(const std::string&)>& convert) {
  YAML::Node value = Take(key);
  if (!value) return;
  base::Result<T> result = convert(ScalarText(value, key));
  if (!result.ok()) ctx_.Fail(value.Mark(), PathOf(key), result.status().message());
  *out = std::move(result).value();
}

// Parses `yaml` and hands its top-level mapping to `read`, turning yaml-cpp's syntax errors
// ("source:line: invalid YAML: ...") and the ConfigErrors `read` throws into one Status: the single
// catch site of every loader (config file, rule files).
base::Status ReadYamlDocument(std::string_view yaml, const LoadContext& ctx,
                              const std::function<void(YamlReader&)>& read);

// Replaces ${NAME} and ${NAME:-fallback} in `text`; "$$" is a literal "$". Fails with the name of
// an unset variable that has no fallback.
base::Result<std::string> SubstituteEnv(const std::string& text, const EnvLookup& env);

// Edit distance, for "did you mean" hints.
size_t EditDistance(const std::string& a, const std::string& b);

}  // namespace tidemark::config
