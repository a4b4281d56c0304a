// Difference amplifier parameters (amplifier.hpp).
#include "devices/amplifier.hpp"

#include <cmath>

namespace spx::devices {

const std::vector<ParamSpec<AmplifierParams>>& amplifier_table() {
  static const std::vector<ParamSpec<AmplifierParams>> t = {
      {"gain", &AmplifierParams::gain, "", "closed-loop gain R3/R1", 0, 1e6, true},
      {"r_in", &AmplifierParams::r_in, "ohm", "input resistors R1 = R2", 0, INFINITY, true},
      {"open_loop_gain", &AmplifierParams::open_loop_gain, "", "op-amp open-loop gain", 1, INFINITY},
      {"merge_r", &AmplifierParams::merge_r, "ohm", "resistor tying partition outputs (average merge)", 0, INFINITY, true},
  };
  return t;
}

}  // namespace spx::devices
