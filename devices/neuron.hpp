// SOT-MRAM analog sigmoid neuron (IMAC): a CMOS inverter whose gate node is fed from the neuron input
// through an MTJ in the parallel state, after a level shift, and from its own output through an MTJ
// in the antiparallel state. The gate draws no current, so
//   v_gate = (R_AP (z + v_shift) + R_P v_out) / (R_P + R_AP),
// a resistive feedback around an inverting amplifier that turns the inverter's steep step into a
// smooth, inverting sigmoid out = f(z) between the rails.
// Transistors: ngspice level-1 (Shichman-Hodges) models — the simplest model Debian's ngspice 39
// accepts that has the physics needed for a DC transfer curve (threshold, transconductance,
// channel-length modulation). Parameters are an illustrative 20-nm-class pair, not a foundry model:
//   NMOS VTO = 0.35 V, KP = 300 uA/V^2; PMOS VTO = -0.35 V, KP = 150 uA/V^2 (half the hole mobility);
//   LAMBDA = 0.2 1/V (short channel); W/L = 2 (NMOS) and 4 (PMOS) so that KP*W/L matches and the
//   switching point sits at vdd/2; L = 20 nm.
// The behavioral macro-model is the transfer curve measured from this circuit by an ngspice DC sweep
// (mlp/neuron_curve.hpp), so both backends can run the same neuron.
#pragma once

#include <string>
#include <vector>

#include "devices/params.hpp"

namespace spx::devices {

/// Transistor-level neuron parameters.
struct SotNeuronParams {
  double v_shift = 0.4;      ///< V, level shift from the neuron input to the input MTJ
  double nmos_vto = 0.35;    ///< V
  double pmos_vto = -0.35;   ///< V
  double nmos_kp = 300e-6;   ///< A/V^2
  double pmos_kp = 150e-6;   ///< A/V^2
  double lambda = 0.2;       ///< 1/V, channel-length modulation (both)
  double length = 20e-9;     ///< m
  double nmos_width = 40e-9; ///< m
  double pmos_width = 80e-9; ///< m
  double r_in = 0;           ///< ohm, the input MTJ (P state); 0: the synapses' MTJ (mtj.ra, P state)
  double r_feedback = 0;     ///< ohm, the feedback MTJ (AP state); 0: the synapses' MTJ at zero bias

  /// The two .model cards (names spx_nmos and spx_pmos).
  std::vector<std::string> model_cards() const;
};

/// Configuration keys of the transistor-level neuron ([neuron] section).
const std::vector<ParamSpec<SotNeuronParams>>& sot_neuron_table();

}  // namespace spx::devices
