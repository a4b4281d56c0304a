// Quasi-static interconnect reduction (solver/interconnect.hpp): exact at DC, the transient within a
// small fraction of the swing, the error bound's refusal, and names kept.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "netlist/mlp.hpp"
#include "solver/interconnect.hpp"
#include "solver/native.hpp"
#include "tests/solver/networks.hpp"

using namespace spx;

namespace {

/// A 62-32-4 network in 32x32 tiles with wire R and C; inputs step from 0 at 20 ps.
netlist::Circuit network(netlist::MlpPorts& ports, double tstep, double tstop) {
  netlist::MlpSpec s = test::random_network({62, 32, 4}, 32, 32, 11);
  s.wire_c = true;
  std::mt19937 rng(3);
  std::vector<double> x(62);
  for (auto& v : x) v = rng() % 2 ? 1.0 : -1.0;
  netlist::Circuit c;
  ports = netlist::build_mlp(s, x, c);
  for (auto id : ports.input_sources) {
    auto& e = c.elements[id];
    e.wave = devices::Waveform{devices::WaveKind::pulse, 0, false, {0, e.wave.dc, 20e-12, 10e-12, 10e-12, 1, 2}};
  }
  netlist::Analysis a;
  a.kind = netlist::AnalysisKind::tran;
  a.tstep = tstep;
  a.tmax = tstep;
  a.tstop = tstop;
  c.analyses = {a};
  return c;
}

std::vector<netlist::NodeId> outputs(const netlist::MlpPorts& ports) {
  std::vector<netlist::NodeId> k = ports.outputs;
  for (const auto& l : ports.layer_z) k.insert(k.end(), l.begin(), l.end());
  return k;
}

}  // namespace

TEST_CASE("interconnect reduction: the operating point exactly, the transient within 1e-4 of the swing") {
  netlist::MlpPorts ports;
  const double h = 10e-12;
  auto c = network(ports, h, 2e-9);
  const auto keep = outputs(ports);
  auto red = solver::reduce_interconnect(c, keep, h);
  REQUIRE(red.reduced > 0);
  CHECK(red.nodes_eliminated > c.node_count() / 2);
  CHECK(red.tau > 0);
  CHECK(red.tau <= 0.25 * h);
  MESSAGE("reduced ", red.reduced, " parts (", red.nodes_eliminated, " of ", c.node_count() - 1, " nodes), tau ", red.tau,
          " s; ", c.elements.size(), " -> ", red.circuit.elements.size(), " elements");
  // Kept elements and nodes keep their names.
  for (size_t i = 0; i < c.elements.size(); ++i)
    if (red.element[i] >= 0) REQUIRE(red.circuit.elements[red.element[i]].name == c.elements[i].name);
  for (auto id : ports.input_sources) REQUIRE(red.element[id] >= 0);
  for (auto n : keep) REQUIRE(red.node[n] >= 0);

  auto full = solver::simulate_native(c);
  auto fast = solver::simulate_native(red.circuit);
  REQUIRE(full[0].report.ok());
  REQUIRE(fast[0].report.ok());
  REQUIRE(full[0].scale == fast[0].scale);
  double first = 0, worst = 0, swing = 0;
  for (auto n : keep) {
    const auto& a = full[0].vectors.at("v(" + c.node_name(n) + ")");
    const auto& b = fast[0].vectors.at("v(" + c.node_name(n) + ")");
    first = std::max(first, std::fabs(a[0] - b[0]) / std::max(1.0, std::fabs(a[0])));  // the operating point
    for (size_t k = 0; k < a.size(); ++k) {
      worst = std::max(worst, std::fabs(a[k] - b[k]));
      swing = std::max(swing, std::fabs(a[k] - a[0]));
    }
  }
  // The input sources' currents (the arrays' supply) too.
  double current = 0, peak = 0;
  for (auto id : ports.input_sources) {
    const auto& a = full[0].vectors.at("i(" + c.elements[id].name + ")");
    const auto& b = fast[0].vectors.at("i(" + c.elements[id].name + ")");
    for (size_t k = 0; k < a.size(); ++k) {
      current = std::max(current, std::fabs(a[k] - b[k]));
      peak = std::max(peak, std::fabs(a[k]));
    }
  }
  MESSAGE("operating point ", first, ", waveforms ", worst, " V of a ", swing, " V swing, source currents ", current / peak,
          " of the peak");
  CHECK(first < 1e-12);
  CHECK(swing > 0.1);
  CHECK(worst < 1e-4 * swing);
  CHECK(current < 1e-2 * peak);
}

TEST_CASE("interconnect reduction: refused where the wires are slow for the step; resistive parts at DC") {
  netlist::MlpPorts ports;
  auto c = network(ports, 1e-12, 0.1e-9);
  // Steps far shorter than the wires' time constant: nothing qualifies.
  auto none = solver::reduce_interconnect(c, outputs(ports), 1e-15);
  CHECK(none.reduced == 0);
  CHECK(none.kept > 0);
  CHECK(none.circuit.elements.size() == c.elements.size());
  // Without capacitors the model is the exact Schur complement: any step qualifies.
  netlist::MlpSpec s = test::random_network({62, 32, 4}, 32, 32, 11);
  netlist::Circuit r;
  std::vector<double> x(62, 0.5);
  auto p = netlist::build_mlp(s, x, r);
  r.analyses = {netlist::Analysis{}};
  auto red = solver::reduce_interconnect(r, outputs(p), 1e-15);
  CHECK(red.reduced > 0);
  CHECK(red.tau == 0);
  auto a = solver::simulate_native(r), b = solver::simulate_native(red.circuit);
  REQUIRE(a[0].report.ok());
  REQUIRE(b[0].report.ok());
  for (auto n : p.outputs) {
    const std::string v = "v(" + r.node_name(n) + ")";
    CHECK(b[0].vectors.at(v)[0] == doctest::Approx(a[0].vectors.at(v)[0]).epsilon(1e-12));
  }
}
