// Device models against their closed forms and the published reference values.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

#include "devices/amplifier.hpp"
#include "devices/error.hpp"
#include "devices/mtj.hpp"
#include "devices/smtj.hpp"
#include "devices/synapse.hpp"
#include "devices/wire.hpp"

using namespace spx::devices;

TEST_CASE("MTJ: RA/area gives the IMAC devices; TMR halves at v_half") {
  MtjParams p;
  CHECK(p.area() == doctest::Approx(std::numbers::pi / 4 * 50e-9 * 30e-9));
  CHECK(p.r_parallel() == doctest::Approx(8488.26363157).epsilon(1e-9));
  CHECK(p.r_antiparallel() == doctest::Approx(25464.7908947).epsilon(1e-9));
  CHECK(p.tmr(p.v_half) == doctest::Approx(p.tmr0 / 2));
  CHECK(p.tmr(-p.v_half) == doctest::Approx(p.tmr0 / 2));
}

TEST_CASE("MTJ I-V law and its derivative") {
  MtjParams p;
  for (double v : {-0.8, -0.3, 0.0, 0.2, 0.6}) {
    CAPTURE(v);
    Branch b = eval(p, MtjState::antiparallel, v, true);
    CHECK(b.i == doctest::Approx(v / p.r_antiparallel(v)));
    double h = 1e-6;
    double fd = (eval(p, MtjState::antiparallel, v + h, true).i - eval(p, MtjState::antiparallel, v - h, true).i) / (2 * h);
    CHECK(b.didv == doctest::Approx(fd).epsilon(1e-6));
    CHECK(eval(p, MtjState::parallel, v, true).i == doctest::Approx(v / p.r_parallel()));
    CHECK(eval(p, MtjState::antiparallel, v, false).i == doctest::Approx(v / p.r_antiparallel(0)));
  }
}

TEST_CASE("wire: size-effect resistivity and the 9 nm reference segments") {
  WireTech t;  // 9 nm node: 27 nm x 22 nm wires, 108 nm x 135 nm cells
  CHECK(t.width() == doctest::Approx(27e-9));
  CHECK(t.resistivity() / t.rho_bulk == doctest::Approx(2.6752).epsilon(1e-4));
  CHECK(t.input_segment_r() == doctest::Approx(9.24).epsilon(1e-3));
  CHECK(t.output_segment_r() == doctest::Approx(11.55).epsilon(1e-3));
  // With no size effects (lambda -> 0) the resistivity tends to bulk.
  WireTech bulk = t;
  bulk.mean_free_path = 1e-15;
  CHECK(bulk.resistivity() == doctest::Approx(t.rho_bulk).epsilon(1e-6));
  // Wider wires approach bulk from above.
  WireTech wide = t;
  wide.node = 1e-6;
  CHECK(wide.resistivity() < t.resistivity());
  CHECK(wide.resistivity() > t.rho_bulk);
}

TEST_CASE("wire capacitance follows Sakurai-Tamaru") {
  WireTech t;
  double eps = t.eps_r * 8.8541878128e-12, w = 27e-9, th = 22e-9, h = 20e-9;
  double cg = eps * (1.15 * w / h + 2.80 * std::pow(th / h, 0.222));
  CHECK(t.ground_c_per_m() == doctest::Approx(cg));
  double s = 45e-9;
  double cc = eps * (0.03 * w / h + 0.83 * th / h - 0.07 * std::pow(th / h, 0.222)) * std::pow(s / h, -1.34);
  CHECK(t.coupling_c_per_m(s) == doctest::Approx(cc));
  CHECK(t.output_segment_c() == doctest::Approx(135e-9 * (cg + cc)));
  CHECK(t.output_ground_c() + t.output_coupling_c() == doctest::Approx(t.output_segment_c()));
  CHECK(t.input_ground_c() + 2 * t.input_coupling_c() == doctest::Approx(t.input_segment_c()));
  CHECK(t.output_segment_c() > 0);
  CHECK(t.output_segment_c() < 1e-15);  // tens of attofarads per cell at 9 nm
}

TEST_CASE("parameter tables validate with errors naming the key") {
  WireTech t;
  t.specularity = 1.5;
  CHECK_THROWS_WITH_AS(validate(t, wire_table(), "interconnect"),
                       "interconnect.specularity: must be in [0, 1], got 1.5", spx::InputError);
  MtjParams m;
  m.ra = -1;
  CHECK_THROWS_WITH_AS(validate(m, mtj_table(), "mtj"), "mtj.ra: must be > 0 ohm.m^2, got -1", spx::InputError);
  CHECK_NOTHROW(validate(MtjParams{}, mtj_table(), "mtj"));
  CHECK(describe(mtj_table(), MtjParams{}, "mtj").find("mtj.tmr0") != std::string::npos);
}

TEST_CASE("synapse levels map to differential pairs with G+ - G- proportional to the weight") {
  SynapseMap m{5, 5e3, 15e3};
  double dg = 1 / 5e3 - 1 / 15e3;
  for (double w : {-1.0, -0.5, 0.0, 0.5, 1.0}) {
    CAPTURE(w);
    auto j = m.level_of(w);
    REQUIRE(j);
    auto [rp, rn] = m.resistances(*j);
    CHECK(1 / rp - 1 / rn == doctest::Approx(w * dg));
    CHECK(std::min(rp, rn) == doctest::Approx(5e3));  // one line always at R_low
  }
  CHECK_FALSE(m.level_of(0.3));
  CHECK_FALSE(m.level_of(1.5));
  SynapseMap bin{2, 5e3, 15e3};
  CHECK_FALSE(bin.level_of(0));
  CHECK(bin.resistances(1) == std::pair{5e3, 15e3});
  CHECK(bin.resistances(-1) == std::pair{15e3, 5e3});
  SynapseMap ter{3, 5e3, 15e3};
  CHECK(ter.resistances(*ter.level_of(0)) == std::pair{5e3, 5e3});
  SynapseMap eleven{11, 5e3, 15e3};
  CHECK(eleven.level_of(0.2) == 1);
  CHECK(eleven.level_of(-0.8) == -4);
}

TEST_CASE("variation: seeded per device, right spread, reproducible") {
  SynapseMap g{2, 5e3, 15e3, Variation::gaussian, 0.1};
  double sum = 0, sum2 = 0;
  const int n = 20000;
  for (int k = 0; k < n; ++k) {
    CellRng rng(7, 1, k, 3, Purpose::variation_plus);
    double d = g.vary(1.0, rng) - 1;
    sum += d;
    sum2 += d * d;
  }
  double mean = sum / n, sd = std::sqrt(sum2 / n - mean * mean);
  CHECK(std::fabs(mean) < 4 * 0.1 / std::sqrt(n));
  CHECK(sd == doctest::Approx(0.1).epsilon(0.03));
  SynapseMap u{2, 5e3, 15e3, Variation::uniform, 0.2};
  for (int k = 0; k < 1000; ++k) {
    CellRng rng(7, 1, k, 3, Purpose::variation_minus);
    double r = u.vary(100, rng);
    CHECK(r >= 80);
    CHECK(r <= 120);
  }
  CellRng a(42, 0, 5, 6, Purpose::variation_plus), b(42, 0, 5, 6, Purpose::variation_plus);
  CellRng c(42, 0, 6, 5, Purpose::variation_plus);
  double x = a.normal(), y = b.normal(), z = c.normal();
  CHECK(x == y);
  CHECK(x != z);
}

TEST_CASE("stochastic MTJ: mean state matches sigmoid(2 Delta I / Ic0) within statistical error") {
  SmtjParams p;
  for (double i : {-40e-6, -10e-6, 0.0, 15e-6, 50e-6}) {
    CAPTURE(i);
    double expect = 1 / (1 + std::exp(-2 * p.delta * i / p.ic0));
    CHECK(p.p_ap(i) == doctest::Approx(expect));
    // Bits read far apart compared to the dwell times are independent Bernoulli(p) samples.
    double period = 20 * std::max(p.dwell_ap(i), p.dwell_p(i));
    const int n = 20000;
    CellRng rng(11, 0, 0, static_cast<int64_t>(i * 1e9), Purpose::bitstream);
    auto bits = sample_bits(p, i, n, period, rng);
    double mean = 0;
    for (auto b : bits) mean += b;
    mean /= n;
    double sigma = std::sqrt(expect * (1 - expect) / n);
    CHECK(std::fabs(mean - expect) < 4 * sigma);
    // The time average of a long telegraph sequence converges to the same value.
    CellRng r2(12, 0, 0, static_cast<int64_t>(i * 1e9), Purpose::telegraph);
    Telegraph t = sample_telegraph(p, i, 4e4 * (p.dwell_ap(i) + p.dwell_p(i)), r2);
    CHECK(t.fraction_ap() == doctest::Approx(expect).epsilon(0.05));
  }
}

TEST_CASE("telegraph dwell times follow Neel-Brown means") {
  SmtjParams p;
  double i = 20e-6;
  CellRng rng(3, 0, 0, 0, Purpose::telegraph);
  Telegraph t = sample_telegraph(p, i, 2e5 * p.tau0 * std::exp(p.delta), rng);
  double ap = 0, pp = 0;
  int nap = 0, np = 0;
  bool s = t.initial_ap;
  for (size_t k = 1; k < t.switches.size(); ++k) {
    s = !s;  // state during (switches[k-1], switches[k])
    double d = t.switches[k] - t.switches[k - 1];
    if (s) { ap += d; ++nap; } else { pp += d; ++np; }
  }
  REQUIRE(nap > 1000);
  CHECK(ap / nap == doctest::Approx(p.dwell_ap(i)).epsilon(0.08));
  CHECK(pp / np == doctest::Approx(p.dwell_p(i)).epsilon(0.08));
}

TEST_CASE("telegraph PWL rendering is monotone in time and follows the state") {
  SmtjParams p;
  CellRng rng(5, 0, 0, 0, Purpose::telegraph);
  Telegraph t = sample_telegraph(p, 0, 50e-9, rng);
  auto pts = telegraph_pwl(t, 0.0, 1.0, 0.1e-9);
  REQUIRE(pts.size() >= 4);
  for (size_t k = 2; k < pts.size(); k += 2) CHECK(pts[k] > pts[k - 2]);
  CHECK(pts[1] == (t.initial_ap ? 1.0 : 0.0));
  CHECK(pts.back() == (t.state_at(50e-9) ? 1.0 : 0.0));
}

TEST_CASE("difference amplifier: effective gain with a finite op-amp") {
  AmplifierParams a;
  a.gain = 30;
  a.open_loop_gain = 1e3;
  CHECK(a.effective_gain() == doctest::Approx(30 * 1e3 / (1e3 + 31)));
  a.open_loop_gain = 1e12;
  CHECK(a.effective_gain() == doctest::Approx(30).epsilon(1e-9));
}
