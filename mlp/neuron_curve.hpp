// Characterization of the SOT-MRAM neuron: its unloaded DC transfer curve out = f(z) measured in
// embedded ngspice by a .dc sweep of an ideal source at the input, on a dense grid, then thinned:
// a point is dropped while linear interpolation through the kept points stays within `tolerance` of
// every dense sample. The result is the behavioral macro-model (netlist NeuronKind::curve) that both
// backends run. Its supply current is measured on the same sweep (i(v_vdd) at every kept point).
// Dynamics: the macro-model drives its output through r_out into c_out + the load. Both are measured
// from ngspice transients of the transistor circuit: the input steps between the sweep's ends (1 ps
// edge) with a load capacitor C_L on the output, and the 50 % delay t50 (from the middle of the edge to
// the output's midway crossing) is taken for rising and falling outputs at two loads. For the
// first-order macro-model t50 = ln 2 r_out (c_out + C_L), so the mean slope of t50 over C_L gives
// r_out = slope / ln 2 and the intercept gives c_out = intercept / slope.
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
  std::vector<double> supply;  ///< A, supply current drawn from vdd at each kept point
  double supply_mean = 0;      ///< A, mean supply current over the swept inputs (dense sweep)
};

/// 50 % delays of the transistor neuron driving a load.
struct NeuronDelay {
  double c_load = 0;   ///< F
  double rise = 0;     ///< s, output rising (input stepping down)
  double fall = 0;     ///< s, output falling
};

/// The neuron's output dynamics.
struct NeuronDynamicsFit {
  double r_out = 0;                 ///< ohm
  double c_out = 0;                 ///< F
  std::vector<NeuronDelay> delays;  ///< the measurements the fit used
};

/// 50 % delays of the transistor neuron (ngspice transients) stepping between z_lo and z_hi, per load.
std::vector<NeuronDelay> neuron_delays(const devices::SotNeuronParams& p, const devices::MtjParams& mtj, double vdd,
                                       double z_lo, double z_hi, const std::vector<double>& loads);
/// r_out and c_out from the delays at two loads (see above).
NeuronDynamicsFit fit_neuron_dynamics(const devices::SotNeuronParams& p, const devices::MtjParams& mtj, double vdd,
                                      double z_lo, double z_hi);

/// Sweeps z over [z_min, z_max] in steps of `step` (ngspice), thins to `tolerance` (V).
/// Throws std::runtime_error with ngspice's message if the sweep fails.
NeuronCurve characterize_neuron(const devices::SotNeuronParams& p, const devices::MtjParams& mtj, double vdd,
                                double z_min, double z_max, double step, double tolerance);

/// Keeps the fewest points of (x, y) such that linear interpolation stays within tolerance of all.
NeuronCurve thin_curve(const std::vector<double>& x, const std::vector<double>& y, double tolerance);

}  // namespace spx::mlp
