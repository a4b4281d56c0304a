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

}  // namespace spx::devices
