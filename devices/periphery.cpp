// Periphery parameters (periphery.hpp).
#include "devices/periphery.hpp"

namespace spx::devices {

const std::vector<ParamSpec<DriverParams>>& driver_table() {
  static const std::vector<ParamSpec<DriverParams>> t = {
      {"r_out", &DriverParams::r_out, "ohm", "line driver output resistance (0: ideal)", 0, 1e12},
      {"e_transition", &DriverParams::e_transition, "J", "energy per line and new value, beyond C V dV", 0, 1e-6},
      {"i_static", &DriverParams::i_static, "A", "driver bias current from vdd", 0, 1},
      {"area", &DriverParams::area, "m^2", "layout area per driver", 0, 1},
  };
  return t;
}

const std::vector<ParamSpec<NeuronDynamics>>& neuron_dynamics_table() {
  static const std::vector<ParamSpec<NeuronDynamics>> t = {
      {"r_out", &NeuronDynamics::r_out, "ohm", "neuron output resistance (0: none)", 0, 1e12},
      {"c_out", &NeuronDynamics::c_out, "F", "neuron output capacitance", 0, 1e-6},
      {"c_load", &NeuronDynamics::c_load, "F", "load on the neuron output (buffer input)", 0, 1e-6},
      {"i_supply", &NeuronDynamics::i_supply, "A", "neuron supply current", 0, 1},
      {"area", &NeuronDynamics::area, "m^2", "layout area per neuron", 0, 1},
  };
  return t;
}

}  // namespace spx::devices
