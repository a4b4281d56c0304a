// Weight levels to differential MTJ pairs (synapse.hpp).
#include "devices/synapse.hpp"

#include <algorithm>
#include <cmath>

namespace spx::devices {

bool supported_levels(int levels) { return levels == 2 || levels == 3 || levels == 5 || levels == 11; }

std::optional<int> SynapseMap::level_of(double weight) const {
  int m = half_levels();
  double scaled = weight * m;
  double j = std::round(scaled);
  if (!std::isfinite(weight) || std::fabs(scaled - j) > 1e-6 || std::fabs(j) > m) return std::nullopt;
  if (levels == 2 && j == 0) return std::nullopt;
  return static_cast<int>(j);
}

std::pair<double, double> SynapseMap::resistances(int level) const {
  int m = half_levels();
  double gp = 1 / r_low, dg = gp - 1 / r_high;
  double g_other = gp - std::abs(level) * dg / m;
  return level >= 0 ? std::pair{1 / gp, 1 / g_other} : std::pair{1 / g_other, 1 / gp};
}

double SynapseMap::vary(double r, CellRng& rng) const {
  double d = 0;
  switch (variation) {
    case Variation::none: return r;
    case Variation::uniform: d = (2 * rng.uniform() - 1) * variation_fraction; break;
    case Variation::gaussian: d = rng.normal() * variation_fraction; break;
  }
  return r * std::max(1 + d, 0.01);  // a resistance never goes below 1 % of nominal
}

}  // namespace spx::devices
