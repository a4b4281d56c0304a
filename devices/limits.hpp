// Work limits. Every input that sets how much work a job does (elements after flattening or
// generation, time points of a transient, points of a sweep, bytes of a file read into memory) is
// checked against these limits before the work starts, so a typo like `.tran 1f 1` is an error
// that names its place instead of a job that never ends. The limits are process-wide; the CLI
// raises them with --max-elements, --max-points and --max-bytes for jobs that are huge on purpose.
#pragma once

#include <cstdint>
#include <string>

#include "devices/error.hpp"

namespace spx {

/// Limits on the size of one job.
struct WorkLimits {
  double elements = 2e7;              ///< circuit elements (a 400-120-84-10 network with wires: 3.1e5)
  double points = 1e7;                ///< time points of one transient window, points of one sweep
  std::uintmax_t bytes = 1ull << 31;  ///< bytes of one file read into memory (netlist, include, data)
};

/// The process-wide limits (set once by the CLI before any work starts).
inline WorkLimits& work_limits() {
  static WorkLimits limits;
  return limits;
}

/// Throws InputError "`at`: N `what`, above the limit of M (raise it with `option`)" when `count`
/// (possibly inf or NaN) exceeds `limit`.
inline void check_work(double count, double limit, const std::string& at, std::string_view what, std::string_view option) {
  if (count <= limit) return;
  fail("{}: {:.4g} {}, above the limit of {:.4g} (raise it with {})", at, count, what, limit, option);
}

/// Checks a number of circuit elements against work_limits().elements.
inline void check_elements(double count, const std::string& at, std::string_view what = "elements") {
  check_work(count, work_limits().elements, at, what, "--max-elements");
}

/// Checks a number of time or sweep points against work_limits().points.
inline void check_points(double count, const std::string& at, std::string_view what = "points") {
  check_work(count, work_limits().points, at, what, "--max-points");
}

}  // namespace spx
