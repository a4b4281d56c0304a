// Synapses: a weight is a differential pair of MTJ resistances on one input line, one device on the
// neuron's I+ line and one on its I- line; the neuron sees G+ - G-.
// A k-level weight takes the values j/m, j = -m..m, with m = (k-1)/2 (ternary k=3, and k=5, k=11);
// binary weights are the ternary levels without 0. With G_P = 1/R_P, G_AP = 1/R_AP and
// dG = G_P - G_AP, level j maps to
//   j >= 0: G+ = G_P,               G- = G_P - (j/m) dG
//   j <  0: G+ = G_P - (|j|/m) dG,  G- = G_P
// so +1 = (R_low on I+, R_high on I-), -1 the reverse, 0 = R_low on both, and G+ - G- = (j/m) dG.
// Intermediate levels need devices with m+1 conductance states evenly spaced between G_AP and G_P.
// Device-to-device variation multiplies each resistance by (1 + d), d uniform in [-v, v] or normal
// with standard deviation v, drawn from the device's own seeded stream.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

#include "devices/random.hpp"

namespace spx::devices {

/// Kind of device-to-device variation.
enum class Variation : uint8_t { none, uniform, gaussian };

/// Weight quantization and device mapping of a layer.
struct SynapseMap {
  int levels = 2;        ///< 2 (binary), 3 (ternary), 5 or 11
  double r_low = 0;      ///< ohm, parallel-state resistance
  double r_high = 0;     ///< ohm, antiparallel-state resistance
  Variation variation = Variation::none;
  double variation_fraction = 0;  ///< v: half-width (uniform) or sigma (gaussian), as a fraction of R

  /// m = number of positive levels.
  int half_levels() const { return levels == 2 ? 1 : (levels - 1) / 2; }
  /// Level j of a weight value, or nullopt if the value is not one of the allowed levels.
  std::optional<int> level_of(double weight) const;
  /// Nominal (R+, R-) of level j in ohm.
  std::pair<double, double> resistances(int level) const;
  /// Resistance with variation applied, drawn from the given stream.
  double vary(double r, CellRng& rng) const;
};

/// True for the level counts spinxbar maps (2, 3, 5, 11).
bool supported_levels(int levels);
/// Activation states a quantized network supports: 0 (not quantized) or a supported level count.
inline bool supported_states(int states) { return states == 0 || supported_levels(states); }

}  // namespace spx::devices
