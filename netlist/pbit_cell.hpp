// The s-MTJ p-bit read circuit as a Circuit (devices/pbit.hpp): the junction follows its seeded
// telegraph sequence (netlist/smtj_element.hpp) from the read supply `top` to the divider node `mid`,
// r_ref from `mid` to ground, and a comparator `out` = vdd / (1 + exp((v(mid) - v_th) / w)) loaded by
// c_out (an inverter: AP pulls `mid` low and `out` high, so AP reads as 1). v_th is the midpoint of the
// two divider levels and w a twentieth of their distance. The input current flows through the
// spin-orbit channel, a resistor r_channel driven by a current source; it sets the dwell times of the
// sequence given here and dissipates i^2 r_channel.
#pragma once

#include <string>

#include "devices/pbit.hpp"
#include "devices/smtj.hpp"
#include "netlist/circuit.hpp"

namespace spx::netlist {

/// Nodes and sources of one p-bit cell.
struct PbitCell {
  NodeId top = ground, mid = ground, out = ground, channel = ground;
  std::string read_source;  ///< element name of the read supply (its current gives the read energy)
};

/// Adds p-bit `name` to c: read supply, s-MTJ following t (linear edges of `edge` seconds), reference
/// resistor, comparator with its load, and the channel driven by `current` amperes.
PbitCell add_pbit_cell(Circuit& c, const std::string& name, const devices::PbitParams& p, const devices::Telegraph& t,
                       double current, double edge);

}  // namespace spx::netlist
