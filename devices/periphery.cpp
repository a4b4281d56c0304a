// Periphery parameters (periphery.hpp).
#include "devices/periphery.hpp"

#include <cmath>

namespace spx::devices {

const std::vector<ParamSpec<DriverParams>>& driver_table() {
  static const std::vector<ParamSpec<DriverParams>> t = {
      {"r_out", &DriverParams::r_out, "ohm", "line driver output resistance (0: ideal)", 0, INFINITY},
      {"p_static", &DriverParams::p_static, "W", "power of a 1-bit driver while on (x 2^(bits-1))", 0, 1},
      {"e_transition", &DriverParams::e_transition, "J", "energy per line and new value, beyond C V dV", 0, 1e-6},
      {"area", &DriverParams::area, "m^2", "area of a 1-bit driver (x 2^(bits-1))", 0, 1},
  };
  return t;
}

NeuronDynamics default_neuron_dynamics() {
  NeuronDynamics d;
  d.r_out = 1449.6;
  d.c_out = 0.267e-15;
  d.c_load = 1e-15;
  d.i_supply = 18.95e-6;
  d.area = 0.1e-12;
  return d;
}

const std::vector<ParamSpec<NeuronDynamics>>& neuron_dynamics_table() {
  static const std::vector<ParamSpec<NeuronDynamics>> t = {
      {"r_out", &NeuronDynamics::r_out, "ohm", "neuron output resistance (0: none)", 0, INFINITY},
      {"c_out", &NeuronDynamics::c_out, "F", "neuron output capacitance", 0, 1e-6},
      {"c_load", &NeuronDynamics::c_load, "F", "load on the neuron output (buffer input)", 0, 1e-6},
      {"i_supply", &NeuronDynamics::i_supply, "A", "neuron supply current", 0, 1},
      {"area", &NeuronDynamics::area, "m^2", "layout area per neuron", 0, 1},
  };
  return t;
}

}  // namespace spx::devices
