// Crossbar MLP generator: partition plans and element counts against formulas.
#include <doctest/doctest.h>

#include <map>

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
