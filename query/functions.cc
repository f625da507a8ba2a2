#include "query/functions.h"

#include <string>
#include <unordered_map>

namespace tidemark::query {

const FunctionDef* FindFunction(std::string_view name) {
  static const auto* table = [] {
    static auto* defs = new std::vector<FunctionDef>();
    AppendRangeFunctions(defs);
    AppendMathFunctions(defs);
    AppendSpecialFunctions(defs);
    auto* index = new std::unordered_map<std::string, const FunctionDef*>();
    for (const FunctionDef& d : *defs) (*index)[std::string(d.name)] = &d;
    return index;
  }();
  auto it = table->find(std::string(name));
  return it == table->end() ? nullptr : it->second;
}

}  // namespace tidemark::query
