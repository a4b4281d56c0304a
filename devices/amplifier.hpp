// Difference amplifier that turns an I+/I- line pair into a neuron input: the four-resistor op-amp
// stage R1 (in- to n1), R2 (in+ to n2), R3 (n1 to out), R4 (n2 to ground) with R3/R1 = R4/R2 = g, and
// an op-amp of finite open-loop gain A modelled as a VCVS out = A (v(n2) - v(n1)). Solving the two
// node equations gives
//   out = g (v+ - v-) * A / (A + 1 + g),
// which tends to g (v+ - v-) as A grows. The ideal alternative is one VCVS out = g (v+ - v-), which
// does not load the lines.
#pragma once

#include <vector>

#include "devices/params.hpp"

namespace spx::devices {

/// Difference amplifier parameters.
struct AmplifierParams {
  double gain = 30;             ///< closed-loop gain g = R3/R1
  double r_in = 1e3;            ///< ohm, R1 = R2
  double open_loop_gain = 1e6;  ///< A of the op-amp VCVS
  double merge_r = 1e-3;        ///< ohm, resistor tying partition outputs together (average merge)

  /// Closed-loop differential gain with the finite op-amp: g A / (A + 1 + g).
  double effective_gain() const { return gain * open_loop_gain / (open_loop_gain + 1 + gain); }
};

/// Parameter table of AmplifierParams (config section "amplifier").
const std::vector<ParamSpec<AmplifierParams>>& amplifier_table();

}  // namespace spx::devices
