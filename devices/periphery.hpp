// Periphery of a crossbar network besides the difference amplifiers (amplifier.hpp): the line drivers
// and the neuron's dynamics, with the area and energy figures the system report needs.
// - Line drivers: a DAC at every network input and a buffer between a neuron and the lines of the
//   next layer it drives (the neuron itself sees only the buffer's gate). Each is an ideal source
//   behind its output resistance; a new value on a line costs e_transition beyond the C V dV of the
//   line, which the circuit pays through the driver's current.
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
  double e_transition = 50e-15; ///< J, per driven line and new value, beyond the line's C V dV
  double i_static = 0;          ///< A, bias current of a driver from vdd while on
  double area = 1e-12;          ///< m^2, layout area per driver
};
const std::vector<ParamSpec<DriverParams>>& driver_table();

/// Output dynamics and cost of a behavioral neuron ([neuron]).
struct NeuronDynamics {
  double r_out = 0;      ///< ohm, output resistance (0: the law drives the output directly)
  double c_out = 0;      ///< F, the neuron's own output capacitance
  double c_load = 0;     ///< F, load on the neuron output (the buffer's input)
  double i_supply = 0;   ///< A, supply current from vdd (mean over the transfer curve when characterized)
  double area = 0;       ///< m^2, layout area per neuron
};
const std::vector<ParamSpec<NeuronDynamics>>& neuron_dynamics_table();

}  // namespace spx::devices
