// The p-bit read circuit at circuit level: native transient against the closed-form law (binomial
// bounds), ngspice against native on the same seeded telegraph sequence, energy per bit from the
// circuit against its closed form, and the generated cell's levels.
#include <doctest/doctest.h>

#include <cmath>

#include "devices/random.hpp"
#include "netlist/pbit_cell.hpp"
#include "sc/pbit_curve.hpp"
#include "solver/native.hpp"

using namespace spx;

TEST_CASE("p-bit cell: the comparator reads AP as vdd and P as 0, the divider at its two levels") {
  devices::PbitParams p;
  devices::Telegraph t;
  t.initial_ap = true;
  t.duration = 10e-9;
  t.switches = {5e-9};
  netlist::Circuit c;
  auto cell = netlist::add_pbit_cell(c, "pb", p, t, 3e-6, 20e-12);
  netlist::Analysis a;
  a.kind = netlist::AnalysisKind::tran;
  a.tstep = 0.1e-9;
  a.tstop = 10e-9;
  c.analyses.push_back(a);
  auto r = solver::simulate_native(c);
  REQUIRE(r.at(0).report.ok());
  const auto& ts = r[0].scale;
  const auto& mid = r[0].vectors.at("v(" + c.node_name(cell.mid) + ")");
  const auto& out = r[0].vectors.at("v(" + c.node_name(cell.out) + ")");
  const auto& ch = r[0].vectors.at("v(" + c.node_name(cell.channel) + ")");
  for (size_t k = 0; k < ts.size(); ++k) {
    if (ts[k] > 1e-9 && ts[k] < 4.9e-9) {  // AP
      CHECK(mid[k] == doctest::Approx(p.divider(true)).epsilon(1e-9));
      CHECK(out[k] > 0.999 * p.vdd);
    }
    if (ts[k] > 5.2e-9) {  // P
      CHECK(mid[k] == doctest::Approx(p.divider(false)).epsilon(1e-9));
      CHECK(out[k] < 1e-3 * p.vdd);
    }
    CHECK(ch[k] == doctest::Approx(3e-6 * p.r_channel));
  }
}

TEST_CASE("p-bit curve: native within binomial bounds of the law, ngspice within 0.01 of native, energy from the circuit") {
  devices::PbitParams p;
  sc::PbitCurveOptions o;
  o.points = 7;
  o.bits = 3000;
  o.ngspice_bits = 150;
  o.logit_span = 3;
  const auto curve = sc::characterize_pbit(p, o);
  REQUIRE(curve.points.size() == 7);
  for (const auto& pt : curve.points) {
    CAPTURE(pt.current);
    // Mean of a two-state chain sampled every clock: variance p (1 - p) (1 + rho) / ((1 - rho) n).
    const double sd = std::sqrt(pt.p_closed * (1 - pt.p_closed) * (1 + pt.rho_closed) / ((1 - pt.rho_closed) * o.bits));
    CHECK(std::fabs(pt.p_native - pt.p_closed) < 4.5 * sd);
    CHECK(std::fabs(pt.rho_measured - pt.rho_closed) < 0.1);
    CHECK(std::fabs(pt.p_ngspice - pt.p_native_window) <= 0.01);
    // Energy: the read supply and the channel are exact; the output edges follow the telegraph, whose
    // rate is the closed form's in expectation.
    CHECK(pt.energy_circuit == doctest::Approx(pt.energy_closed).epsilon(0.03));
  }
  CHECK(curve.points.front().p_closed == doctest::Approx(1 / (1 + std::exp(3.0))));
  CHECK(curve.usable_rate == doctest::Approx(1 / (p.tau_corr(p.current_for(0.5)) * std::log(10.0))));
}
