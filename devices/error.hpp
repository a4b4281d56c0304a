// The single exception type for bad input (config, command line, netlist, weights, dataset) and the
// one helper that raises it. Its message names the place, the value and the unit, e.g.
// "net.cir:812: unknown element 'Q1'". Numerical outcomes are never reported through it.
// Messages are one line of bounded length whatever the input echoed into them: control characters
// are shown as '?', and a text longer than max_message_bytes keeps its head and says how much was cut.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace spx {

/// Longest error message, in bytes; the place comes first, so a cut keeps it.
inline constexpr size_t max_message_bytes = 400;

/// `text` as one line of at most `max` bytes (plus a note of how many were cut).
inline std::string one_line(std::string_view text, size_t max = max_message_bytes) {
  const bool cut = text.size() > max;
  std::string out(cut ? text.substr(0, max) : text);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  if (cut) out += fmt::format("... ({} more bytes)", text.size() - max);
  return out;
}

/// `text` cut for quoting inside a message (a token, a value): at most `max` bytes.
inline std::string clip(std::string_view text, size_t max = 60) {
  if (text.size() <= max) return std::string(text);
  return fmt::format("{}...", text.substr(0, max));
}

/// Bad user input; what() is one line naming the place.
class InputError : public std::runtime_error {
 public:
  explicit InputError(std::string_view what) : std::runtime_error(one_line(what)) {}
};

/// Throws InputError with a fmt-formatted message.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw InputError(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace spx
