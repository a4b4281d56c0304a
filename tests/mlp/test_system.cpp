// System figures: the energy integration on a hand-solvable RC circuit (static and switching), the
// area of the small example summed by hand, the CPU model's LeNet-5 counts, and the design latency
// bounding the settling a transient measures.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>

#include "arch/cpu.hpp"
#include "mlp/config.hpp"
#include "mlp/converter_circuit.hpp"
#include "netlist/sot_converter.hpp"
#include "solver/compare.hpp"
#include "solver/ngspice.hpp"
#include "mlp/run.hpp"
#include "mlp/system.hpp"
#include "solver/native.hpp"

using namespace spx;
namespace fs = std::filesystem;

namespace {

const fs::path kSmall = SPX_SOURCE_DIR "/examples/small/small.toml";

/// Energy a source delivers over [0, T] in a native transient: V ramps 0 -> v over `edge` into r in
/// series with (c || rp).
double source_energy(double v, double edge, double r, double c, double rp, double T) {
  netlist::Circuit k;
  auto in = k.node("in"), mid = k.node("mid");
  netlist::Element src = netlist::make_vsource("v1", in, netlist::ground, 0);
  src.wave = devices::Waveform{devices::WaveKind::pwl, 0, false, {0, 0, edge, v}};
  k.add(std::move(src));
  k.add(netlist::make_resistor("r1", in, mid, r));
  if (c > 0) k.add(netlist::make_capacitor("c1", mid, netlist::ground, c));
  if (rp > 0) k.add(netlist::make_resistor("rp", mid, netlist::ground, rp));
  netlist::Analysis a;
  a.kind = netlist::AnalysisKind::tran;
  a.tstep = edge / 20;
  a.tmax = a.tstep;
  a.tstop = T * 1.5;
  k.analyses.push_back(a);
  auto res = solver::simulate_native(k);
  REQUIRE(res[0].report.ok());
  const auto& t = res[0].scale;
  const auto& vi = res[0].vectors.at("v(in)");
  const auto& i = res[0].vectors.at("i(v1)");
  std::vector<double> p(t.size());
  for (size_t n = 0; n < t.size(); ++n) p[n] = -vi[n] * i[n];  // delivered: the branch current enters at +
  return mlp::integrate_until(t, p, T);
}

}  // namespace

TEST_CASE("energy of a hand-solvable RC circuit: static and switching") {
  const double v = 1.0, edge = 1e-12;
  // Static: a resistor alone takes v^2 / R from the end of the ramp, v^2 edge / (3 R) during it.
  const double rp = 10e3, T = 1e-9;
  const double e_static = source_energy(v, edge, 1e-3, 0, rp, T);
  const double want_static = v * v / (rp + 1e-3) * (T - edge + edge / 3);
  CHECK(e_static == doctest::Approx(want_static).epsilon(1e-4));
  // Switching: charging C through R from a step costs C v^2 from the source (half stays in C), to
  // within the ramp's share edge / (2 R C).
  const double r = 1e3, c = 1e-13;  // RC = 100 ps, 50 time constants to settle
  const double e_switch = source_energy(v, edge, r, c, 0, 50 * r * c);
  CHECK(e_switch == doctest::Approx(c * v * v).epsilon(edge / (r * c)));
  // Cutting the integration at T: the first time constant takes C v^2 (1 - 1/e) from the source.
  const double e_tau = source_energy(v, edge, r, c, 0, r * c + edge / 2);
  CHECK(e_tau == doctest::Approx(c * v * v * (1 - std::exp(-1.0))).epsilon(2e-2));
}

TEST_CASE("area of the small example, summed by hand") {
  auto cfg = mlp::load_config(kSmall);
  const auto a = mlp::network_area(cfg);
  // 16-8-4 in 4x4 tiles: layer 1 has 17 lines (5 h-partitions) x 8 neurons, layer 2 9 lines (3) x 4.
  const double cell = 108e-9 * 135e-9;  // 12F x 15F at 9 nm
  CHECK(a.cell == doctest::Approx(cell));
  CHECK(a.cell / (9e-9 * 9e-9) == doctest::Approx(180));
  CHECK(a.network.synapses == doctest::Approx(2 * (17 * 8 + 9 * 4) * cell));
  CHECK(a.network.amplifiers == doctest::Approx((5 * 8 + 3 * 4) * 50e-12));
  CHECK(a.network.neurons == doctest::Approx((8 + 4) * 0.1e-12));
  CHECK(a.network.drivers == doctest::Approx((16 + 8) * 0.166e-12));  // 1-bit input drivers, buffers
  CHECK(a.network.total() == doctest::Approx(a.layers[0].total() + a.layers[1].total()));
  CHECK(a.tile.synapses == doctest::Approx(2 * 4 * 4 * cell));
  CHECK(a.tile.amplifiers == doctest::Approx(4 * 50e-12));
  // An 8-bit DAC behind a CNN is 2^7 1-bit drivers.
  cfg.cnn.enabled = true;
  cfg.cnn.dac_bits = 8;
  CHECK(mlp::network_area(cfg).layers[0].drivers == doctest::Approx(16 * 128 * 0.166e-12));
}

TEST_CASE("CPU model: LeNet-5's operations and the cost of running them") {
  std::vector<nn::FeatureLayer> lenet(6);
  lenet[0].kind = lenet[3].kind = nn::FeatureLayer::Kind::conv;
  lenet[0].conv = {1, 6, 5, 1, 2, {}, {}};
  lenet[3].conv = {6, 16, 5, 1, 0, {}, {}};
  lenet[2].kind = lenet[5].kind = nn::FeatureLayer::Kind::pool;
  const auto conv = arch::feature_shapes({1, 28, 28}, lenet);
  REQUIRE(conv.size() == 6);
  CHECK(conv[0].macs == 28 * 28 * 25 * 6);         // 117,600
  CHECK(conv[3].macs == 10 * 10 * 25 * 6 * 16);    // 240,000
  CHECK(conv[5].outputs == 400);
  const auto fc = arch::fc_shapes({400, 120, 84, 10});
  double fc_macs = 0;
  for (const auto& l : fc) fc_macs += l.macs;
  CHECK(fc_macs == 58920);
  arch::CpuParams p;
  const auto c = arch::cpu_cost(p, {conv[0]}, true);
  CHECK(c.compute == doctest::Approx(117600 * (4.6e-12 + 70e-12 / 4)));
  CHECK(c.l1 == doctest::Approx(117600 / 4.0 * 20e-12));
  CHECK(c.l2 == doctest::Approx((784 + 156 + 4704) * 4 / 8.0 * 100e-12));
  CHECK(c.dram == doctest::Approx((784 + 4704) * 4 / 8.0 * 2.6e-9));  // the image in, the maps out
  CHECK(c.latency == doctest::Approx(std::max(117600 / (1.5e9 * 4), (784 + 4704) * 4 / 6.4e9)));
  // CPU-IMAC: the FC layers' CPU energy is replaced by IMAC's and the transfer.
  const auto split = arch::cpu_imac(p, "lenet", conv, fc, 1e-9, 10e-9);
  CHECK(split.hybrid_energy() == doctest::Approx(split.conv.energy() + 1e-9 + (400 + 10) * 4 / 8.0 * 100e-12));
  // The features between the parts stay on chip: DRAM sees the image and the classes once.
  const auto whole = arch::cpu_cost(p, [&] {
    auto all = conv;
    all.insert(all.end(), fc.begin(), fc.end());
    return all;
  }(), true);
  CHECK(split.cpu_only_energy() == doctest::Approx(whole.energy()));
  CHECK(split.cpu_only_energy() > split.hybrid_energy());
  // VGG-16's features end in 512 values from CIFAR-10's 32x32x3.
  const auto vgg = arch::feature_shapes({3, 32, 32}, arch::vgg16_features());
  CHECK(vgg.back().outputs == 512);
  double vgg_macs = 0;
  for (const auto& l : vgg)
    if (l.weights > 0) vgg_macs += l.macs;
  CHECK(vgg_macs == doctest::Approx(313.2e6).epsilon(1e-3));
}

TEST_CASE("the design latency bounds the settling a transient measures") {
  auto cfg = mlp::load_config(kSmall);
  mlp::load_network(cfg);
  fs::path out = fs::temp_directory_path() / "spx_system_test" / "tran";
  fs::remove_all(out.parent_path());
  mlp::RunOptions o;
  o.out = out;
  o.images = 2;
  o.transient = true;
  auto r = mlp::run_network(cfg, o);
  REQUIRE(r.complete);
  double design = 0;
  for (const auto& t : mlp::design_latency(cfg)) design += t.total();
  const double measured = r.summary["latency_s"]["max"].get<double>();
  MESSAGE("small example: measured settling ", measured, " s, design latency ", design, " s");
  CHECK(measured > 0);
  CHECK(measured <= design);
  CHECK(measured >= design / 10);  // the same physics, not a loose bound
  // With the op-amps' output currents solved, an operating point draws what the settled window does.
  auto op_cfg = mlp::load_config(kSmall, {"run.amplifier_currents=true"});
  mlp::load_network(op_cfg);
  mlp::RunOptions oo;
  oo.out = out.parent_path() / "op";
  oo.images = 2;
  auto op = mlp::run_network(op_cfg, oo);
  REQUIRE(op.complete);
  CHECK(op.summary["power_w"]["mean"].get<double>() == doctest::Approx(r.summary["power_w"]["mean"].get<double>()).epsilon(1e-3));
  // Energy parts add up; static is the settled state's power over the settling time.
  const auto& s = r.summary;
  double parts = 0;
  for (const auto& [k, v] : s["energy_by_part_j"].items()) parts += v.get<double>();
  CHECK(parts == doctest::Approx(s["energy_j"]["mean"].get<double>()).epsilon(1e-9));
}

TEST_CASE("SOT-MTJ converter cycle: the circuit's write current gives the device law; 2x10^4 seeded samples follow it") {
  for (auto law : {devices::SwitchingLaw::thermal, devices::SwitchingLaw::sigmoid}) {
    devices::SotConverterParams p;
    p.law = law;
    const double range = 0.5;
    int point = 0;
    for (double x : {-0.8, -0.3, 0.0, 0.4, 0.9}) {
      const mlp::SotSample s = mlp::simulate_sot_sample(p, range, x * range, false);
      const double law_p = devices::switching_probability(p, x);
      CAPTURE(x);
      CHECK(std::fabs(s.probability - law_p) < 2e-3);
      CHECK(s.i_write == doctest::Approx(p.i_mid() + x * p.i_span()).epsilon(1e-3));
      const int n = 20000;
      const int k = devices::count_switches(s.probability, 3, 1, 0, point++, 0, n);
      CHECK(std::fabs(static_cast<double>(k) / n - law_p) <= 4.5 * std::sqrt(law_p * (1 - law_p) / n) + 2e-3);
      // Write energy: the supply times the channel current over the pulse (each edge half).
      CHECK(s.e_write == doctest::Approx(p.v_write * s.i_write * (p.pulse + 10e-12)).epsilon(0.01));
      CHECK(s.e_reset == doctest::Approx(p.v_write * p.i_reset() * (p.t_reset + 10e-12)).epsilon(0.01));
    }
  }
  devices::SotConverterParams p;
  const auto off = mlp::simulate_sot_sample(p, 1, 0, false), on = mlp::simulate_sot_sample(p, 1, 0, true);
  // Reading R_AP draws less than R_P: v^2 / (R + r_sense) over the read.
  CHECK(on.e_read < off.e_read);
  CHECK(off.e_read - p.e_sense == doctest::Approx(p.v_read * p.v_read / (p.r_p + 1e3) * (p.t_read + 10e-12)).epsilon(0.01));
  const auto cost = mlp::sot_sample_cost(p);
  CHECK(cost.latency == doctest::Approx(p.pulse + p.t_read + p.t_reset + 7 * 10e-12).epsilon(1e-9));
  CHECK(cost.probability_at_zero == doctest::Approx(0.5).epsilon(2e-3));
  CHECK(cost.energy == doctest::Approx(off.e_write + 0.5 * (off.e_read + on.e_read) + off.e_reset + p.e_count));
}

TEST_CASE("SOT-MTJ converter cycle: ngspice and the native transient agree") {
  devices::SotConverterParams p;
  netlist::Circuit c;
  netlist::build_sot_converter(p, 0.5, 0.2, true, c);
  auto ng = solver::ngspice_session().run(c);
  REQUIRE_MESSAGE(ng.ok, ng.error);
  auto nat = solver::simulate_native(c);
  REQUIRE(nat[0].report.ok());
  auto g = solver::compare(ng.analyses.at(0), nat[0]);
  CAPTURE(g.worst);
  CHECK(g.compared > 5);
  // ngspice chooses its own time points; across the 10 ps edges the interpolated waveforms differ
  // by well under 1 %.
  CHECK(g.max_rel < 5e-3);
}
