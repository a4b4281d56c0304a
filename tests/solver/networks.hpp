// Shared by the solver tests: random binary crossbar networks and their full native solve.
#pragma once

#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "netlist/mlp.hpp"
#include "solver/native.hpp"

namespace spx::test {

/// A network with random +-1 weights and biases, MTJ resistances, gain 10, in rows x cols tiles.
inline netlist::MlpSpec random_network(const std::vector<int>& sizes, int rows, int cols, uint32_t seed) {
  netlist::MlpSpec s;
  s.tile_rows = rows;
  s.tile_cols = cols;
  s.synapse.r_low = s.mtj.r_parallel();
  s.synapse.r_high = s.mtj.r_antiparallel();
  std::mt19937 rng(seed);
  for (size_t k = 0; k + 1 < sizes.size(); ++k) {
    netlist::LayerSpec l;
    l.inputs = sizes[k];
    l.outputs = sizes[k + 1];
    l.gain = 10;
    for (int i = 0; i < l.inputs * l.outputs; ++i) l.weights.push_back(rng() % 2 ? 1 : -1);
    for (int i = 0; i < l.outputs; ++i) l.biases.push_back(rng() % 2 ? 1 : -1);
    s.layers.push_back(l);
  }
  return s;
}

/// Output voltages of the full native .op of a built network with the inputs set to x.
inline std::vector<double> full_outputs(netlist::Circuit c, const netlist::MlpPorts& ports, const std::vector<double>& x) {
  for (size_t k = 0; k < x.size(); ++k) c.elements[ports.input_sources[k]].wave.dc = x[k];
  c.analyses = {netlist::Analysis{}};
  auto r = solver::simulate_native(c);
  REQUIRE_MESSAGE(r[0].report.ok(), r[0].report.detail);
  std::vector<double> out;
  for (auto n : ports.outputs) out.push_back(r[0].vectors.at("v(" + c.node_name(n) + ")")[0]);
  return out;
}

}  // namespace spx::test
