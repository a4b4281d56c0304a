// Agreement between two backends' results for the same analysis. For every vector present in both,
// the largest absolute difference is divided by the largest magnitude among all vectors of the same
// family in the reference (voltages v(...) or currents i(...)), so a node near 0 V is judged against
// the circuit's voltage scale rather than against itself. Transient vectors are compared at the
// reference's time points with the candidate linearly interpolated: the native solver steps onto
// every source corner, so interpolating it between its points is exact for the sources, while
// ngspice may step over a corner without a point on it.
#pragma once

#include <string>

#include "solver/results.hpp"

namespace spx::solver {

/// Worst disagreement found.
struct Agreement {
  double max_rel = 0;      ///< largest scaled difference
  std::string worst;       ///< vector where it occurs
  size_t compared = 0;     ///< vectors compared
  size_t missing = 0;      ///< vectors of the reference absent from the candidate
};

/// Linear interpolation of y(t) at `at` (held constant outside the range); t increasing.
double interpolate(const std::vector<double>& t, const std::vector<double>& y, double at);

/// Compares a candidate result against a reference result of the same analysis.
Agreement compare(const AnalysisResult& reference, const AnalysisResult& candidate);

}  // namespace spx::solver
