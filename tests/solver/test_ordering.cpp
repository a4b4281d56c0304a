// Geometric nested dissection: a valid permutation for any graph and placement (unplaced unknowns
// last), and the same operating point as minimum degree on crossbars and random placed networks.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <tuple>

#include "benches/crossbar_circuit.hpp"
#include "netlist/spice_reader.hpp"
#include "netlist/spice_writer.hpp"
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

TEST_CASE("cell positions survive a written netlist, so a crossbar read from text is ordered by them") {
  auto c = bench::crossbar(48, 2.5, 0);
  c.analyses = {netlist::Analysis{}};
  const std::string text = netlist::write_spice(c).text;
  auto r = netlist::read_spice_text(text, "x.cir");
  REQUIRE(r.elements.size() == c.elements.size());
  for (size_t i = 0; i < c.elements.size(); ++i) {
    const auto &a = c.elements[i].origin, &b = r.elements[i].origin;
    REQUIRE(std::tie(a.layer, a.tile_row, a.tile_col, a.row, a.col) == std::tie(b.layer, b.tile_row, b.tile_col, b.row, b.col));
  }
  solver::NodalSystem from_text(r);
  REQUIRE(from_text.method() == solver::Method::cholesky);
  CHECK(!from_text.spd_permutation().empty());
  // The same netlist without the position comments: minimum degree, the same operating point.
  std::string bare;
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    std::string line = text.substr(at, end - at);
    if (auto p = line.find(" $ @"); p != std::string::npos) line.resize(p);
    bare += line + "\n";
    at = end + 1;
  }
  auto plain = netlist::read_spice_text(bare, "y.cir");
  CHECK(solver::NodalSystem(plain).spd_permutation().empty());
  auto a = solver::simulate_native(r), b = solver::simulate_native(plain);
  REQUIRE(a[0].report.ok());
  REQUIRE(b[0].report.ok());
  double worst = 0, peak = 0;
  for (const auto& [name, v] : b[0].vectors) {
    worst = std::max(worst, std::fabs(a[0].vectors.at(name)[0] - v[0]));
    peak = std::max(peak, std::fabs(v[0]));
  }
  CHECK(worst <= 1e-12 * peak);
}

TEST_CASE("position comments: only the exact form is taken, anything else is an ordinary comment") {
  auto c = netlist::read_spice_text(
      "t\nV1 a 0 1\nR1 a b 1k $ @0,1,2,3,4\nR2 b 0 1k $ @1,2,3\nR3 b c 1k $ @1,2,3,4,5 more\n"
      "R4 c 0 1k $ @99999,0,0,1,1\nR5 c d 1k $@0,0,0,1,1\nR6 d 0 1k ; @0,0,0,2,2\n.op\n",
      "p.cir");
  auto origin = [&](const char* name) { return c.elements[*c.find_element(name)].origin; };
  CHECK(origin("r1").layer == 0);
  CHECK(origin("r1").tile_row == 1);
  CHECK(origin("r1").tile_col == 2);
  CHECK(origin("r1").row == 3);
  CHECK(origin("r1").col == 4);
  for (const char* n : {"r2", "r3", "r4", "r5", "r6"}) {
    CAPTURE(n);
    CHECK(origin(n).row == -1);
    CHECK(origin(n).col == -1);
  }
  CHECK(c.elements[*c.find_element("r3")].value == 1000);
}
