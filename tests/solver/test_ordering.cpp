// Geometric nested dissection: a valid permutation for any graph and placement (unplaced unknowns
// last), and the same operating point as minimum degree on crossbars and random placed networks.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "benches/crossbar_circuit.hpp"
#include "solver/native.hpp"
#include "solver/ordering.hpp"

using namespace spx;

namespace {

/// Largest relative difference between two solutions of the same circuit.
double largest_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double worst = 0, scale = 1e-30;
  for (double v : a) scale = std::max(scale, std::fabs(v));
  for (size_t k = 0; k < a.size(); ++k) worst = std::max(worst, std::fabs(a[k] - b[k]));
  return worst / scale;
}

std::vector<double> solve(const netlist::Circuit& c, solver::Ordering ordering, bool* used_geometric = nullptr) {
  solver::SolverOptions o;
  o.ordering = ordering;
  o.ordering_automatic = false;
  solver::NodalSystem sys(c, o);
  std::vector<double> x;
  auto rep = sys.solve({}, x);
  REQUIRE_MESSAGE(rep.ok(), rep.detail);
  if (used_geometric) *used_geometric = !sys.spd_permutation().empty();
  return x;
}

}  // namespace

TEST_CASE("geometric dissection: a permutation of every unknown, unplaced ones last") {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 20; ++trial) {
    const int32_t n = 1 + static_cast<int32_t>(rng() % 600);
    // A random lower pattern with the diagonal.
    std::vector<std::vector<int32_t>> cols(n);
    for (int32_t j = 0; j < n; ++j) cols[j].push_back(j);
    for (int32_t e = 0; e < 3 * n; ++e) {
      int32_t a = static_cast<int32_t>(rng() % n), b = static_cast<int32_t>(rng() % n);
      if (a == b) continue;
      cols[std::min(a, b)].push_back(std::max(a, b));
    }
    std::vector<int32_t> colptr{0}, rowidx;
    for (auto& c : cols) {
      std::sort(c.begin(), c.end());
      c.erase(std::unique(c.begin(), c.end()), c.end());
      rowidx.insert(rowidx.end(), c.begin(), c.end());
      colptr.push_back(static_cast<int32_t>(rowidx.size()));
    }
    solver::Places pl;
    std::uniform_real_distribution<double> u(0, 10);
    for (int32_t i = 0; i < n; ++i) {
      pl.x.push_back(trial % 3 == 0 ? 1.0 : std::round(u(rng)));  // some placements all on one line
      pl.y.push_back(std::round(u(rng)));
      pl.placed.push_back(rng() % 10 != 0);
    }
    auto perm = solver::geometric_dissection(n, colptr, rowidx, pl, 1 + static_cast<int32_t>(rng() % 32));
    REQUIRE(static_cast<int32_t>(perm.size()) == n);
    std::vector<int32_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    for (int32_t i = 0; i < n; ++i) CHECK(sorted[i] == i);
    // Unplaced unknowns come after every placed one.
    bool seen_unplaced = false;
    for (int32_t k : perm) {
      if (!pl.placed[k]) seen_unplaced = true;
      else CHECK_FALSE(seen_unplaced);
    }
  }
}

TEST_CASE("geometric dissection gives the minimum-degree operating point on crossbars") {
  for (int n : {48, 80}) {
    CAPTURE(n);
    auto c = bench::crossbar(n, 2.5, 0);
    bool geometric = false;
    auto nd = solve(c, solver::Ordering::geometric, &geometric);
    CHECK(geometric);
    auto amd = solve(c, solver::Ordering::amd);
    CHECK(largest_difference(amd, nd) < 1e-12);
  }
}

TEST_CASE("geometric dissection on a random placed resistor network equals minimum degree") {
  // Nodes on a jittered 40 x 40 grid, resistors to random near neighbours, sources on the border.
  std::mt19937 rng(11);
  netlist::Circuit c;
  const int side = 40;
  auto name = [](int i, int j) { return fmt::format("n{}_{}", i, j); };
  std::uniform_real_distribution<double> r(10, 1000);
  int count = 0;
  for (int i = 0; i < side; ++i)
    for (int j = 0; j < side; ++j)
      for (auto [di, dj] : {std::pair{0, 1}, std::pair{1, 0}, std::pair{1, 1}, std::pair{2, 1}}) {
        if (i + di >= side || j + dj >= side || rng() % 4 == 0) continue;
        auto e = netlist::make_resistor(fmt::format("r{}", count++), c.node(name(i, j)), c.node(name(i + di, j + dj)), r(rng));
        e.origin.row = i;
        e.origin.col = j;
        c.add(std::move(e));
      }
  for (int i = 0; i < side; i += 3) {
    c.add(netlist::make_vsource(fmt::format("v{}", i), c.node(name(i, 0)), netlist::ground, 0.1 * (i % 7)));
    c.add(netlist::make_resistor(fmt::format("rg{}", i), c.node(name(i, side - 1)), netlist::ground, 50));
  }
  c.analyses.push_back({});
  bool geometric = false;
  auto nd = solve(c, solver::Ordering::geometric, &geometric);
  CHECK(geometric);
  auto amd = solve(c, solver::Ordering::amd);
  CHECK(largest_difference(amd, nd) < 1e-11);
}
