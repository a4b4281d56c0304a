// Cooperative interruption. A signal handler (SIGINT, SIGTERM) sets one process-wide flag; long
// loops anywhere in the library (flattening, reductions, factorizations per column, time steps,
// training epochs) poll it through check_interrupt(), which throws Interrupted. Work that can stop
// cleanly at a boundary (a batch of images) reads the flag instead and returns a resumable state.
#pragma once

#include <atomic>
#include <exception>

namespace spx {

/// The work was stopped by an interrupt (the CLI exits 130). Not a runtime_error, so handlers that
/// turn failures into messages do not catch it by accident.
class Interrupted : public std::exception {
 public:
  const char* what() const noexcept override { return "interrupted"; }
};

/// The process-wide interrupt flag (lock-free, so a signal handler may set it).
inline std::atomic<bool>& interrupt_flag() {
  static std::atomic<bool> flag{false};
  return flag;
}

/// Throws Interrupted when the flag is set.
inline void check_interrupt() {
  if (interrupt_flag().load(std::memory_order_relaxed)) throw Interrupted();
}

}  // namespace spx
