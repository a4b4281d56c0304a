// Shared pieces of the benchmarks: a monotonic timer and best-of-N timing.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <limits>

namespace spx::bench {

/// Seconds since an arbitrary start.
inline double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// Best wall time of `repeats` runs of f, after one warm-up run (seconds).
inline double best_of(int repeats, const std::function<void()>& f) {
  f();
  double best = std::numeric_limits<double>::infinity();
  for (int k = 0; k < repeats; ++k) {
    double t0 = now();
    f();
    best = std::min(best, now() - t0);
  }
  return best;
}

}  // namespace spx::bench
