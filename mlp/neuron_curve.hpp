// Characterization of the SOT-MRAM neuron: its unloaded DC transfer curve out = f(z) measured in
// embedded ngspice by a .dc sweep of an ideal source at the input, on a dense grid, then thinned:
// a point is dropped while linear interpolation through the kept points stays within `tolerance` of
// every dense sample. The result is the behavioral macro-model (netlist NeuronKind::curve) that both
// backends run. The macro-model has an ideal output: it does not model the inverter's output
// resistance under load.
#pragma once

#include <vector>

#include "devices/mtj.hpp"
#include "devices/neuron.hpp"

namespace spx::mlp {

/// A transfer curve.
struct NeuronCurve {
  std::vector<double> in;   ///< V, increasing
  std::vector<double> out;  ///< V
  size_t dense_points = 0;  ///< points of the ngspice sweep
};

/// Sweeps z over [z_min, z_max] in steps of `step` (ngspice), thins to `tolerance` (V).
/// Throws std::runtime_error with ngspice's message if the sweep fails.
NeuronCurve characterize_neuron(const devices::SotNeuronParams& p, const devices::MtjParams& mtj, double vdd,
                                double z_min, double z_max, double step, double tolerance);

/// Keeps the fewest points of (x, y) such that linear interpolation stays within tolerance of all.
NeuronCurve thin_curve(const std::vector<double>& x, const std::vector<double>& y, double tolerance);

}  // namespace spx::mlp
