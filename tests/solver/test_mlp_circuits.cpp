// Generated crossbar networks: embedded ngspice and the native solver agree on the same Circuit; with
// ideal amplifiers and no wire resistance the circuit equals its closed-form model, and with small
// wire resistance it classifies as that model does.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

#include "devices/smtj.hpp"
#include "netlist/mlp.hpp"
#include "netlist/smtj_element.hpp"
#include "netlist/spice_reader.hpp"
#include "netlist/spice_writer.hpp"
#include "solver/native.hpp"
#include "tests/solver/both_backends.hpp"
#include "tests/solver/networks.hpp"

using namespace spx;
using netlist::MlpSpec;

namespace {

using test::random_network;

std::vector<double> random_inputs(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<double> x(n);
  for (auto& v : x) v = rng() % 2 ? 0.5 : -0.5;
  return x;
}

netlist::Circuit build(const MlpSpec& s, const std::vector<double>& x, netlist::Analysis a = {}) {
  netlist::Circuit c;
  c.title = "generated network";
  netlist::build_mlp(s, x, c);
  c.analyses.push_back(a);
  return c;
}

/// The circuit with ideal amplifiers and no wire resistance, in closed form: each h-partition's
/// I+ line sits at the conductance-weighted mean of its input voltages (same for I-), the amplifier
/// outputs g (v+ - v-), the partitions average (or add up), and the neuron is
/// vdd / (1 + exp((z - offset)/slope)). With IMAC-Sim's tiles, every h-partition but the last holds a
/// zero-weight pair from VDD (R_low on both lines); pads hang from ground to ground and are gone.
std::vector<std::vector<double>> reference(const MlpSpec& s, std::vector<double> x) {
  std::vector<std::vector<double>> layers;
  auto plans = netlist::plan_partitions(s);
  for (size_t li = 0; li < s.layers.size(); ++li) {
    const auto& l = s.layers[li];
    std::vector<double> y(l.outputs);
    const auto& sizes = plans[li].h_sizes;
    for (int r = 0; r < l.outputs; ++r) {
      double z = 0;
      int c0 = 0;
      for (size_t h = 0; h < sizes.size(); ++h) {
        double gp = 0, gn = 0, ip = 0, in = 0;
        auto add = [&](double v, double rp, double rn) {
          gp += 1 / rp, gn += 1 / rn, ip += v / rp, in += v / rn;
        };
        for (int c = c0; c < c0 + sizes[h]; ++c) {
          int level = c < l.inputs ? l.weights[static_cast<size_t>(c) * l.outputs + r] : l.biases[r];
          auto [rp, rn] = s.synapse.resistances(level);
          add(c < l.inputs ? x[c] : s.vdd, rp, rn);
        }
        if (s.tile_bias && h + 1 < sizes.size()) add(s.vdd, s.synapse.r_low, s.synapse.r_low);
        z += l.gain * (ip / gp - in / gn);
        c0 += sizes[h];
      }
      if (s.merge == netlist::MergeMode::average) z /= static_cast<double>(sizes.size());
      y[r] = s.vdd / (1 + std::exp((z - s.neuron.offset) / s.neuron.slope));
    }
    layers.push_back(y);
    x = y;
  }
  return layers;
}

size_t argmax(const std::vector<double>& v) { return static_cast<size_t>(std::max_element(v.begin(), v.end()) - v.begin()); }

std::vector<double> native_outputs(const netlist::Circuit& c, const std::vector<netlist::NodeId>& nodes) {
  auto r = solver::simulate_native(c);
  REQUIRE_MESSAGE(r[0].report.ok(), r[0].report.detail);
  std::vector<double> out;
  for (auto n : nodes) out.push_back(r[0].vectors.at("v(" + c.node_name(n) + ")")[0]);
  return out;
}

/// Output voltages of the network's full native operating point for inputs x.
std::vector<double> network_outputs(const MlpSpec& s, const std::vector<double>& x) {
  netlist::Circuit c;
  auto ports = netlist::build_mlp(s, x, c);
  c.analyses.push_back({});
  return native_outputs(c, ports.outputs);
}

/// A generated network's flat circuit (one operating point) and its hierarchical text, which keeps
/// the outputs and the first layer's neuron outputs at the top level.
struct Hierarchical {
  netlist::Circuit flat;
  netlist::MlpPorts ports;
  std::vector<netlist::NodeId> visible;
  netlist::SpiceText text;
  Hierarchical(const MlpSpec& s, int inputs, uint32_t seed) {
    flat.title = "generated network";
    ports = netlist::build_mlp(s, random_inputs(inputs, seed), flat);
    flat.analyses.push_back({});
    visible = ports.outputs;
    visible.insert(visible.end(), ports.layer_outputs[0].begin(), ports.layer_outputs[0].end());
    text = netlist::write_spice_hierarchical(flat, netlist::Dialect::ngspice, visible);
  }
};

/// Checks every vector both results hold to `rel` (relative, floor 1); returns how many they share.
size_t shared_agree(const solver::AnalysisResult& a, const solver::AnalysisResult& b, double rel) {
  size_t common = 0;
  for (const auto& kv : a.vectors) {
    auto it = b.vectors.find(kv.first);
    if (it == b.vectors.end()) continue;
    ++common;
    const double v = kv.second[0];
    CHECK_MESSAGE(std::fabs(it->second[0] - v) <= rel * (1 + std::fabs(v)), kv.first);
  }
  return common;
}

}  // namespace

TEST_CASE("16-8-4 network in 4x4 tiles: ngspice and native agree (with and without C)") {
  for (bool caps : {false, true}) {
    for (auto readout : {netlist::Readout::loaded, netlist::Readout::virtual_ground}) {
      CAPTURE(caps);
      CAPTURE(static_cast<int>(readout));
      MlpSpec s = random_network({16, 8, 4}, 4, 4, 3);
      s.wire_c = caps;
      s.readout = readout;
      s.merge = readout == netlist::Readout::loaded ? netlist::MergeMode::average : netlist::MergeMode::sum;
      auto both = test::run_both(build(s, random_inputs(16, 9)));
      CHECK(both.agreement.missing == 0);
      CHECK_MESSAGE(both.agreement.max_rel <= 1e-6, both.agreement.worst, " ", both.agreement.max_rel);
      MESSAGE("16-8-4 caps=", caps, " readout=", static_cast<int>(readout), ": max relative difference ", both.agreement.max_rel);
    }
  }
}

TEST_CASE("IMAC-Sim's partitioned tiles: ngspice and native agree; without wires, the closed form with bias pairs") {
  MlpSpec s = random_network({20, 6, 3}, 4, 1, 13);
  s.split = netlist::SplitRule::imac;
  s.pad_tiles = true;
  s.tile_bias = true;
  s.merge = netlist::MergeMode::sum;
  s.amplifier.gbw = 0;
  const auto x = random_inputs(20, 4);
  auto both = test::run_both(build(s, x));
  CHECK(both.agreement.missing == 0);
  CHECK_MESSAGE(both.agreement.max_rel <= 1e-6, both.agreement.worst, " ", both.agreement.max_rel);
  MESSAGE("IMAC-Sim tiles: max relative difference ", both.agreement.max_rel);

  // No wires and ideal amplifiers: the closed form with the zero-weight pairs, tiles added up.
  s.wire_r = false;
  s.ideal_amplifier = true;
  const auto v = reference(s, x).back();
  const auto out = network_outputs(s, x);
  REQUIRE(out.size() == v.size());
  for (size_t k = 0; k < v.size(); ++k) CHECK(out[k] == doctest::Approx(v[k]).epsilon(1e-9));
}

TEST_CASE("hierarchical netlists: native and embedded ngspice give the flat netlist's results") {
  // Op-amp macro-models, wire and MTJ capacitances (shared amplifier and neuron definitions, a tile
  // each); virtual-ground readout (its sense sources and transimpedances stay at the top level);
  // IMAC-Sim's tiles with explicit coupling; a neuron transfer curve (pwl(), HSPICE's PWL(1)).
  for (int variant = 0; variant < 4; ++variant) {
    CAPTURE(variant);
    MlpSpec s = random_network({16, 8, 4}, 4, 4, 3);
    if (variant == 0) {
      s.wire_c = true;
      s.mtj_c = true;
    } else if (variant == 1) {
      s.readout = netlist::Readout::virtual_ground;
      s.merge = netlist::MergeMode::sum;
    } else if (variant == 2) {
      s.split = netlist::SplitRule::imac;
      s.pad_tiles = true;
      s.tile_bias = true;
      s.tile_cols = 1;
      s.wire_c = true;
      s.explicit_coupling = true;
    } else {
      s.neuron.kind = netlist::NeuronKind::curve;
      s.neuron.curve_in = {-1, -0.2, 0, 0.2, 1};
      s.neuron.curve_out = {1, 0.9, 0.5, 0.1, 0};
    }
    const Hierarchical h(s, 16, 5);
    const netlist::Circuit& flat = h.flat;
    const auto& text = h.text;
    const auto& visible = h.visible;
    CHECK(text.text.find(".subckt tile_l1_h0_v0 ") != std::string::npos);
    CHECK(text.text.find(".subckt neuron_l2 ") != std::string::npos);
    CHECK(text.text.find("* ---- layer 2 ----") != std::string::npos);
    // HSPICE's text: the same subcircuits, its behavioral forms inside them, no ngspice braces.
    const std::string hs = netlist::write_spice_hierarchical(flat, netlist::Dialect::hspice, visible).text;
    CHECK(hs.find(".subckt amp_l1 ") != std::string::npos);
    CHECK(hs.find('{') == std::string::npos);
    const size_t neuron_def = hs.find(".subckt neuron_l1 ");
    REQUIRE(neuron_def != std::string::npos);
    CHECK(hs.find(variant == 3 ? "pwl(1)" : "vol='", neuron_def) < hs.find(".ends neuron_l1", neuron_def));
    auto count = [](const std::string& t, const std::string& what) {
      size_t n = 0;
      for (size_t p = t.find(what); p != std::string::npos; p = t.find(what, p + 1)) ++n;
      return n;
    };
    CHECK(count(hs, "\n.subckt ") == count(hs, "\n.ends "));
    CHECK(count(hs, "\n.subckt ") == count(text.text, "\n.subckt "));
    netlist::Circuit hier = netlist::read_spice_text(text.text, "hier.cir", ".");
    CHECK(hier.elements.size() == flat.elements.size());
    auto a = solver::simulate_native(flat), b = solver::simulate_native(hier);
    REQUIRE(a[0].report.ok());
    REQUIRE(b[0].report.ok());
    // Every top-level node and source current of the flat circuit is in the hierarchical one.
    const size_t common = shared_agree(a[0], b[0], 1e-12);
    CHECK(common >= 16 + 4 + 8);  // inputs, outputs, hidden neurons at least
    for (const char* out : {"v(l2_o_0)", "v(l2_o_3)", "v(l1_o_7)", "i(v_vdd)"}) CHECK_MESSAGE(b[0].vectors.count(out), std::string(out));
    auto ng = test::session().run_text(text.text);
    REQUIRE_MESSAGE(ng.ok, ng.error);
    const auto agreement = solver::compare(ng.analyses.at(0), b[0]);
    CHECK_MESSAGE(agreement.max_rel <= 1e-6, agreement.worst, " ", agreement.max_rel);
    MESSAGE("hierarchical variant ", variant, ": ngspice vs native ", agreement.max_rel, ", ", common, " vectors shared with the flat netlist");
  }
}

TEST_CASE("hierarchical netlists of transistor-level neurons: embedded ngspice gives the flat netlist's results") {
  MlpSpec s = random_network({8, 4, 2}, 4, 4, 17);
  s.neuron.kind = netlist::NeuronKind::transistor;
  const Hierarchical h(s, 8, 3);
  CHECK(h.text.text.find(".subckt neuron_l1 ") != std::string::npos);
  auto a = test::session().run(h.flat);
  REQUIRE_MESSAGE(a.ok, a.error);
  auto b = test::session().run_text(h.text.text);
  REQUIRE_MESSAGE(b.ok, b.error);
  CHECK(shared_agree(a.analyses.at(0), b.analyses.at(0), 1e-9) >= 8 + 4 + 2);
  for (auto n : h.ports.outputs) CHECK(b.analyses.at(0).vectors.count("v(" + h.flat.node_name(n) + ")"));
}

TEST_CASE("bias-dependent MTJs and partition sums: ngspice and native agree") {
  MlpSpec s = random_network({12, 6, 3}, 4, 4, 5);
  s.mtj_bias_dependence = true;
  s.synapse.variation = devices::Variation::gaussian;
  s.synapse.variation_fraction = 0.05;
  auto both = test::run_both(build(s, random_inputs(12, 2)));
  CHECK_MESSAGE(both.agreement.max_rel <= 1e-6, both.agreement.worst, " ", both.agreement.max_rel);
  MESSAGE("bias-dependent MTJ network: max relative difference ", both.agreement.max_rel);
}

TEST_CASE("transient of a network with wire capacitance: ngspice and native agree") {
  MlpSpec s = random_network({8, 4, 2}, 4, 4, 7);
  s.wire_c = true;
  s.explicit_coupling = true;
  s.wire.eps_r = 3.9e4;  // scale the tiny per-cell capacitances up so the settling takes ~0.1 ns
  s.amplifier.gbw = 0;   // the wires' dynamics alone (the op-amp's pole has its own test)
  s.amplifier.merge_r = 1e-3;  // as this comparison was set up (its tolerance is for these edges)
  netlist::Analysis tran;
  tran.kind = netlist::AnalysisKind::tran;
  tran.tstep = 2e-12;
  tran.tstop = 0.4e-9;
  auto c = build(s, random_inputs(8, 4), tran);
  // Step every input from 0 to its value at 20 ps.
  for (auto& e : c.elements) {
    if (e.origin.role != netlist::Role::input) continue;
    double v = e.wave.dc;
    e.wave = devices::Waveform{devices::WaveKind::pulse, 0, false, {0, v, 20e-12, 5e-12, 5e-12, 1, 2}};
  }
  auto both = test::run_both(c);
  CHECK(both.native.scale.size() > 100);
  // Backward Euler against ngspice's trapezoid: within a few percent of the swing during edges.
  CHECK_MESSAGE(both.agreement.max_rel <= 3e-2, both.agreement.worst, " ", both.agreement.max_rel);
  MESSAGE("network transient: max relative difference ", both.agreement.max_rel, " (", both.agreement.worst, ")");
  // The final point is the operating point of both.
  for (const auto& [name, v] : both.ngspice.vectors) {
    if (name.rfind("v(l2_o_", 0) != 0) continue;
    CHECK(both.native.vectors.at(name).back() == doctest::Approx(v.back()).epsilon(1e-4));
  }
}

TEST_CASE("ideal amplifiers and no wire resistance reproduce the closed-form network exactly") {
  MlpSpec s = random_network({24, 10, 5}, 8, 4, 11);
  s.wire_r = false;
  s.ideal_amplifier = true;
  for (uint32_t img = 0; img < 5; ++img) {
    auto x = random_inputs(24, 100 + img);
    auto out = network_outputs(s, x);
    auto ref = reference(s, x);
    for (size_t k = 0; k < out.size(); ++k) CHECK(out[k] == doctest::Approx(ref.back()[k]).epsilon(1e-9));
  }
}

TEST_CASE("with small wire resistance the circuit classifies like its model (documented)") {
  // The model is the closed form above; wire resistance 100x below the 9 nm values keeps every
  // decision. Ten inputs patterns, three classes.
  MlpSpec s = random_network({32, 12, 3}, 8, 4, 21);
  s.ideal_amplifier = true;
  s.wire.rho_bulk *= 0.01;
  s.amplifier.merge_r = 1e-3;  // with 0.09 ohm wire segments, 10 kohm merge links leave Newton short of its tolerance
  int same = 0;
  for (uint32_t img = 0; img < 10; ++img) {
    auto x = random_inputs(32, 300 + img);
    auto out = network_outputs(s, x);
    auto ref = reference(s, x);
    same += argmax(out) == argmax(ref.back());
    for (size_t k = 0; k < out.size(); ++k) CHECK(out[k] == doctest::Approx(ref.back()[k]).epsilon(1e-2));
  }
  CHECK(same == 10);
}

TEST_CASE("stochastic MTJ in a divider: both backends follow the same sampled sequence") {
  devices::SmtjParams p;
  p.tau0 = 0.2e-9;
  devices::CellRng rng(99, 0, 0, 0, devices::Purpose::telegraph);
  devices::Telegraph t = devices::sample_telegraph(p, 10e-6, 40e-9, rng);
  REQUIRE(t.switches.size() > 10);
  netlist::Circuit c;
  c.title = "smtj divider";
  c.add(netlist::make_vsource("v1", c.node("top"), netlist::ground, 1));
  c.add(netlist::make_resistor("rl", c.node("out"), netlist::ground, 10e3));
  const double rp = 8488.26, rap = 25464.79, rl = 10e3;
  auto dev = netlist::add_smtj(c, "mtj1", c.node("top"), c.node("out"), t, rp, rap, 100e-12);
  netlist::Analysis a;
  a.kind = netlist::AnalysisKind::tran;
  a.tstep = 5e-12;
  a.tstop = 40e-9;
  c.analyses.push_back(a);
  auto both = test::run_both(c);
  MESSAGE("s-MTJ divider transient: max relative difference ", both.agreement.max_rel);
  CHECK_MESSAGE(both.agreement.max_rel <= 1e-3, both.agreement.worst, " ", both.agreement.max_rel);
  // Resistive circuit: at every point v(out) = V rl G(t) / (1 + G(t) rl), G(t) from the sequence's PWL.
  const auto& g = c.elements[dev - 1].wave;
  const auto& ts = both.native.scale;
  const auto& vo = both.native.vectors.at("v(out)");
  devices::TimeAxis axis{a.tstep, a.tstop};
  double worst = 0;
  for (size_t k = 0; k < ts.size(); ++k) {
    double gt = g.at(ts[k], axis);
    worst = std::max(worst, std::fabs(vo[k] - rl * gt / (1 + gt * rl)));
  }
  // Within Newton's tolerance (reltol 1e-9 of about 0.5 V; transient chord iterations stop a decade inside it).
  CHECK(worst < 1e-10);
  // Both resistance states appear.
  CHECK(*std::max_element(vo.begin(), vo.end()) == doctest::Approx(rl / (rp + rl)));
  CHECK(*std::min_element(vo.begin(), vo.end()) == doctest::Approx(rl / (rap + rl)));
}

namespace {

/// A 1-1 network whose only capacitor is the op-amp's compensation: the input steps 0 -> 1 V at t0.
netlist::Circuit amplifier_step(const MlpSpec& s, double t0, double edge, double step, double tstop) {
  netlist::Analysis tran;
  tran.kind = netlist::AnalysisKind::tran;
  tran.tstep = step;
  tran.tmax = step;
  tran.tstop = tstop;
  auto c = build(s, {0.0}, tran);
  for (auto& e : c.elements)
    if (e.origin.role == netlist::Role::input) e.wave = devices::Waveform{devices::WaveKind::pwl, 0, false, {0, 0, t0, 0, t0 + edge, 1}};
  return c;
}

}  // namespace

TEST_CASE("op-amp macro-model: the single-pole step response of its closed form, on both backends") {
  MlpSpec s = random_network({1, 1}, 4, 4, 1);
  s.layers[0].weights = {1};
  s.layers[0].biases = {-1};
  s.wire_r = false;
  s.amplifier.c_load = 0;
  s.amplifier.slew_rate = 0;
  // The I- line: R_high from the input line, R_low from the bias line; the feedback factor seen by the
  // op-amp includes that source resistance: beta = (R_th + R1) / (R_th + R1 + R3).
  const double g = s.layers[0].gain, r1 = s.amplifier.r_in, r3 = g * r1, rl = s.synapse.r_low, rh = s.synapse.r_high;
  const double rth = rl * rh / (rl + rh), beta = (rth + r1) / (rth + r1 + r3);
  const double a0 = s.amplifier.open_loop_gain, wp = 2 * std::numbers::pi * s.amplifier.gbw / a0;
  const double tau = 1 / (wp * (1 + a0 * beta));
  const double t0 = 0.1e-9, edge = 1e-12;
  auto both = test::run_both(amplifier_step(s, t0, edge, tau / 1000, t0 + 25 * tau));
  for (const auto* r : {&both.native, &both.ngspice}) {
    const auto& t = r->scale;
    const auto& z = r->vectors.at("v(l1_z_0)");
    const double z0 = z.front(), zf = z.back(), swing = std::fabs(zf - z0);
    REQUIRE(swing > 0.1);
    double worst = 0;
    for (size_t k = 0; k < t.size(); ++k) {
      if (t[k] < t0 + edge) continue;
      const double want = zf + (z0 - zf) * std::exp(-(t[k] - t0 - edge / 2) / tau);
      worst = std::max(worst, std::fabs(z[k] - want) / swing);
    }
    const std::string backend = r == &both.native ? "native" : "ngspice";
    MESSAGE("single pole, tau ", tau, " s: worst deviation ", worst, " of the swing (", backend, ")");
    CHECK(worst < 1e-3);
  }
  // Slew: with the stage's current limited, the output ramps at the slew rate, no faster.
  s.slew = true;
  double swing = 0;
  {
    const auto& z = both.native.vectors.at("v(l1_z_0)");
    swing = std::fabs(z.back() - z.front());
  }
  s.amplifier.slew_rate = 0.2 * swing / tau;
  auto slewed = test::run_both(amplifier_step(s, t0, edge, tau / 200, t0 + 25 * tau));
  for (const auto* r : {&slewed.native, &slewed.ngspice}) {
    const auto& t = r->scale;
    const auto& z = r->vectors.at("v(l1_z_0)");
    // Slope over a tenth of tau (a single step of ngspice's trapezoid may ring at the edge).
    double fastest = 0;
    for (size_t k = 0, j = 0; k < t.size(); ++k) {
      while (j < t.size() && t[j] < t[k] + tau / 10) ++j;
      if (j == t.size()) break;
      fastest = std::max(fastest, std::fabs(z[j] - z[k]) / (t[j] - t[k]));
    }
    const std::string backend = r == &slewed.native ? "native" : "ngspice";
    CAPTURE(backend);
    CAPTURE(fastest);
    CHECK(fastest <= s.amplifier.slew_rate * 1.01);  // ngspice's own time steps: within 1 %
    CHECK(fastest >= s.amplifier.slew_rate * 0.95);
  }
}
