// Port reduction: for generated networks (loaded and virtual-ground readout, average and sum merge,
// wire resistance, bias-dependent MTJs), the reduced solve gives the full native solve's outputs; many
// images on two threads give the same numbers as one by one.
#include <doctest/doctest.h>

#include <random>

#include "netlist/mlp.hpp"
#include "solver/native.hpp"
#include "solver/port_reduction.hpp"

using namespace spx;

namespace {

netlist::MlpSpec network(std::vector<int> sizes, uint32_t seed) {
  netlist::MlpSpec s;
  s.tile_rows = 8;
  s.tile_cols = 4;
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

std::vector<double> image(int n, std::mt19937& rng) {
  std::vector<double> x(n);
  for (auto& v : x) v = rng() % 2 ? 1.0 : -1.0;
  return x;
}

}  // namespace

TEST_CASE("port-reduced solves equal full solves of generated networks") {
  for (int variant = 0; variant < 4; ++variant) {
    CAPTURE(variant);
    auto s = network({24, 10, 5}, 3 + variant);
    s.readout = variant % 2 ? netlist::Readout::virtual_ground : netlist::Readout::loaded;
    s.merge = variant >= 2 ? netlist::MergeMode::sum : netlist::MergeMode::average;
    std::mt19937 rng(7);
    netlist::Circuit c;
    auto ports = netlist::build_mlp(s, image(24, rng), c);
    solver::PortReducedNetwork red(c, ports.input_sources, ports.outputs);
    CHECK(red.ports() == 15);
    for (int img = 0; img < 5; ++img) {
      auto x = image(24, rng);
      std::vector<double> out(5);
      auto rep = red.solve(x, out);
      REQUIRE_MESSAGE(rep.ok, rep.detail);
      // The same image through the full native solve.
      netlist::Circuit full = c;
      for (size_t k = 0; k < x.size(); ++k) full.elements[ports.input_sources[k]].wave.dc = x[k];
      full.analyses = {netlist::Analysis{}};
      auto r = solver::simulate_native(full);
      REQUIRE(r[0].report.ok());
      for (size_t k = 0; k < out.size(); ++k)
        CHECK(out[k] == doctest::Approx(r[0].vectors.at("v(" + c.node_name(ports.outputs[k]) + ")")[0]).epsilon(1e-9));
    }
  }
}

TEST_CASE("bias-dependent synapses need Newton on the port system and still agree") {
  auto s = network({16, 6, 3}, 11);
  s.mtj_bias_dependence = true;
  std::mt19937 rng(5);
  netlist::Circuit c;
  auto ports = netlist::build_mlp(s, image(16, rng), c);
  solver::PortReducedNetwork red(c, ports.input_sources, ports.outputs);
  CHECK(red.ports() > 9);  // neurons plus every antiparallel synapse
  auto x = image(16, rng);
  std::vector<double> out(3);
  auto rep = red.solve(x, out);
  REQUIRE_MESSAGE(rep.ok, rep.detail);
  netlist::Circuit full = c;
  for (size_t k = 0; k < x.size(); ++k) full.elements[ports.input_sources[k]].wave.dc = x[k];
  full.analyses = {netlist::Analysis{}};
  auto r = solver::simulate_native(full);
  for (size_t k = 0; k < out.size(); ++k)
    CHECK(out[k] == doctest::Approx(r[0].vectors.at("v(" + c.node_name(ports.outputs[k]) + ")")[0]).epsilon(1e-8));
}

TEST_CASE("many images on two threads: identical to one at a time, bit for bit") {
  auto s = network({32, 12, 4}, 2);
  std::mt19937 rng(9);
  netlist::Circuit c;
  auto ports = netlist::build_mlp(s, image(32, rng), c);
  solver::PortReducedNetwork red(c, ports.input_sources, ports.outputs);
  const int n = 50;
  std::vector<double> xs;
  for (int k = 0; k < n; ++k) {
    auto x = image(32, rng);
    xs.insert(xs.end(), x.begin(), x.end());
  }
  std::vector<double> two(n * 4), one(n * 4);
  auto reps = red.solve_many(xs, two, n, 2);
  red.solve_many(xs, one, n, 1);
  CHECK(two == one);
  for (auto& r : reps) CHECK(r.ok);
}
