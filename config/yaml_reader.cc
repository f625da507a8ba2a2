#include "config/yaml_reader.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "storage/base/units.h"

namespace tidemark::config {
namespace {

std::string KindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Undefined:
      return "nothing";
  }
  return "something else";
}

}  // namespace

void LoadContext::Fail(const YAML::Mark& mark, const std::string& path,
                       const std::string& message) const {
  std::string where = source;
  if (!mark.is_null()) where += ":" + std::to_string(mark.line + 1);
  throw ConfigError(where + ": " + (path.empty() ? "" : path + ": ") + message);
}

YamlReader::YamlReader(const LoadContext& ctx, const YAML::Node& node, std::string path)
    : ctx_(ctx), node_(node), path_(std::move(path)) {
  if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap()) {
    ctx_.Fail(node_.Mark(), path_.empty() ? "(top level)" : path_,
              "expected a mapping of keys, got " + KindName(node_));
  }
}

std::string YamlReader::PathOf(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

YAML::Node YamlReader::Take(const std::string& key) {
  known_.insert(key);
  if (!node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node& map = node_;
  YAML::Node value = map[key];
  if (!value.IsDefined() || value.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
  return value;
}

bool YamlReader::Has(const std::string& key) const {
  if (!node_.IsMap()) return false;
  const YAML::Node& map = node_;
  YAML::Node value = map[key];
  return value.IsDefined() && !value.IsNull();
}

std::string YamlReader::ScalarText(const YAML::Node& node, const std::string& key) const {
  if (!node.IsScalar()) {
    ctx_.Fail(node.Mark(), PathOf(key), "expected a single value, got " + KindName(node));
  }
  if (!ctx_.substitute_env) return node.Scalar();
  base::Result<std::string> text = SubstituteEnv(node.Scalar(), *ctx_.env);
  if (!text.ok()) ctx_.Fail(node.Mark(), PathOf(key), text.status().message());
  return std::move(text).value();
}

void YamlReader::String(const std::string& key, std::string* out) {
  YAML::Node value = Take(key);
  if (value) *out = ScalarText(value, key);
}

void YamlReader::Int(const std::string& key, int64_t min, int64_t max, int64_t* out) {
  YAML::Node value = Take(key);
  if (!value) return;
  const std::string text = ScalarText(value, key);
  int64_t parsed = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (ec != std::errc() || end != text.data() + text.size()) {
    ctx_.Fail(value.Mark(), PathOf(key), "expected an integer, got \"" + text + "\"");
  }
  if (parsed < min || parsed > max) {
    ctx_.Fail(
        value.Mark(), PathOf(key),
        "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + text);
  }
  *out = parsed;
}

void YamlReader::Int(const std::string& key, int min, int max, int* out) {
  int64_t wide = *out;
  Int(key, int64_t{min}, int64_t{max}, &wide);
  *out = static_cast<int>(wide);
}

void YamlReader::Bool(const std::string& key, bool* out) {
  YAML::Node value = Take(key);
  if (!value) return;
  const std::string text = ScalarText(value, key);
  if (text == "true")
    *out = true;
  else if (text == "false")
    *out = false;
  else
    ctx_.Fail(value.Mark(), PathOf(key), "expected true or false, got \"" + text + "\"");
}

void YamlReader::Duration(const std::string& key, int64_t* out_ms) {
  Parsed<int64_t>(key, out_ms, [](const std::string& s) { return base::ParseDuration(s); });
}

void YamlReader::ByteSize(const std::string& key, uint64_t* out) {
  Parsed<uint64_t>(key, out, [](const std::string& s) { return base::ParseByteSize(s); });
}

void YamlReader::StringList(const std::string& key, std::vector<std::string>* out) {
  YAML::Node value = Take(key);
  if (!value) return;
  if (!value.IsSequence()) {
    ctx_.Fail(value.Mark(), PathOf(key), "expected a list of strings, got " + KindName(value));
  }
  out->clear();
  for (const YAML::Node& item : value) out->push_back(ScalarText(item, key));
}

void YamlReader::StringMap(const std::string& key, std::map<std::string, std::string>* out) {
  YAML::Node value = Take(key);
  if (!value) return;
  if (!value.IsMap()) {
    ctx_.Fail(value.Mark(), PathOf(key), "expected a mapping of strings, got " + KindName(value));
  }
  out->clear();
  for (const auto& entry : value) {
    const std::string name = entry.first.Scalar();
    (*out)[name] = ScalarText(entry.second, key + "." + name);
  }
}

void YamlReader::Map(const std::string& key, const std::function<void(YamlReader&)>& read) {
  YAML::Node value = Take(key);
  YamlReader nested(ctx_, value, PathOf(key));
  read(nested);
  nested.Finish();
}

void YamlReader::MapList(const std::string& key, const std::function<void(YamlReader&)>& read) {
  MapListChecked(key, [&](YamlReader& item) {
    read(item);
    return std::string();
  });
}

void YamlReader::MapListChecked(const std::string& key,
                                const std::function<std::string(YamlReader&)>& read) {
  YAML::Node value = Take(key);
  if (!value) return;
  if (!value.IsSequence()) {
    ctx_.Fail(value.Mark(), PathOf(key), "expected a list, got " + KindName(value));
  }
  for (size_t i = 0; i < value.size(); ++i) {
    YAML::Node item = value[i];
    const std::string item_path = PathOf(key) + "[" + std::to_string(i) + "]";
    YamlReader nested(ctx_, item, item_path);
    const std::string problem = read(nested);
    nested.Finish();
    if (!problem.empty()) ctx_.Fail(item.Mark(), item_path, problem);
  }
}

void YamlReader::Finish() const {
  if (!node_.IsMap()) return;
  for (const auto& entry : node_) {
    const std::string name = entry.first.Scalar();
    if (known_.count(name)) continue;
    std::string message = "unknown key \"" + name + "\"";
    const std::string* best = nullptr;
    size_t best_distance = std::numeric_limits<size_t>::max();
    for (const std::string& candidate : known_) {
      const size_t d = EditDistance(name, candidate);
      if (d < best_distance) {
        best_distance = d;
        best = &candidate;
      }
    }
    if (best != nullptr && best_distance <= 2) message += " (did you mean \"" + *best + "\"?)";
    ctx_.Fail(entry.first.Mark(), path_.empty() ? name : path_ + "." + name, message);
  }
}

int YamlReader::Line() const { return node_.Mark().is_null() ? 0 : node_.Mark().line + 1; }

int YamlReader::LineOf(const std::string& key) const {
  if (!Has(key)) return Line();
  const YAML::Node& map = node_;
  YAML::Node value = map[key];
  return value.Mark().is_null() ? Line() : value.Mark().line + 1;
}

void YamlReader::Fail(const std::string& key, const std::string& message) const {
  YAML::Mark mark = node_.Mark();
  if (Has(key)) {
    const YAML::Node& map = node_;
    mark = map[key].Mark();
  }
  ctx_.Fail(mark, key.empty() ? path_ : PathOf(key), message);
}

base::Result<std::string> SubstituteEnv(const std::string& text, const EnvLookup& env) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$') {
      out += text[i];
    } else if (i + 1 < text.size() && text[i + 1] == '$') {
      out += '$';
      ++i;
    } else if (i + 1 < text.size() && text[i + 1] == '{') {
      const size_t close = text.find('}', i + 2);
      if (close == std::string::npos) {
        return base::Status::InvalidArgument("unterminated ${ in \"" + text + "\"");
      }
      std::string name = text.substr(i + 2, close - i - 2);
      std::optional<std::string> fallback;
      if (const size_t sep = name.find(":-"); sep != std::string::npos) {
        fallback = name.substr(sep + 2);
        name.resize(sep);
      }
      std::optional<std::string> value = env(name);
      if (!value && !fallback) {
        return base::Status::InvalidArgument("environment variable " + name +
                                             " is not set (write ${" + name +
                                             ":-default} to give a fallback)");
      }
      out += value ? *value : *fallback;
      i = close;
    } else {
      out += '$';
    }
  }
  return out;
}

// Optimal string alignment distance: a swap of two neighbouring characters ("qso" for "qos")
// counts as one edit, the commonest typo in short keys.
base::Status ReadYamlDocument(std::string_view yaml, const LoadContext& ctx,
                              const std::function<void(YamlReader&)>& read) {
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    YamlReader reader(ctx, root, "");
    read(reader);
  } catch (const YAML::Exception& e) {
    // yaml-cpp's own syntax errors carry a mark; keep its message after ours.
    const std::string where =
        e.mark.is_null() ? ctx.source : ctx.source + ":" + std::to_string(e.mark.line + 1);
    return base::Status::InvalidArgument(where + ": invalid YAML: " + e.msg);
  } catch (const ConfigError& e) {
    return base::Status::InvalidArgument(e.what());
  }
  return base::Status::Ok();
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace tidemark::config
