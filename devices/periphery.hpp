// Periphery of a crossbar network besides the difference amplifiers (amplifier.hpp): the line drivers
// and the neuron's dynamics, with the area and energy figures the system report needs.
// - Line drivers: a DAC at every network input and a buffer between a neuron and the lines of the
//   next layer it drives (the neuron itself sees only the buffer's gate). Each is an ideal source
//   behind its output resistance; the circuit pays the line's load (and its C V dV) through the
//   driver's current. Cost: ISAAC's 1-bit DAC (A. Shafiee et al., ISCA 2016: 4 mW and 0.00017 mm^2
//   for 8 x 128 DACs at 32 nm) is 3.9 uW and 0.166 um^2; an n-bit DAC doubles both per bit (the
//   rule of MNSIM 2.0's DAC table, built from ISAAC's figure). Buffers cost as 1-bit drivers.
//   Output resistance 0 by default (IMAC-Sim's ideal sources): a 32-column row loads its driver
//   with 78-234 ohm (64 MTJs of 5-15 kohm in parallel), so a real driver needs <~ 10 ohm.
// - Neuron dynamics (ideal and curve neurons): the law drives the output node through r_out; the node
//   holds c_out (the neuron's own capacitance) plus c_load (the buffer's input). The supply draws
//   i_supply from vdd while the neuron is on. For the SOT-MRAM neuron (`sot`) all four are measured
//   from the transistor circuit (mlp/neuron_curve.hpp); the defaults here are those measurements of
//   the default circuit (devices/neuron.hpp) so that every model starts from the same neuron.
#pragma once

#include <vector>

#include "devices/params.hpp"

namespace spx::devices {

/// Input DACs and inter-layer buffers ([driver]).
struct DriverParams {
  double r_out = 0;             ///< ohm, output resistance (0: ideal source)
  double p_static = 3.9e-6;     ///< W, power of a 1-bit driver while on (x 2^(bits-1) for n bits)
  double e_transition = 0;      ///< J, per driven line and new value, beyond the line's C V dV
  double area = 0.166e-12;      ///< m^2, area of a 1-bit driver (x 2^(bits-1) for n bits)

  /// Factor of an n-bit DAC over a 1-bit driver.
  static double scale(int bits) { return bits <= 1 ? 1.0 : static_cast<double>(1u << (bits - 1)); }
};
const std::vector<ParamSpec<DriverParams>>& driver_table();

/// Output dynamics and cost of a behavioral neuron ([neuron]).
struct NeuronDynamics {
  double r_out = 0;      ///< ohm, output resistance (0: the law drives the output directly)
  double c_out = 0;      ///< F, the neuron's own output capacitance
  double c_load = 0;     ///< F, load on the neuron output (the buffer's input)
  double i_supply = 0;   ///< A, supply current from vdd (the characterized curve's, per input, for sot)
  double area = 0;       ///< m^2, layout area per neuron
};

/// Dynamics of the default SOT-MRAM neuron (devices/neuron.hpp, vdd 1 V), as measured by
/// mlp::fit_neuron_dynamics and characterize_neuron (a test keeps them equal): output resistance and
/// capacitance, and the mean supply current over inputs -1.5..1.5 V. Load: a minimum buffer gate and
/// its local wire, 1 fF. Area: an inverter of the 14-22 nm class (0.05-0.2 um^2) with the two MTJs
/// above it, 0.1 um^2.
NeuronDynamics default_neuron_dynamics();
const std::vector<ParamSpec<NeuronDynamics>>& neuron_dynamics_table();

}  // namespace spx::devices
