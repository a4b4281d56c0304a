// Shared pieces of the benchmarks: a monotonic timer, best-of-N timing, a timed ngspice run.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <functional>
#include <limits>

#include "solver/ngspice.hpp"

namespace spx::bench {

/// Seconds since an arbitrary start.
inline double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// Runs a circuit in embedded ngspice; seconds taken into `seconds`. Exits the bench on failure.
inline solver::NgspiceRun ngspice_timed(const netlist::Circuit& c, double& seconds) {
  double t0 = now();
  auto run = solver::ngspice_session().run(c);
  seconds = now() - t0;
  if (!run.ok) {
    fmt::print("ngspice failed: {}\n", run.error);
    std::exit(1);
  }
  return run;
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
