// The single exception type for bad input (config, command line, netlist, weights, dataset) and the
// one helper that raises it. Its message names the place, the value and the unit, e.g.
// "net.cir:812: unknown element 'Q1'". Numerical outcomes are never reported through it.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace spx {

/// Bad user input; what() is one line naming the place.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Throws InputError with a fmt-formatted message.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw InputError(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace spx
