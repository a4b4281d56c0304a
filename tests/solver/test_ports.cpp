// Port reduction: for generated networks (loaded and virtual-ground readout, average and sum merge,
// wire resistance, bias-dependent MTJs), the reduced solve gives the full native solve's outputs; many
// images on two threads give the same numbers as one by one.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "devices/error.hpp"
#include "netlist/mlp.hpp"
#include "netlist/spice_reader.hpp"
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

TEST_CASE("islands: grounded sources split the circuit, their currents add up, results equal the full solve") {
  // Input vin1 feeds two parts (its current is the sum of both); vdd is a constant held node; the
  // port b1 holds p1 from v(a) and feeds a third part with a behavioural current source; a
  // current-controlled source reads a floating sensing source, and another a grounded one (which
  // therefore holds no node apart); a chain of them reads a control defined after it.
  const char* text = R"(islands
vin1 in1 0 1
vin2 in2 0 0.5
vdd vdd 0 2
r1 in1 a 1k
r2 a vdd 2k
r3 a in2 3k
r4 in1 b 500
r5 b p1 1k
r6 b 0 4k
b1 p1 0 v={0.5*v(a) + 0.1*v(b)*v(b)}
r7 p1 c 2k
r8 c 0 1k
b2 c 0 i={1e-4*v(b)}
vsense c d 0
r9 d 0 5k
f1 0 e vsense 2
r10 e 0 1k
vctl g 0 0.3
r11 g vdd 1k
f2 0 h vctl 1
r12 h 0 2k
h1 k2 0 vs2 100
f3 0 m h1 1
r14 m 0 1k
r15 k2 k3 1k
r16 k3 0 1k
vs2 p1 q 0
r17 q 0 2k
.op
.end
)";
  const auto c = netlist::read_spice_text(text, "islands.cir");
  auto id = [&](const char* n) { return *c.find_element(n); };
  auto node = [&](const char* n) { return *c.find_node(n); };
  const std::vector<netlist::ElementId> inputs{id("vin1"), id("vin2")};
  const std::vector<netlist::NodeId> outs{node("a"), node("b"), node("p1"), node("c"), node("e"), node("h"), node("vdd"), node("in2"), node("m"), node("k3"), node("q")};
  const std::vector<netlist::ElementId> currents{id("vin1"), id("vin2"), id("vdd"), id("b1"), id("vsense"), id("vctl"), id("vs2"), id("h1")};
  solver::PortReducedNetwork one(c, inputs, outs, currents, 1), two(c, inputs, outs, currents, 2);
  CHECK(one.islands() >= 3);
  CHECK_THROWS_WITH_AS(solver::PortReducedNetwork(c, {id("vin1"), id("vin1")}, outs), "port reduction: input 'vin1' is given twice",
                       spx::InputError);
  std::mt19937 rng(4);
  std::uniform_real_distribution<double> u(-1, 1);
  for (int k = 0; k < 4; ++k) {
    const std::vector<double> x{u(rng), u(rng)};
    std::vector<double> r1(outs.size() + currents.size()), r2(r1.size());
    REQUIRE(one.solve(x, r1).ok);
    REQUIRE(two.solve(x, r2).ok);
    CHECK(r1 == r2);  // built on one or two threads: the same bits
    netlist::Circuit full = c;
    full.elements[inputs[0]].wave.dc = x[0];
    full.elements[inputs[1]].wave.dc = x[1];
    auto res = solver::simulate_native(full);
    REQUIRE(!res.empty());
    size_t j = 0;
    for (auto n : outs) {
      CAPTURE(c.node_name(n));
      CHECK(r1[j++] == doctest::Approx(res[0].vectors.at("v(" + c.node_name(n) + ")")[0]).epsilon(1e-10));
    }
    for (auto e : currents) {
      CAPTURE(c.elements[e].name);
      const double ref = res[0].vectors.at("i(" + c.elements[e].name + ")")[0];
      const double diff = r1[j++] - ref;
      CAPTURE(diff);
      CHECK(std::fabs(diff) <= 1e-9 * std::fabs(ref) + 1e-15);
    }
  }
}
