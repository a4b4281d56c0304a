// SC energy and latency (cost.hpp).
#include "sc/cost.hpp"

#include <cmath>

namespace spx::sc {

ScEnergy& ScEnergy::operator+=(const ScEnergy& o) {
  crossbar += o.crossbar;
  neurons += o.neurons;
  input_pbits += o.input_pbits;
  amplifiers += o.amplifiers;
  counters += o.counters;
  dacs += o.dacs;
  return *this;
}

const std::vector<std::string>& energy_parts() {
  static const std::vector<std::string> p = {"crossbar", "neurons", "input_pbits", "amplifiers", "counters", "dacs"};
  return p;
}

std::vector<double> parts(const ScEnergy& e) {
  return {e.crossbar, e.neurons, e.input_pbits, e.amplifiers, e.counters, e.dacs};
}

namespace {
int bits_for(int levels) { return static_cast<int>(std::ceil(std::log2(static_cast<double>(levels)))); }
}  // namespace

ScEnergy sc_energy(const ScModel& m, const ScSettings& s, const ScCostParams& c, const ScImage& image) {
  ScEnergy e;
  const double T = s.pbit.clock;
  for (size_t k = 0; k < m.layers.size() && k < image.activity.size(); ++k) {
    const ScActivity& a = image.activity[k];
    const bool last = k + 1 == m.layers.size();
    e.crossbar += c.v_row * c.v_row * T * a.conductance_clocks;
    e.neurons += a.neuron_energy;
    e.input_pbits += a.line_energy;
    e.amplifiers += c.p_amplifier * m.layers[k].outputs * static_cast<double>(a.clocks) * T;
    if (!last || s.readout == ScReadout::count) e.counters += c.e_counter * static_cast<double>(a.neuron_ones);
    const int bits = k == 0 ? 8 : s.states == 0 ? bits_for(s.length + 1) : bits_for(s.states);
    e.dacs += c.e_dac_bit * bits * static_cast<double>(a.pbit_lines);
  }
  return e;
}

double sc_latency(const ScModel& m, const ScSettings& s) { return static_cast<double>(m.layers.size()) * s.length * s.pbit.clock; }

ScEnergy baseline_energy(const ScModel& m, const ScSettings& s, const ScCostParams& c, const ScImage& image) {
  ScEnergy e;
  const double T = s.pbit.clock;
  const double window = std::ldexp(1.0, c.analog_bits) - 1;  // clocks of a hidden neuron's average
  const double e_half = s.pbit.energy_per_bit(s.pbit.current_for(0.5));
  for (size_t k = 0; k < m.layers.size() && k < image.activity.size(); ++k) {
    const ScActivity& a = image.activity[k];
    const bool last = k + 1 == m.layers.size();
    const double clocks = last ? 1 : window;
    const int outputs = m.layers[k].outputs;
    e.crossbar += c.v_row * c.v_row * T * clocks * a.analog_conductance;
    e.amplifiers += c.p_amplifier * outputs * clocks * T;
    e.dacs += c.e_dac_bit * c.analog_bits * m.layers[k].inputs;
    if (last) continue;
    // The same p-bits at the same mean energy per bit as in the SC run, for the longer window.
    const double per_bit = a.clocks > 0 ? a.neuron_energy / (static_cast<double>(a.clocks) * outputs) : e_half;
    e.neurons += per_bit * outputs * window;
    const double ones_fraction = a.clocks > 0 ? static_cast<double>(a.neuron_ones) / (static_cast<double>(a.clocks) * outputs) : 0.5;
    e.counters += c.e_counter * ones_fraction * outputs * window;
  }
  return e;
}

double baseline_latency(const ScModel& m, const ScSettings& s, const ScCostParams& c) {
  const double window = std::ldexp(1.0, c.analog_bits) - 1;
  return (static_cast<double>(m.layers.size() - 1) * window + 1) * s.pbit.clock;
}

}  // namespace spx::sc
