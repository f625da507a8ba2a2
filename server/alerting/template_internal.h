// Internals shared by template.cc (parsing) and template_eval.cc (evaluation). Not a public API.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "server/alerting/template.h"

namespace tidemark::server::alerting {

inline constexpr int kUnknownFunction = -2;
inline constexpr int kVariadic = -1;

// Number of arguments `name` takes, kVariadic for printf, kUnknownFunction when not defined.
int FunctionArity(const std::string& name);
// $labels, $value, $externalLabels, $externalURL and $ (the data root).
bool IsKnownVariable(const std::string& name);

// A template value: a string, a number or a label map.
struct TemplateValue {
  enum class Kind { kString, kNumber, kMap, kRoot, kBool };
  Kind kind = Kind::kString;
  std::string text;
  double number = 0;  // kNumber; kBool: 1 or 0
  const std::map<std::string, std::string>* map = nullptr;
  std::string ToString() const;
};

// Go's truth: false, 0, "" and an empty map are false.
bool IsTruthy(const TemplateValue& value);

base::Result<TemplateValue> EvalPipeline(const std::vector<Template::Command>& pipeline,
                                         const TemplateData& data);

}  // namespace tidemark::server::alerting
