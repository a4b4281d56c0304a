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
      {"gbw", &AmplifierParams::gbw, "Hz", "op-amp gain-bandwidth product (0: no pole)", 0, INFINITY},
      {"slew_rate", &AmplifierParams::slew_rate, "V/s", "op-amp slew rate (0: no limit)", 0, INFINITY},
      {"r_out", &AmplifierParams::r_out, "ohm", "op-amp output resistance", 0, INFINITY},
      {"c_load", &AmplifierParams::c_load, "F", "load capacitance on each amplifier output", 0, 1e-6},
      {"i_quiescent", &AmplifierParams::i_quiescent, "A", "quiescent supply current per amplifier", 0, 1},
      {"supply", &AmplifierParams::supply, "V", "op-amp rails at +-supply", 0, 100, true},
      {"area", &AmplifierParams::area, "m^2", "layout area per amplifier", 0, 1},
  };
  return t;
}

}  // namespace spx::devices
