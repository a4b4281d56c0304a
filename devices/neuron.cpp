// SOT-MRAM neuron transistor models (neuron.hpp).
#include "devices/neuron.hpp"

#include <fmt/format.h>

#include "devices/units.hpp"

namespace spx::devices {

std::vector<std::string> SotNeuronParams::model_cards() const {
  return {fmt::format(".model spx_nmos nmos level=1 vto={} kp={} lambda={}", format_number(nmos_vto),
                      format_number(nmos_kp), format_number(lambda)),
          fmt::format(".model spx_pmos pmos level=1 vto={} kp={} lambda={}", format_number(pmos_vto),
                      format_number(pmos_kp), format_number(lambda))};
}

const std::vector<ParamSpec<SotNeuronParams>>& sot_neuron_table() {
  static const std::vector<ParamSpec<SotNeuronParams>> t = {
      {"v_shift", &SotNeuronParams::v_shift, "V", "level shift from the neuron input to the input MTJ", -10, 10},
      {"r_in", &SotNeuronParams::r_in, "ohm", "input MTJ, P state (0: the synapses' MTJ)", 0, 1e12},
      {"r_feedback", &SotNeuronParams::r_feedback, "ohm", "feedback MTJ, AP state (0: the synapses' MTJ)", 0, 1e12},
      {"nmos_vto", &SotNeuronParams::nmos_vto, "V", "NMOS threshold voltage", -10, 10},
      {"pmos_vto", &SotNeuronParams::pmos_vto, "V", "PMOS threshold voltage", -10, 10},
      {"nmos_kp", &SotNeuronParams::nmos_kp, "A/V^2", "NMOS transconductance parameter", 0, 1, true},
      {"pmos_kp", &SotNeuronParams::pmos_kp, "A/V^2", "PMOS transconductance parameter", 0, 1, true},
      {"lambda", &SotNeuronParams::lambda, "1/V", "channel-length modulation (both)", 0, 10},
      {"length", &SotNeuronParams::length, "m", "channel length (both)", 0, 1e-3, true},
      {"nmos_width", &SotNeuronParams::nmos_width, "m", "NMOS channel width", 0, 1e-3, true},
      {"pmos_width", &SotNeuronParams::pmos_width, "m", "PMOS channel width", 0, 1e-3, true},
  };
  return t;
}

}  // namespace spx::devices
