// Signatures of the functions the evaluator implements by name (evaluator_functions.cc): they
// need more than one value or window at a time (labels, ordering, absence, histograms).
#include <vector>

#include "query/functions.h"

namespace tidemark::query {
namespace {

FunctionDef SpecialDef(std::string_view name, std::vector<ValueType> args, ValueType ret,
                       int variadic = 0, bool keeps_name = false) {
  FunctionDef d;
  d.name = name;
  d.arg_types = std::move(args);
  d.return_type = ret;
  d.variadic = variadic;
  d.kind = FnKind::kSpecial;
  d.keeps_name = keeps_name;
  return d;
}

}  // namespace

void AppendSpecialFunctions(std::vector<FunctionDef>* out) {
  const ValueType v = ValueType::kVector, s = ValueType::kScalar, m = ValueType::kMatrix,
                  str = ValueType::kString;
  out->push_back(SpecialDef("time", {}, s));
  out->push_back(SpecialDef("pi", {}, s));
  out->push_back(SpecialDef("vector", {s}, v));
  out->push_back(SpecialDef("scalar", {v}, s));
  out->push_back(SpecialDef("timestamp", {v}, v));
  out->push_back(SpecialDef("absent", {v}, v));
  out->push_back(SpecialDef("absent_over_time", {m}, v));
  out->push_back(SpecialDef("sort", {v}, v, 0, true));
  out->push_back(SpecialDef("sort_desc", {v}, v, 0, true));
  out->push_back(SpecialDef("label_replace", {v, str, str, str, str}, v, 0, true));
  out->push_back(SpecialDef("label_join", {v, str, str, str}, v, -1, true));
  out->push_back(SpecialDef("histogram_quantile", {s, v}, v));
  out->push_back(SpecialDef("histogram_count", {v}, v));
  out->push_back(SpecialDef("histogram_sum", {v}, v));
  out->push_back(SpecialDef("histogram_fraction", {s, s, v}, v));
}

}  // namespace tidemark::query
