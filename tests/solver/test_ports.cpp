// Port reduction: for generated networks (loaded and virtual-ground readout, average and sum merge,
// wire resistance, bias-dependent MTJs), the reduced solve gives the full native solve's outputs; many
// images on two threads give the same numbers as one by one.
#include <doctest/doctest.h>

#include <random>

#include "netlist/mlp.hpp"
#include "solver/native.hpp"
#include "solver/port_reduction.hpp"
#include "tests/solver/networks.hpp"

using namespace spx;

namespace {

netlist::MlpSpec network(const std::vector<int>& sizes, uint32_t seed) { return test::random_network(sizes, 8, 4, seed); }

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
      auto full = test::full_outputs(c, ports, x);  // the same image through the full native solve
      for (size_t k = 0; k < out.size(); ++k) CHECK(out[k] == doctest::Approx(full[k]).epsilon(1e-9));
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
  auto full = test::full_outputs(c, ports, x);
  for (size_t k = 0; k < out.size(); ++k) CHECK(out[k] == doctest::Approx(full[k]).epsilon(1e-8));
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
