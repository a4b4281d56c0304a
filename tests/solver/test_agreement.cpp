// Random linear networks (R, V, I, E, G, F, H; up to ~2,000 nodes) give the same node voltages and
// source currents on the native solver and on embedded ngspice: max relative difference <= 1e-9.
// Also a stiff-free RC transient agrees with ngspice within the backward-Euler truncation error.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "netlist/spice_reader.hpp"
#include "solver/compare.hpp"
#include "solver/native.hpp"
#include "solver/ngspice.hpp"
#include "tests/solver/both_backends.hpp"

using namespace spx;
using spx::test::run_both;

namespace {

/// A connected random network. Sources that fix a node voltage (V, E, H to ground) drive distinct
/// nodes so that no loop of voltage sources forms; gains stay below 1 in magnitude.
std::string random_network(int nodes, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto res = [&] { return 10 * std::pow(1e4, u(rng)); };  // 10 ohm .. 100 kohm, log-uniform
  std::string t = "random network " + std::to_string(nodes) + "\n";
  int id = 0;
  auto name = [&](char c) { return std::string(1, c) + std::to_string(++id); };
  auto node = [](int k) { return k == 0 ? std::string("0") : "n" + std::to_string(k); };
  // Spanning tree: node k hangs from a random earlier node (0 = ground).
  for (int k = 1; k <= nodes; ++k) t += name('r') + " " + node(k) + " " + node(pick(0, k - 1)) + " " + std::to_string(res()) + "\n";
  for (int k = 0; k < nodes; ++k) t += name('r') + " " + node(pick(1, nodes)) + " " + node(pick(0, nodes)) + " " + std::to_string(res()) + "\n";
  std::vector<int> driven;
  std::vector<std::string> vsrc;
  auto fresh = [&] {
    for (;;) {
      int k = pick(1, nodes);
      if (std::find(driven.begin(), driven.end(), k) == driven.end()) {
        driven.push_back(k);
        return k;
      }
    }
  };
  int ns = std::max(1, nodes / 50);  // V + E + H need 2.5 ns + 1 distinct driven nodes
  for (int k = 0; k < ns; ++k) {
    std::string v = name('v');
    vsrc.push_back(v);
    t += v + " " + node(fresh()) + " 0 " + std::to_string(u(rng) * 4 - 2) + "\n";
  }
  for (int k = 0; k < ns; ++k) t += name('i') + " " + node(pick(0, nodes)) + " " + node(pick(1, nodes)) + " " + std::to_string((u(rng) - 0.5) * 2e-3) + "\n";
  for (int k = 0; k < ns; ++k) t += name('e') + " " + node(fresh()) + " 0 " + node(pick(1, nodes)) + " " + node(pick(0, nodes)) + " " + std::to_string(u(rng) - 0.5) + "\n";
  for (int k = 0; k < ns; ++k) t += name('g') + " " + node(pick(0, nodes)) + " " + node(pick(1, nodes)) + " " + node(pick(1, nodes)) + " 0 " + std::to_string((u(rng) - 0.5) * 1e-5) + "\n";
  for (int k = 0; k < ns / 2 + 1; ++k) t += name('f') + " " + node(pick(0, nodes)) + " " + node(pick(1, nodes)) + " " + vsrc[pick(0, static_cast<int>(vsrc.size()) - 1)] + " " + std::to_string(u(rng) - 0.5) + "\n";
  for (int k = 0; k < ns / 2 + 1; ++k) t += name('h') + " " + node(fresh()) + " 0 " + vsrc[pick(0, static_cast<int>(vsrc.size()) - 1)] + " " + std::to_string(100 * u(rng)) + "\n";
  t += ".op\n.end\n";
  return t;
}

}  // namespace

TEST_CASE("random linear networks agree with ngspice to 1e-9") {
  struct Size {
    int nodes;
    uint32_t seed;
  } sizes[] = {{5, 1}, {20, 2}, {100, 3}, {100, 4}, {500, 5}, {1000, 6}, {2000, 7}};
  for (auto s : sizes) {
    CAPTURE(s.nodes);
    CAPTURE(s.seed);
    auto c = netlist::read_spice_text(random_network(s.nodes, s.seed), "random.cir");
    auto both = run_both(c);
    const auto& a = both.agreement;
    CHECK(a.missing == 0);
    CHECK(a.compared == both.ngspice.vectors.size());
    CHECK(a.compared == both.native.vectors.size());
    CHECK_MESSAGE(a.max_rel <= 1e-9, a.worst, " ", a.max_rel);
    MESSAGE(s.nodes, " nodes: max relative difference ", a.max_rel);
  }
}

TEST_CASE("the example crossbar agrees with ngspice to 1e-9") {
  auto c = netlist::read_spice_file(SPX_SOURCE_DIR "/examples/crossbar_32x32.cir");
  const auto a = run_both(c).agreement;
  CHECK(a.compared == static_cast<size_t>(c.node_count() - 1 + 32));  // every node and every source
  CHECK(a.max_rel <= 1e-9);
}

TEST_CASE("RC ladder transient agrees with ngspice (gear) within the step's truncation error") {
  const char* text = R"(rc ladder
.options method=gear
V1 in 0 PULSE(0 1 10n 1n 1n 200n 400n)
R1 in a 1k
C1 a 0 10p
R2 a b 1k
C2 b 0 10p
R3 b c 2k
C3 c 0 5p
.tran 0.2n 300n
.end
)";
  auto c = netlist::read_spice_text(text, "rc.cir");
  auto both = run_both(c);
  const auto& a = both.agreement;
  CHECK(a.compared == both.ngspice.vectors.size());
  // Backward Euler with h = 0.2 ns on tau >= 10 ns: error about h/(2 tau) of the swing at most.
  CHECK_MESSAGE(a.max_rel <= 1e-2, a.worst, " ", a.max_rel);
  CHECK(both.native.scale.back() == doctest::Approx(300e-9));
}
