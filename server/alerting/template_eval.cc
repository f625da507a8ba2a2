// Evaluation of parsed templates and Prometheus' template functions.
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <set>

#include "server/alerting/go_format.h"
#include "server/alerting/template_internal.h"

namespace tidemark::server::alerting {
namespace {

using base::Result;
using base::Status;
using Kind = TemplateValue::Kind;

Status Fail(const std::string& message) { return Status::InvalidArgument(message); }

TemplateValue Str(std::string s) { return {Kind::kString, std::move(s), 0, nullptr}; }
TemplateValue Num(double v) { return {Kind::kNumber, "", v, nullptr}; }
TemplateValue MapOf(const std::map<std::string, std::string>* m) {
  static const std::map<std::string, std::string> kEmpty;
  return {Kind::kMap, "", 0, m != nullptr ? m : &kEmpty};
}

TemplateValue Bool(bool b) { return {Kind::kBool, "", b ? 1.0 : 0.0, nullptr}; }

// eq, ne, lt, le, gt, ge: numbers compare numerically, strings lexically, booleans by eq/ne.
Result<TemplateValue> Compare(const std::string& op, const TemplateValue& a,
                              const TemplateValue& b) {
  int order = 0;
  if ((a.kind == Kind::kNumber && b.kind == Kind::kNumber) ||
      (a.kind == Kind::kBool && b.kind == Kind::kBool)) {
    if (a.kind == Kind::kBool && op != "eq" && op != "ne") {
      return Fail("error calling " + op + ": invalid type for comparison");
    }
    order = a.number < b.number ? -1 : (a.number > b.number ? 1 : 0);
    if (std::isnan(a.number) || std::isnan(b.number)) return Bool(op == "ne");
  } else if (a.kind == Kind::kString && b.kind == Kind::kString) {
    order = a.text.compare(b.text);
  } else {
    return Fail("error calling " + op + ": incompatible types for comparison");
  }
  if (op == "eq") return Bool(order == 0);
  if (op == "ne") return Bool(order != 0);
  if (op == "lt") return Bool(order < 0);
  if (op == "le") return Bool(order <= 0);
  if (op == "gt") return Bool(order > 0);
  return Bool(order >= 0);
}

Result<TemplateValue> Logic(const std::string& name, const std::vector<TemplateValue>& args) {
  if (name == "not") return Bool(!IsTruthy(args[0]));
  // and: the first false argument or the last; or: the first true argument or the last.
  for (const TemplateValue& arg : args) {
    if (IsTruthy(arg) == (name == "or")) return arg;
  }
  return args.back();
}

Result<double> ToFloat(const TemplateValue& v) {
  if (v.kind == Kind::kNumber) return v.number;
  if (v.kind == Kind::kString) {
    char* end = nullptr;
    const double d = std::strtod(v.text.c_str(), &end);
    if (!v.text.empty() && end == v.text.c_str() + v.text.size()) return d;
  }
  return Fail("can't convert " + v.ToString() + " to float");
}

Result<TemplateValue> Field(const TemplateValue& base, const std::string& field,
                            const TemplateData& data) {
  if (base.kind == Kind::kRoot) {
    if (field == "Labels") return MapOf(data.labels);
    if (field == "ExternalLabels") return MapOf(data.external_labels);
    if (field == "ExternalURL") return Str(data.external_url);
    if (field == "Value") return Num(data.value);
    return Fail("can't evaluate field " + field);
  }
  if (base.kind != Kind::kMap) return Fail("can't evaluate field " + field + " of a non-map");
  auto it = base.map->find(field);
  return Str(it == base.map->end() ? "" : it->second);
}

Result<TemplateValue> Resolve(const Template::Operand& op, const TemplateData& data) {
  using OpKind = Template::Operand::Kind;
  if (op.kind == OpKind::kString) return Str(op.text);
  if (op.kind == OpKind::kNumber) return Num(op.number);
  TemplateValue value{Kind::kRoot, "", 0, nullptr};
  if (op.text == "$labels") value = MapOf(data.labels);
  if (op.text == "$externalLabels") value = MapOf(data.external_labels);
  if (op.text == "$externalURL") value = Str(data.external_url);
  if (op.text == "$value") value = Num(data.value);
  for (const std::string& field : op.fields) {
    auto next = Field(value, field, data);
    if (!next.ok()) return next.status();
    value = std::move(next).value();
  }
  return value;
}

std::string Title(std::string s) {
  bool start = true;
  for (char& c : s) {
    const bool letter = std::isalnum(static_cast<unsigned char>(c)) != 0;
    if (letter && start) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    start = !letter;
  }
  return s;
}

std::string StripPort(const std::string& host) {
  if (!host.empty() && host[0] == '[') {
    const size_t close = host.find(']');
    return close == std::string::npos ? host : host.substr(1, close - 1);
  }
  const size_t colon = host.rfind(':');
  if (colon == std::string::npos || host.find(':') != colon) return host;
  return host.substr(0, colon);
}

std::string StripDomain(const std::string& host) {
  std::string port;
  std::string name = host;
  const size_t colon = host.rfind(':');
  if (colon != std::string::npos && host.find(':') == colon) {
    port = host.substr(colon);
    name = host.substr(0, colon);
  }
  const size_t dot = name.find('.');
  if (dot == std::string::npos || std::isdigit(static_cast<unsigned char>(name.back()))) {
    return host;
  }
  return name.substr(0, dot) + port;
}

// One %verb of printf, with the flags/width/precision in `spec` (e.g. "%-8.2").
std::string FormatOne(const std::string& spec, char verb, const TemplateValue& arg) {
  char buf[512];
  const bool number = arg.kind == Kind::kNumber;
  switch (verb) {
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G':
      if (!number) return std::string("%!") + verb + "(string=" + arg.ToString() + ")";
      if (!std::isfinite(arg.number)) return GoFloatV(arg.number);
      std::snprintf(buf, sizeof(buf), (spec + verb).c_str(), arg.number);
      return buf;
    case 'd':
      if (!number || arg.number != std::floor(arg.number)) {
        return "%!d(" + std::string(number ? "float64=" : "string=") + arg.ToString() + ")";
      }
      std::snprintf(buf, sizeof(buf), (spec + "lld").c_str(), static_cast<long long>(arg.number));
      return buf;
    case 'q':
      return "\"" + arg.ToString() + "\"";
    default:  // s, v
      std::snprintf(buf, sizeof(buf), (spec + "s").c_str(), arg.ToString().c_str());
      return buf;
  }
}

Result<TemplateValue> Printf(const std::vector<TemplateValue>& args) {
  const std::string format = args[0].ToString();
  std::string out;
  size_t next_arg = 1;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out += format[i];
      continue;
    }
    size_t j = i + 1;
    while (j < format.size() &&
           std::string("-+# 0.123456789").find(format[j]) != std::string::npos) {
      ++j;
    }
    if (j >= format.size()) return Str(out + "%!(NOVERB)");
    const char verb = format[j];
    if (verb == '%') {
      out += '%';
    } else if (next_arg >= args.size()) {
      out += std::string("%!") + verb + "(MISSING)";
    } else {
      out += FormatOne(format.substr(i, j - i), verb, args[next_arg++]);
    }
    i = j;
  }
  return Str(out);
}

using NumberFn = std::string (*)(double);

const std::map<std::string, NumberFn>& NumberFunctions() {
  static const std::map<std::string, NumberFn> kFns = {
      {"humanize", Humanize},
      {"humanize1024", Humanize1024},
      {"humanizeDuration", HumanizeDuration},
      {"humanizePercentage", HumanizePercentage},
      {"humanizeTimestamp", HumanizeTimestamp},
  };
  return kFns;
}

Result<TemplateValue> StringFunction(const std::string& name, const std::string& s) {
  std::string out = s;
  if (name == "toUpper") {
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  } else if (name == "toLower") {
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  } else if (name == "title") {
    out = Title(s);
  } else if (name == "stripPort") {
    out = StripPort(s);
  } else if (name == "stripDomain") {
    out = StripDomain(s);
  } else if (name == "urlQueryEscape") {
    out = UrlQueryEscape(s);
  }
  return Str(out);
}

Result<TemplateValue> Call(const std::string& name, const std::vector<TemplateValue>& args,
                           const TemplateData& data) {
  if (auto it = NumberFunctions().find(name); it != NumberFunctions().end()) {
    auto v = ToFloat(args[0]);
    if (!v.ok()) return Fail("error calling " + name + ": " + v.status().message());
    return Str(it->second(*v));
  }
  if (name == "printf") return Printf(args);
  if (name == "eq" || name == "ne" || name == "lt" || name == "le" || name == "gt" ||
      name == "ge") {
    if (args.size() < 2) return Fail("missing argument for comparison");
    return Compare(name, args[0], args[1]);
  }
  if (name == "and" || name == "or" || name == "not") return Logic(name, args);
  if (name == "externalURL") return Str(data.external_url);
  if (name == "index") {
    if (args[0].kind != Kind::kMap) return Fail("error calling index: not a map");
    auto it = args[0].map->find(args[1].ToString());
    return Str(it == args[0].map->end() ? "" : it->second);
  }
  if (name == "reReplaceAll") {
    try {
      return Str(std::regex_replace(args[2].ToString(), std::regex(args[0].ToString()),
                                    args[1].ToString()));
    } catch (const std::regex_error& e) {
      return Fail("error calling reReplaceAll: " + std::string(e.what()));
    }
  }
  return StringFunction(name, args[0].ToString());
}

}  // namespace

int FunctionArity(const std::string& name) {
  if (NumberFunctions().count(name)) return 1;
  if (name == "printf" || name == "and" || name == "or") return kVariadic;
  if (name == "eq" || name == "ne" || name == "lt" || name == "le" || name == "gt" ||
      name == "ge") {
    return 2;
  }
  if (name == "not") return 1;
  if (name == "externalURL") return 0;
  if (name == "index") return 2;
  if (name == "reReplaceAll") return 3;
  static const std::set<std::string> kStringFns = {"toUpper",   "toLower",     "title",
                                                   "stripPort", "stripDomain", "urlQueryEscape"};
  return kStringFns.count(name) ? 1 : kUnknownFunction;
}

bool IsKnownVariable(const std::string& name) {
  return name == "$" || name == "$labels" || name == "$value" || name == "$externalLabels" ||
         name == "$externalURL";
}

std::string TemplateValue::ToString() const {
  switch (kind) {
    case Kind::kString:
      return text;
    case Kind::kNumber:
      return GoFloatV(number);
    case Kind::kMap: {
      std::string out = "map[";
      for (const auto& [k, v] : *map) out += (out.size() > 4 ? " " : "") + k + ":" + v;
      return out + "]";
    }
    case Kind::kRoot:
      return "{}";
    case Kind::kBool:
      return number != 0 ? "true" : "false";
  }
  return "";
}

bool IsTruthy(const TemplateValue& value) {
  switch (value.kind) {
    case Kind::kString:
      return !value.text.empty();
    case Kind::kNumber:
    case Kind::kBool:
      return value.number != 0;
    case Kind::kMap:
      return !value.map->empty();
    case Kind::kRoot:
      return true;
  }
  return false;
}

Result<TemplateValue> EvalPipeline(const std::vector<Template::Command>& pipeline,
                                   const TemplateData& data) {
  TemplateValue piped;
  for (size_t i = 0; i < pipeline.size(); ++i) {
    const Template::Command& command = pipeline[i];
    std::vector<TemplateValue> args;
    for (const Template::Operand& op : command.args) {
      auto value = Resolve(op, data);
      if (!value.ok()) return value.status();
      args.push_back(std::move(value).value());
    }
    if (i > 0) args.push_back(piped);
    if (command.function.empty()) {
      piped = args[0];
      continue;
    }
    auto result = Call(command.function, args, data);
    if (!result.ok()) return result.status();
    piped = std::move(result).value();
  }
  return piped;
}

}  // namespace tidemark::server::alerting
