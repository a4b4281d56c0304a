// Crossbar MLP generator: partition plans and element counts against formulas.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "devices/error.hpp"
#include "netlist/mlp.hpp"

using namespace spx::netlist;

namespace {

MlpSpec network(std::vector<int> sizes, int rows = 32, int cols = 32) {
  MlpSpec s;
  s.tile_rows = rows;
  s.tile_cols = cols;
  s.synapse.r_low = 5e3;
  s.synapse.r_high = 15e3;
  for (size_t k = 0; k + 1 < sizes.size(); ++k) {
    LayerSpec l;
    l.inputs = sizes[k];
    l.outputs = sizes[k + 1];
    l.weights.assign(static_cast<size_t>(l.inputs) * l.outputs, 1);
    for (size_t i = 0; i < l.weights.size(); i += 3) l.weights[i] = -1;
    l.biases.assign(l.outputs, -1);
    s.layers.push_back(l);
  }
  return s;
}

std::map<std::pair<int, Role>, int> count_roles(const Circuit& c) {
  std::map<std::pair<int, Role>, int> n;
  for (const auto& e : c.elements) ++n[{e.origin.layer, e.origin.role}];
  return n;
}

}  // namespace

TEST_CASE("even split and the IMAC partition plan of 400-120-84-10 in 32x32 tiles") {
  CHECK(even_split(401, 13) == std::vector<int>{31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 30, 30});
  auto plan = plan_partitions(network({400, 120, 84, 10}));
  REQUIRE(plan.size() == 3);
  std::vector<size_t> hpar, vpar;
  for (auto& p : plan) {
    hpar.push_back(p.h_sizes.size());
    vpar.push_back(p.v_sizes.size());
  }
  CHECK(hpar == std::vector<size_t>{13, 4, 3});
  CHECK(vpar == std::vector<size_t>{4, 3, 1});
  CHECK(plan[0].v_sizes == std::vector<int>{30, 30, 30, 30});
  CHECK(plan[1].v_sizes == std::vector<int>{28, 28, 28});
}

TEST_CASE("IMAC-Sim's partition rule: layer widths of 400-120-84-10 in 32-row tiles") {
  // Its generator cuts partition k after line floor(n k / h + min((n mod h) / k, 1)).
  CHECK(imac_split(401, 13) == std::vector<int>{31, 31, 31, 31, 31, 31, 30, 31, 31, 31, 31, 31, 30});
  CHECK(imac_split(121, 4) == std::vector<int>{31, 30, 30, 30});
  CHECK(imac_split(85, 3) == std::vector<int>{29, 28, 28});
  CHECK(imac_split(17, 5) == std::vector<int>{4, 3, 3, 4, 3});
  CHECK(imac_split(10, 1) == std::vector<int>{10});
  // Neurons: 33 in 2 groups of up to 32 gives 17 + 16.
  CHECK(imac_split(33, 2) == std::vector<int>{17, 16});
  // With h = ceil(n / rows) groups no group outgrows the tile: the first ends by n / h + 1 <= rows.
  for (int n = 2; n <= 600; ++n)
    for (int rows : {2, 3, 4, 16, 32, 64}) {
      const auto sizes = imac_split(n, (n + rows - 1) / rows);
      CHECK(std::accumulate(sizes.begin(), sizes.end(), 0) == n);
      CHECK(*std::max_element(sizes.begin(), sizes.end()) <= rows);
      CHECK(*std::min_element(sizes.begin(), sizes.end()) >= 1);
    }
}

TEST_CASE("IMAC-Sim's partitioned tiles: element counts per kind and role and every resistor value") {
  // Its partitioned generator (per-neuron 32-row tiles, padded, a zero-weight bias pair in every tile
  // but the last, tiles summed by stacked sources, R1..R4 and one E per amplifier, 500 fF loads),
  // counted tile by tile from its netlist-writing rules: per tile, 32 input cells (own and pads) and
  // the bias cell, two MTJs each; 33 input-line segments (one per cell line) and 33 segments on each
  // of I+ and I-; the amplifier with its load capacitor; one stacked source per tile.
  MlpSpec s = network({400, 120, 84, 10}, 32, 1);
  s.split = SplitRule::imac;
  s.pad_tiles = true;
  s.tile_bias = true;
  s.merge = MergeMode::sum;
  s.amplifier.gbw = 0;
  s.amplifier.c_load = 500e-15;
  s.neuron.dyn.c_load = 500e-15;
  Circuit c;
  build_mlp(s, std::vector<double>(400, 0.5), c);
  auto n = count_roles(c);
  const int hpar[] = {13, 4, 3}, outs[] = {120, 84, 10}, ins[] = {400, 120, 84};
  for (int l = 1; l <= 3; ++l) {
    const int tiles = hpar[l - 1] * outs[l - 1];
    CAPTURE(l);
    CHECK(n[{l, Role::synapse}] == tiles * 2 * 32);
    CHECK(n[{l, Role::bias}] == tiles * 2);
    CHECK(n[{l, Role::wire}] == tiles * 3 * 33);
    CHECK(n[{l, Role::amplifier}] == tiles * 6);
    CHECK(n[{l, Role::merge}] == tiles);
    CHECK(n[{l, Role::neuron}] == 2 * outs[l - 1]);
  }
  // Kinds: every synapse, bias, wire and amplifier resistor; one E per amplifier and per stacked
  // source; the 500 fF capacitors; a behavioral neuron each.
  std::map<ElementKind, int> kinds;
  for (const auto& e : c.elements) ++kinds[e.kind];
  int tiles = 0, resistors = 0, neurons = 0;
  for (int l = 0; l < 3; ++l) {
    tiles += hpar[l] * outs[l];
    neurons += outs[l];
  }
  resistors = tiles * (66 + 99 + 4);
  CHECK(kinds[ElementKind::resistor] == resistors);
  CHECK(kinds[ElementKind::vcvs] == 2 * tiles);
  CHECK(kinds[ElementKind::capacitor] == tiles + neurons);
  CHECK(kinds[ElementKind::behavioral_v] == neurons);
  CHECK(kinds[ElementKind::vsource] == 400 + 1);

  // Values: MTJs are R_low or R_high, an R_high for each of the +-1 weights and biases; pads and the
  // zero bias pairs are R_low; pad cells hang from their grounded line to ground.
  const NodeId gnd = ground;
  int high = 0, low = 0, to_ground = 0, from_vdd_pairs = 0;
  for (const auto& e : c.elements) {
    if (e.origin.role != Role::synapse && e.origin.role != Role::bias) continue;
    REQUIRE(e.kind == ElementKind::resistor);
    if (e.value == s.synapse.r_high) ++high;
    else if (e.value == s.synapse.r_low) ++low;
    else FAIL("MTJ " << e.name << " of " << e.value << " ohm");
    if (e.b == gnd) ++to_ground;
    if (e.origin.role == Role::bias && e.origin.row > ins[e.origin.layer - 1]) ++from_vdd_pairs;
  }
  int cells = 0, pads = 0, pairs = 0;
  const std::vector<std::vector<int>> widths = {imac_split(401, 13), imac_split(121, 4), imac_split(85, 3)};
  for (int l = 0; l < 3; ++l) {
    cells += (ins[l] + 1) * outs[l];
    for (size_t h = 0; h < widths[l].size(); ++h)
      pads += outs[l] * (32 - widths[l][h] + (h + 1 == widths[l].size() ? 1 : 0));
    pairs += (hpar[l] - 1) * outs[l];
  }
  CHECK(high == cells);
  CHECK(low == 2 * tiles * 33 - cells);
  CHECK(to_ground == 2 * pads);
  CHECK(from_vdd_pairs == 2 * pairs);
  // Wire segments: IMAC-Sim's rho (l0 = 39 nm, p = 0.25, R = 0.3, grain = width) over a 27 nm x 22 nm
  // wire, 108 nm per input-line segment and 135 nm per I+/I- segment.
  const double w = 27e-9, t = 22e-9, l0 = 39e-9, alpha = l0 * 0.3 / (w * 0.7);
  const double rho = 1.9e-8 * (0.75 * 0.75 * l0 / w +
                               1 / (1 - 1.5 * alpha + 3 * alpha * alpha - 3 * std::pow(alpha, 3) * std::log(1 + 1 / alpha)));
  const double r_vertical = rho * 108e-9 / (w * t), r_horizontal = rho * 135e-9 / (w * t);
  int vertical = 0, horizontal = 0;
  for (const auto& e : c.elements) {
    if (e.origin.role != Role::wire) continue;
    const bool in_line = e.name.find("_wx_") != std::string::npos;
    CHECK(e.value == doctest::Approx(in_line ? r_vertical : r_horizontal).epsilon(1e-12));
    ++(in_line ? vertical : horizontal);
  }
  CHECK(vertical == tiles * 33);
  CHECK(horizontal == tiles * 66);
  // Amplifier resistors: R1 = R2 = 1 kohm, R3 = R4 = gain kohm.
  for (const auto& e : c.elements)
    if (e.origin.role == Role::amplifier && e.kind == ElementKind::resistor) {
      const bool feedback = e.name.find("_a3_") != std::string::npos || e.name.find("_a4_") != std::string::npos;
      CHECK(e.value == (feedback ? 30e3 : 1e3));
    }
}

TEST_CASE("element counts of 400-120-84-10 follow from the topology") {
  MlpSpec s = network({400, 120, 84, 10});
  Circuit c;
  auto ports = build_mlp(s, std::vector<double>(400, 0.5), c);
  auto n = count_roles(c);
  // Layer 1: 400 x 120 synapse pairs, 120 bias pairs.
  CHECK(n[{1, Role::synapse}] == 2 * 48000);
  CHECK(n[{1, Role::bias}] == 2 * 120);
  // Wires: every line crosses every neuron (401 x 120 input segments) and both I+/I- lines run
  // through every line (2 x 120 x 401 segments).
  CHECK(n[{1, Role::wire}] == 401 * 120 + 2 * 120 * 401);
  // 13 h-partitions x 120 amplifiers, each 4 resistors, the op-amp (G stage, R_c, C_c, output E) and
  // the load capacitor; one merge resistor each.
  CHECK(n[{1, Role::amplifier}] == 13 * 120 * 9);
  CHECK(n[{1, Role::merge}] == 13 * 120);
  CHECK(n[{1, Role::neuron}] == 120);
  CHECK(n[{2, Role::synapse}] == 2 * 120 * 84);
  CHECK(n[{2, Role::amplifier}] == 4 * 84 * 9);
  CHECK(n[{3, Role::amplifier}] == 3 * 10 * 9);
  CHECK(n[{3, Role::neuron}] == 10);
  CHECK(ports.outputs.size() == 10);
  CHECK(ports.input_sources.size() == 400);
  // Input lines are driven afresh in each of the 4 v-partitions: 4 segments start at each source.
  int from_in0 = 0;
  NodeId in0 = *c.find_node("in_0");
  for (const auto& e : c.elements)
    if (e.origin.role == Role::wire && e.a == in0) ++from_in0;
  CHECK(from_in0 == 4);
  // The bias line is driven from VDD in every v-partition of every layer: 4 + 3 + 1.
  int from_vdd = 0;
  for (const auto& e : c.elements)
    if (e.origin.role == Role::wire && e.a == *c.find_node("vdd")) ++from_vdd;
  CHECK(from_vdd == 8);
}

TEST_CASE("capacitances, readout and merge variants change the element mix as expected") {
  MlpSpec s = network({16, 8, 4}, 4, 4);
  Circuit plain;
  build_mlp(s, std::vector<double>(16, 0.1), plain);
  s.wire_c = true;
  Circuit with_c;
  build_mlp(s, std::vector<double>(16, 0.1), with_c);
  size_t caps = 0;
  for (auto& e : with_c.elements) caps += e.kind == ElementKind::capacitor && e.origin.role == Role::wire;
  // The synapse MTJs' capacitances come with the wire capacitances (mtj_c follows interconnect.capacitance
  // in configurations; here it is off).
  // One capacitor per wire segment: layer 1 has 17x8 + 2x8x17, layer 2 9x4 + 2x4x9.
  CHECK(caps == 17 * 8 + 2 * 8 * 17 + 9 * 4 + 2 * 4 * 9);
  CHECK(with_c.elements.size() == plain.elements.size() + caps);
  s.explicit_coupling = true;
  Circuit coupled;
  build_mlp(s, std::vector<double>(16, 0.1), coupled);
  size_t between = 0, to_ground = 0;
  for (auto& e : coupled.elements)
    if (e.kind == ElementKind::capacitor && e.origin.role == Role::wire) (e.b == ground ? to_ground : between) += 1;
  // Same ground capacitors; plus one coupling per pair of neighbouring input lines per crossing
  // (16 x 8 and 8 x 4) and one per I+/I- segment pair (8 x 17 and 4 x 9).
  CHECK(to_ground == caps);
  CHECK(between == 16 * 8 + 8 * 4 + 8 * 17 + 4 * 9);
  s.explicit_coupling = false;
  s.wire_c = false;
  s.merge = MergeMode::sum;
  s.readout = Readout::virtual_ground;
  Circuit vg;
  build_mlp(s, std::vector<double>(16, 0.1), vg);
  size_t sense = 0, ccvs = 0, sum = 0;
  for (auto& e : vg.elements) {
    sense += e.kind == ElementKind::vsource && e.origin.role == Role::amplifier;
    ccvs += e.kind == ElementKind::ccvs;
    sum += e.kind == ElementKind::vcvs && e.origin.role == Role::merge;
  }
  // Layer 1: 5 h-partitions x 8 neurons, layer 2: 3 x 4.
  CHECK(sense == 2 * (5 * 8 + 3 * 4));
  CHECK(ccvs == 2 * (5 * 8 + 3 * 4));
  CHECK(sum == 5 * 8 + 3 * 4);
}

TEST_CASE("names and origins are deterministic and descriptive") {
  MlpSpec s = network({16, 8, 4}, 4, 4);
  Circuit a, b;
  build_mlp(s, std::vector<double>(16, 0.1), a);
  build_mlp(s, std::vector<double>(16, 0.1), b);
  CHECK(a == b);
  auto id = a.find_element("r_l1_sp_3_5");
  REQUIRE(id);
  CHECK(a.describe(*id) == "layer 1, tile (0,1), cell (3,5), synapse r_l1_sp_3_5");
}

TEST_CASE("spec errors name the field") {
  MlpSpec s = network({16, 8, 4}, 4, 4);
  s.tile_rows = 1;
  CHECK_THROWS_WITH_AS(validate(s), "partition.tile: must be >= 2 rows, got 1", spx::InputError);
  s = network({16, 8, 4}, 4, 4);
  s.layers[1].inputs = 9;
  CHECK_THROWS_WITH_AS(validate(s), "layer 2: has 9 inputs but layer 1 has 8 neurons", spx::InputError);
  s = network({16, 8, 4}, 4, 4);
  s.layers[0].weights[5] = 0;  // binary weights have no 0
  CHECK_THROWS_WITH_AS(validate(s), "layer 1: weight 5 has level 0, outside the 2 levels", spx::InputError);
  s = network({16, 8, 4}, 4, 4);
  Circuit c;
  CHECK_THROWS_WITH_AS(build_mlp(s, {0.1, 0.2}, c), "inputs: network has 16 inputs, got 2 values", spx::InputError);
}
