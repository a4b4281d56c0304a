// Test helper: the message of the InputError a call throws.
#pragma once

#include <functional>
#include <string>

#include "devices/error.hpp"

/// What `f` throws as an InputError, or "(no error)".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const spx::InputError& e) {
    return e.what();
  }
  return "(no error)";
}
