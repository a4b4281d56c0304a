// Energy and latency per inference of an SC network, from the engine's activity (sc/network.hpp),
// the p-bit (devices/pbit.hpp) and the peripheral figures of [sc]:
// - crossbar: rows at v_row when their bit is 1, columns held at virtual ground by the column
//   amplifiers, so each clock costs v_row^2 T sum(G of the lines at 1) (activity.conductance_clocks);
// - neurons: every hidden neuron's p-bit, every clock, at its own input current (energy_per_bit);
// - input p-bits: lines with 0 < a < 1, at the current that biases them to a, for L clocks;
// - amplifiers: one per neuron column pair, p_amplifier while the layer streams;
// - counters: e_counter per counted 1 of a hidden neuron;
// - DACs: setting the bias of every p-bit line, e_dac_bit per resolved bit (8 for pixels,
//   ceil(log2 k) for k activation states, ceil(log2(L + 1)) for unquantized counts).
// Latency: the layers stream one after another, L clocks each (a layer needs its inputs' final counts
// before it can bias its p-bits).
// The analog-activation baseline is the same network and devices with analog hidden activations of
// analog_bits bits: each layer drives its rows with the activations as analog voltages a v_row (power
// a^2 v_row^2 G), and each hidden neuron's activation is its p-bit averaged over 2^bits - 1 clocks
// (the stream that resolves one level of that precision); the output layer reads its analog column
// currents in one clock. Its energy and latency use the SC run's own activations as the analog
// values, so both columns of a comparison price the same computation.
#pragma once

#include <string>
#include <vector>

#include "sc/network.hpp"

namespace spx::sc {

/// Peripheral figures.
struct ScCostParams {
  double v_row = 0.1;          ///< V
  double p_amplifier = 10e-6;  ///< W
  double e_counter = 10e-15;   ///< J
  double e_dac_bit = 5e-15;    ///< J
  int analog_bits = 8;         ///< baseline precision
};

/// Energy by component (J).
struct ScEnergy {
  double crossbar = 0, neurons = 0, input_pbits = 0, amplifiers = 0, counters = 0, dacs = 0;
  double total() const { return crossbar + neurons + input_pbits + amplifiers + counters + dacs; }
  ScEnergy& operator+=(const ScEnergy& o);
};
/// Component names in the order of ScEnergy's fields.
const std::vector<std::string>& energy_parts();
/// Values in the order of energy_parts().
std::vector<double> parts(const ScEnergy& e);

/// Energy of one image of the quantized SC network.
ScEnergy sc_energy(const ScModel& m, const ScSettings& s, const ScCostParams& c, const ScImage& image);
/// Latency of one inference of the SC network (s).
double sc_latency(const ScModel& m, const ScSettings& s);
/// Energy of one image in the analog-activation baseline.
ScEnergy baseline_energy(const ScModel& m, const ScSettings& s, const ScCostParams& c, const ScImage& image);
/// Latency of one inference of the analog-activation baseline (s).
double baseline_latency(const ScModel& m, const ScSettings& s, const ScCostParams& c);

}  // namespace spx::sc
