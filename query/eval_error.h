// EvalError: the exception the evaluator and function implementations throw; Evaluator::Run is
// its only catch site and turns it into a base::Status with the same code and message.
//
// Plain data; not shared between threads.
#pragma once

#include <string>
#include <utility>

#include "storage/base/status.h"

namespace tidemark::query {

struct EvalError {
  base::StatusCode code;
  std::string message;
};

// Throws an execution error (StatusCode::kInvalidArgument maps to bad_data, so execution errors
// use kFailedPrecondition; see engine.h).
[[noreturn]] inline void ThrowExecError(std::string message) {
  throw EvalError{base::StatusCode::kFailedPrecondition, std::move(message)};
}

// Rethrows a failed storage read, keeping its code (storage errors map to "internal").
void ThrowIfStorageError(const base::Status& status);

}  // namespace tidemark::query
