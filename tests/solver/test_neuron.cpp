// The SOT-MRAM neuron: the behavioral macro-model matches its transistor-level source within 1 mV over
// the input range (checked at inputs between the characterization points), and the macro-model runs
// identically on both backends inside a network.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "devices/error.hpp"
#include "devices/periphery.hpp"
#include "mlp/neuron_curve.hpp"
#include "netlist/mlp.hpp"
#include "solver/native.hpp"
#include "tests/solver/both_backends.hpp"

using namespace spx;

namespace {

mlp::NeuronCurve curve() {
  static mlp::NeuronCurve c = mlp::characterize_neuron({}, {}, 1.0, -1.5, 1.5, 2e-3, 0.2e-3);
  return c;
}

}  // namespace

TEST_CASE("the characterized curve is an inverting sigmoid and much thinner than the sweep") {
  auto c = curve();
  REQUIRE(c.in.size() >= 5);
  CHECK(c.dense_points == 1501);
  CHECK(c.in.size() < 100);
  CHECK(c.in.front() == doctest::Approx(-1.5));
  CHECK(c.in.back() == doctest::Approx(1.5));
  for (size_t k = 1; k < c.out.size(); ++k) CHECK(c.out[k] < c.out[k - 1]);
  CHECK(c.out.front() > 0.85);
  CHECK(c.out.back() < 0.15);
  MESSAGE("neuron curve: ", c.dense_points, " swept points thinned to ", c.in.size());
}

TEST_CASE("macro-model within 1 mV of the transistor-level neuron between characterization points") {
  auto c = curve();
  netlist::Circuit k;
  k.title = "neuron macro vs transistor";
  netlist::NodeId z = k.node("z"), vdd = k.node("vdd");
  k.add(netlist::make_vsource("v_vdd", vdd, netlist::ground, 1.0));
  k.add(netlist::make_vsource("v_z", z, netlist::ground, 0));
  netlist::add_sot_neuron(k, "t", z, k.node("out_t"), vdd, {}, {}, {});
  std::string law = "pwl(v(z)";
  for (size_t i = 0; i < c.in.size(); ++i) law += "," + std::to_string(c.in[i]) + "," + std::to_string(c.out[i]);
  law += ")";
  k.add(netlist::make_behavioral(k, "b_macro", netlist::ElementKind::behavioral_v, k.node("out_m"), netlist::ground, law));
  // 1.37 mV steps never coincide with the 2 mV characterization grid.
  netlist::Analysis a;
  a.kind = netlist::AnalysisKind::dc;
  a.source = "v_z";
  a.start = -1.4993;
  a.stop = 1.499;
  a.step = 1.37e-3;
  k.analyses.push_back(a);
  auto r = test::session().run(k);
  REQUIRE_MESSAGE(r.ok, r.error);
  const auto& vt = r.analyses[0].vectors.at("v(out_t)");
  const auto& vm = r.analyses[0].vectors.at("v(out_m)");
  double worst = 0;
  for (size_t i = 0; i < vt.size(); ++i) worst = std::max(worst, std::fabs(vt[i] - vm[i]));
  MESSAGE("macro-model vs transistor neuron over [-1.5, 1.5] V: max difference ", worst * 1e3, " mV at ",
          vt.size(), " inputs");
  CHECK(vt.size() > 2000);
  CHECK(worst < 1e-3);
}

TEST_CASE("a network with the macro-model neuron agrees across backends; transistors stay on ngspice") {
  netlist::MlpSpec s;
  s.tile_rows = 4;
  s.tile_cols = 4;
  s.synapse.r_low = s.mtj.r_parallel();
  s.synapse.r_high = s.mtj.r_antiparallel();
  netlist::LayerSpec l1{8, 4, {}, {1, -1, 1, -1}, 10}, l2{4, 2, {}, {1, -1}, 10};
  for (int i = 0; i < 32; ++i) l1.weights.push_back(i % 3 ? 1 : -1);
  for (int i = 0; i < 8; ++i) l2.weights.push_back(i % 2 ? 1 : -1);
  s.layers = {l1, l2};
  s.neuron.kind = netlist::NeuronKind::curve;
  s.neuron.curve_in = curve().in;
  s.neuron.curve_out = curve().out;
  std::vector<double> x{1, -1, 1, 1, -1, -1, 1, -1};
  netlist::Circuit c;
  c.title = "macro network";
  netlist::build_mlp(s, x, c);
  c.analyses.push_back({});
  auto both = test::run_both(c);
  CHECK(both.agreement.max_rel < 1e-9);

  s.neuron.kind = netlist::NeuronKind::transistor;
  netlist::Circuit t;
  t.title = "transistor network";
  netlist::build_mlp(s, x, t);
  t.analyses.push_back({});
  CHECK(t.models.size() == 2);
  auto ng = test::session().run(t);
  REQUIRE_MESSAGE(ng.ok, ng.error);
  CHECK_THROWS_WITH_AS(solver::simulate_native(t),
                       "layer 1, neuron m_l1_0_nn: transistors run on the ngspice backend only (use "
                       "--backend ngspice, or a characterized neuron)",
                       InputError);
}

namespace {

/// 50 % delay of the macro-model (the curve behind r_out, into c_out + load) on the native backend.
double macro_delay(const mlp::NeuronCurve& curve, const mlp::NeuronDynamicsFit& fit, double load, bool rising) {
  const double z_lo = -1.5, z_hi = 1.5, t0 = 20e-12, edge = 1e-12;
  const double tau = fit.r_out * (fit.c_out + load);
  netlist::Circuit c;
  netlist::NodeId z = c.node("z"), drive = c.node("d"), o = c.node("out");
  netlist::Element vz = netlist::make_vsource("v_z", z, netlist::ground, 0);
  const double from = rising ? z_hi : z_lo, to = rising ? z_lo : z_hi;
  vz.wave.kind = devices::WaveKind::pwl;
  vz.wave.args = {0, from, t0, from, t0 + edge, to};
  c.add(std::move(vz));
  std::string law = "pwl(v(z)";
  for (size_t k = 0; k < curve.in.size(); ++k) law += fmt::format(",{},{}", curve.in[k], curve.out[k]);
  c.add(netlist::make_behavioral(c, "b_n", netlist::ElementKind::behavioral_v, drive, netlist::ground, law + ")"));
  c.add(netlist::make_resistor("r_o", drive, o, fit.r_out));
  c.add(netlist::make_capacitor("c_o", o, netlist::ground, fit.c_out + load));
  netlist::Analysis a;
  a.kind = netlist::AnalysisKind::tran;
  a.tstep = tau / 200;
  a.tmax = a.tstep;
  a.tstop = t0 + 10 * tau;
  c.analyses.push_back(a);
  auto res = solver::simulate_native(c, {});
  REQUIRE(!res.empty());
  REQUIRE(res[0].report.ok());
  const auto& t = res[0].scale;
  const auto& v = res[0].vectors.at("v(out)");
  const double mid = 0.5 * (v.front() + v.back());
  for (size_t k = 1; k < t.size(); ++k)
    if (t[k] > t0 && (v[k - 1] - mid) * (v[k] - mid) <= 0 && v[k] != v[k - 1])
      return t[k - 1] + (mid - v[k - 1]) / (v[k] - v[k - 1]) * (t[k] - t[k - 1]) - (t0 + edge / 2);
  return -1;
}

}  // namespace

TEST_CASE("neuron dynamics: the macro-model's delay is within 10 % of the transistor circuit's at other loads") {
  const auto c = curve();
  const auto fit = mlp::fit_neuron_dynamics({}, {}, 1.0, -1.5, 1.5);
  MESSAGE("neuron r_out ", fit.r_out, " ohm, c_out ", fit.c_out, " F; delays at 1 fF ", fit.delays[0].rise, " / ",
          fit.delays[0].fall, " s");
  CHECK(fit.r_out > 0);
  // The defaults of the behavioral neurons are these measurements of the default circuit.
  const auto d = devices::default_neuron_dynamics();
  MESSAGE("mean supply current ", c.supply_mean, " A");
  CHECK(d.r_out == doctest::Approx(fit.r_out).epsilon(0.01));
  CHECK(d.c_out == doctest::Approx(fit.c_out).epsilon(0.01));
  CHECK(d.i_supply == doctest::Approx(c.supply_mean).epsilon(0.01));
  // Loads the fit did not use: a buffer gate, a few fF, a short line.
  for (double load : {0.5e-15, 3e-15, 20e-15}) {
    const auto d = mlp::neuron_delays({}, {}, 1.0, -1.5, 1.5, {load}).at(0);
    for (bool rising : {true, false}) {
      const double transistor = rising ? d.rise : d.fall;
      const double macro = macro_delay(c, fit, load, rising);
      CAPTURE(load);
      CAPTURE(rising);
      CAPTURE(transistor);
      CAPTURE(macro);
      CHECK(macro == doctest::Approx(transistor).epsilon(0.10));
    }
  }
}
