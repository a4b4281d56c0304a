// The benchmark crossbar: N rows driven by voltage sources at their left ends (DC 0.1 V times -1, 0 or
// +1 by row, or a pulse), 2.5 ohm-class wire segments along rows and columns, an MTJ at every crossing
// (R_P or R_AP from a seeded stream), every column ending in a 0 V source whose current is the column
// current, and optionally a capacitance from every wire node to ground.
#pragma once

#include <fmt/format.h>

#include "devices/mtj.hpp"
#include "devices/random.hpp"
#include "netlist/circuit.hpp"

namespace spx::bench {

/// N x N crossbar with `segment` ohm wires and `cap` farad per wire node (0: none). With pulse, the
/// row sources step from 0 to their value at 1 ns in 0.1 ns.
inline netlist::Circuit crossbar(int n, double segment, double cap, bool pulse = false) {
  netlist::Circuit c;
  c.title = fmt::format("crossbar {}x{}", n, n);
  devices::MtjParams mtj;
  auto node = [&](char kind, int r, int col) { return c.node(fmt::format("{}{}_{}", kind, r, col)); };
  // Every cell's elements carry its position, as the network generator's do (orderings use it).
  auto at = [](netlist::Element e, int r, int col) {
    e.origin.row = r;
    e.origin.col = col;
    return e;
  };
  auto cap_to_ground = [&](netlist::NodeId x, const std::string& name, int r, int col) {
    if (cap > 0) c.add(at(netlist::make_capacitor(name, x, netlist::ground, cap), r, col));
  };
  for (int r = 0; r < n; ++r) {
    double v = 0.1 * ((r % 3) - 1);
    auto src = netlist::make_vsource(fmt::format("vin{}", r), c.node(fmt::format("in{}", r)), netlist::ground, v);
    if (pulse) src.wave = devices::Waveform{devices::WaveKind::pulse, 0, false, {0, v, 1e-9, 0.1e-9, 0.1e-9, 1, 2}};
    c.add(std::move(src));
    netlist::NodeId prev = *c.find_node(fmt::format("in{}", r));
    for (int col = 0; col < n; ++col) {
      netlist::NodeId x = node('r', r, col);
      c.add(at(netlist::make_resistor(fmt::format("rw{}_{}", r, col), prev, x, segment), r, col));
      cap_to_ground(x, fmt::format("cr{}_{}", r, col), r, col);
      devices::CellRng rng(1, 0, r, col, devices::Purpose::other);
      double rm = rng.uniform() < 0.5 ? mtj.r_parallel() : mtj.r_antiparallel();
      c.add(at(netlist::make_resistor(fmt::format("rm{}_{}", r, col), x, node('c', r, col), rm), r, col));
      cap_to_ground(node('c', r, col), fmt::format("cc{}_{}", r, col), r, col);
      prev = x;
    }
  }
  for (int col = 0; col < n; ++col) {
    for (int r = 0; r + 1 < n; ++r)
      c.add(at(netlist::make_resistor(fmt::format("rc{}_{}", r, col), node('c', r, col), node('c', r + 1, col), segment), r, col));
    netlist::NodeId end = c.node(fmt::format("out{}", col));
    c.add(at(netlist::make_resistor(fmt::format("rc{}_{}", n - 1, col), node('c', n - 1, col), end, segment), n - 1, col));
    c.add(netlist::make_vsource(fmt::format("vout{}", col), end, netlist::ground, 0));
  }
  c.analyses.push_back({});
  return c;
}

}  // namespace spx::bench
