// Native solver against closed forms: dividers, ladders, controlled sources, nonlinear B sources,
// RC/RL transients (exact backward-Euler recurrences and the continuous solution), sweeps, singular
// circuits named by node.
#include <doctest/doctest.h>

#include <cmath>

#include <fmt/format.h>

#include "devices/error.hpp"

#include "netlist/spice_reader.hpp"
#include "solver/native.hpp"

using namespace spx;
using solver::AnalysisResult;

namespace {

std::vector<AnalysisResult> run(const std::string& text, const solver::SolverOptions& o = {}) {
  auto c = netlist::read_spice_text(text, "t.cir");
  return solver::simulate_native(c, o);
}

/// Fixed steps of min(tstep, tmax) with the given formula.
solver::SolverOptions fixed(solver::Integration integration = solver::Integration::bdf2) {
  solver::SolverOptions o;
  o.integration = integration;
  o.adaptive = false;
  return o;
}

double op(const std::vector<AnalysisResult>& r, const std::string& name) {
  REQUIRE(!r.empty());
  REQUIRE(r[0].report.ok());
  auto it = r[0].vectors.find(name);
  REQUIRE_MESSAGE(it != r[0].vectors.end(), name);
  return it->second.at(0);
}

}  // namespace

TEST_CASE("voltage divider and source current sign (ngspice convention)") {
  auto r = run("div\nV1 in 0 1\nR1 in out 1k\nR2 out 0 3k\n.op\n");
  CHECK(op(r, "v(out)") == doctest::Approx(0.75).epsilon(1e-14));
  CHECK(op(r, "i(v1)") == doctest::Approx(-0.25e-3).epsilon(1e-14));
}

TEST_CASE("terminated R-2R ladder: v(k) = 2^-k exactly") {
  // 1k in series into node k, 2k shunts at nodes 1..n-1, and 1k ending the chain: seen from each
  // node the rest of the ladder is 1k + 1k = 2k, in parallel with its 2k shunt = 1k, so every series
  // 1k halves the voltage.
  const int n = 16;
  std::string t = "ladder\nV1 n0 0 1\n";
  for (int k = 1; k <= n; ++k) {
    t += "Rs" + std::to_string(k) + " n" + std::to_string(k - 1) + " n" + std::to_string(k) + " 1k\n";
    if (k < n) t += "Rp" + std::to_string(k) + " n" + std::to_string(k) + " 0 2k\n";
  }
  t += "Rt n" + std::to_string(n) + " 0 1k\n.op\n";
  auto r = run(t);
  for (int k = 1; k <= n; ++k) {
    CAPTURE(k);
    CHECK(op(r, "v(n" + std::to_string(k) + ")") == doctest::Approx(std::ldexp(1.0, -k)).epsilon(1e-12));
  }
}

TEST_CASE("controlled sources E G F H") {
  auto r = run(R"(ctl
V1 in 0 2
R0 in 0 1k
E1 e 0 in 0 -3
G1 0 g in 0 1m
Rg g 0 500
F1 0 f v1 4
Rf f 0 10
H1 h 0 v1 1k
.op
)");
  CHECK(op(r, "v(e)") == doctest::Approx(-6));
  CHECK(op(r, "v(g)") == doctest::Approx(2e-3 * 500));  // G pushes gm*v into g
  double iv1 = op(r, "i(v1)");
  CHECK(iv1 == doctest::Approx(-2e-3));
  CHECK(op(r, "v(f)") == doctest::Approx(4 * iv1 * 10));  // F: 4*i(v1) flows from 0 through F into f
  CHECK(op(r, "v(h)") == doctest::Approx(1e3 * iv1));
}

TEST_CASE("nonlinear B current source: v^2 + v - 1 = 0") {
  auto r = run("nl\nV1 1 0 1\nR1 1 n 1k\nB1 n 0 I={1e-3*v(n)^2}\n.op\n");
  CHECK(op(r, "v(n)") == doctest::Approx((std::sqrt(5.0) - 1) / 2).epsilon(1e-12));
  CHECK(r[0].report.iterations > 2);
}

TEST_CASE("exponential diode-like B source converges with damping") {
  // 5 V through 1k into Is*(exp(v/Vt)-1): check KCL at the solution.
  auto r = run("diode\nV1 1 0 5\nR1 1 d 1k\nB1 d 0 I={1e-14*(exp(v(d)/0.02585)-1)}\n.op\n");
  double v = op(r, "v(d)");
  double i_r = (5 - v) / 1e3, i_d = 1e-14 * (std::exp(v / 0.02585) - 1);
  CHECK(v > 0.5);
  CHECK(v < 0.8);
  CHECK(i_r == doctest::Approx(i_d).epsilon(1e-9));
}

TEST_CASE("behavioral voltage source with a current reference") {
  auto r = run("bv\nV1 a 0 1\nR1 a 0 100\nB1 b 0 V={tanh(v(a))+i(v1)*10}\nRb b 0 1k\n.op\n");
  CHECK(op(r, "v(b)") == doctest::Approx(std::tanh(1.0) - 0.1));
  CHECK(op(r, "i(b1)") == doctest::Approx(-(std::tanh(1.0) - 0.1) / 1e3));
}

TEST_CASE("RC charge with uic follows the backward-Euler recurrence and the exponential") {
  // v_n = v_{n-1} + h/tau (1 - v_n)  =>  v_n = 1 - (1 + h/tau)^-n
  auto r = run("rc\nV1 in 0 1\nR1 in out 1k\nC1 out 0 1u\n.tran 10u 5m uic\n", fixed(solver::Integration::be));
  REQUIRE(r[0].report.ok());
  const auto& t = r[0].scale;
  const auto& v = r[0].vectors.at("v(out)");
  REQUIRE(t.size() == 501);
  double tau = 1e-3, h = 1e-5;
  for (size_t k = 1; k < t.size(); ++k) {
    CHECK(t[k] == doctest::Approx(k * h));
    CHECK(v[k] == doctest::Approx(1 - std::pow(1 + h / tau, -static_cast<double>(k))).epsilon(1e-10));
    CHECK(std::fabs(v[k] - (1 - std::exp(-t[k] / tau))) < 0.5 * h / tau);
  }
  CHECK(r[0].factorizations <= 1);  // linear, fixed step: one factorization for the whole run
}

TEST_CASE("RC charge with BDF2: its recurrence exactly, and far closer to the exponential than BE") {
  // First step BE: v1 = (v0 + h/tau) / (1 + h/tau); then tau (3/2 v_n - 2 v_{n-1} + 1/2 v_{n-2}) / h = 1 - v_n.
  const char* text = "rc\nV1 in 0 1\nR1 in out 1k\nC1 out 0 1u\n.tran 10u 5m uic\n";
  auto r = run(text, fixed());
  auto be = run(text, fixed(solver::Integration::be));
  REQUIRE(r[0].report.ok());
  const auto& t = r[0].scale;
  const auto& v = r[0].vectors.at("v(out)");
  double q = 1e-5 / 1e-3;  // h / tau
  std::vector<double> ref{0, q / (1 + q)};
  for (size_t k = 2; k < t.size(); ++k) ref.push_back((q + 2 * ref[k - 1] - 0.5 * ref[k - 2]) / (1.5 + q));
  double err_bdf2 = 0, err_be = 0;
  for (size_t k = 1; k < t.size(); ++k) {
    CHECK(v[k] == doctest::Approx(ref[k]).epsilon(1e-10));
    double exact = 1 - std::exp(-t[k] / 1e-3);
    err_bdf2 = std::max(err_bdf2, std::fabs(v[k] - exact));
    err_be = std::max(err_be, std::fabs(be[0].vectors.at("v(out)")[k] - exact));
  }
  CHECK(err_bdf2 < err_be / 20);
  MESSAGE("RC, h = tau/100: max error BE ", err_be, ", BDF2 ", err_bdf2);
  CHECK(r[0].factorizations <= 2);  // one BE step, then a constant BDF2 matrix
}

TEST_CASE("RL current rise from the operating point of a pulse") {
  // Before the edge the inductor carries 0; after it, i -> V/R with tau = L/R.
  auto r = run("rl\nV1 in 0 PULSE(0 1 1u 1n 1n 1 1)\nR1 in m 100\nL1 m 0 1m\n.tran 0.1u 60u\n");
  REQUIRE(r[0].report.ok());
  const auto& t = r[0].scale;
  const auto& i = r[0].vectors.at("i(l1)");
  double tau = 1e-5;
  CHECK(i[0] == 0);
  bool checked = false;
  for (size_t k = 0; k < t.size(); ++k) {
    if (t[k] > 50e-6 && !checked) {
      double exact = 1e-2 * (1 - std::exp(-(t[k] - 1.001e-6) / tau));
      CHECK(i[k] == doctest::Approx(exact).epsilon(2e-3));
      checked = true;
    }
  }
  CHECK(checked);
}

TEST_CASE("time steps land on source corners") {
  auto r = run("bp\nV1 a 0 PULSE(0 1 0.33n 0.1n 0.1n 1n 5n)\nR1 a 0 1\n.tran 0.25n 3n\n", fixed());
  REQUIRE(r[0].report.ok());
  const auto& t = r[0].scale;
  for (double corner : {0.33e-9, 0.43e-9, 1.43e-9, 1.53e-9}) {
    bool hit = false;
    for (double x : t) hit = hit || std::fabs(x - corner) < 1e-18;
    CAPTURE(corner);
    CHECK(hit);
  }
  // A resistive circuit follows its source exactly at every point.
  const auto& v = r[0].vectors.at("v(a)");
  for (size_t k = 0; k < t.size(); ++k) {
    double s = t[k] <= 0.33e-9 ? 0 : t[k] < 0.43e-9 ? (t[k] - 0.33e-9) / 0.1e-9 : t[k] <= 1.43e-9 ? 1
               : t[k] < 1.53e-9 ? 1 - (t[k] - 1.43e-9) / 0.1e-9 : 0;
    CHECK(v[k] == doctest::Approx(s).epsilon(1e-9));
  }
}

TEST_CASE(".dc sweep of a divider") {
  auto r = run("sw\nV1 in 0 0\nR1 in out 1k\nR2 out 0 1k\n.dc v1 -1 1 0.5\n");
  REQUIRE(r[0].report.ok());
  REQUIRE(r[0].scale.size() == 5);
  for (size_t k = 0; k < 5; ++k) CHECK(r[0].vectors.at("v(out)")[k] == doctest::Approx(r[0].scale[k] / 2));
}

TEST_CASE("singular circuits are reported with the node or source by name") {
  auto f = run("fl\nV1 a 0 1\nR1 a 0 1k\nC1 a lonely 1p\n.op\n");
  CHECK(f[0].report.status == solver::SolveReport::Status::singular);
  CHECK(f[0].report.detail == "singular matrix: floating node 'lonely' (no DC path to ground)");
  auto pair = run("fp\nV1 a 0 1\nR1 a 0 1k\nR2 p q 1k\nI1 p q 1m\n.op\n");
  CHECK(pair[0].report.detail == "singular matrix: floating node 'p' (no DC path to ground)");
  auto loop = run("vl\nV1 a 0 1\nV2 a 0 2\nR1 a 0 1k\n.op\n");
  CHECK(loop[0].report.status == solver::SolveReport::Status::singular);
  CHECK(loop[0].report.detail.find("voltage sources or inductors form a loop") != std::string::npos);
}

TEST_CASE("an expression outside its domain fails with the unknown named") {
  auto r = run("dom\nV1 a 0 -2\nB1 b 0 V={sqrt(v(a))}\nR1 b 0 1\n.op\n");
  CHECK(r[0].report.status == solver::SolveReport::Status::no_convergence);
  CHECK(r[0].report.detail.rfind("expression of b1 is not finite (outside its domain?) at v(a) = -2", 0) == 0);
}

TEST_CASE(".dc sweep of a current source into a resistor") {
  auto r = run("isw\nI1 0 a 0\nR1 a 0 2k\n.dc i1 0 1m 0.25m\n");
  REQUIRE(r[0].report.ok());
  REQUIRE(r[0].scale.size() == 5);
  for (size_t k = 0; k < 5; ++k) CHECK(r[0].vectors.at("v(a)")[k] == doctest::Approx(r[0].scale[k] * 2e3));
}

TEST_CASE(".tran reports from tstart and never steps beyond tmax") {
  auto r = run("tm\nV1 a 0 SIN(0 1 1meg)\nR1 a 0 1\n.tran 100n 2u 1u 20n\n", fixed());
  REQUIRE(r[0].report.ok());
  const auto& t = r[0].scale;
  REQUIRE(!t.empty());
  CHECK(t.front() >= 1e-6 - 1e-15);
  CHECK(t.back() == doctest::Approx(2e-6));
  for (size_t k = 1; k < t.size(); ++k) CHECK(t[k] - t[k - 1] <= 20e-9 * (1 + 1e-9));
  CHECK(t.size() == 51);  // 1 us to 2 us in 20 ns steps, both ends included
}

TEST_CASE("Cholesky (grounded sources eliminated) and LU give the same answers") {
  // Random resistor networks with grounded voltage sources of both orientations, current sources
  // and capacitors, operating point and transient.
  for (uint32_t seed : {1u, 2u, 3u}) {
    std::string t = "spd\n";
    uint32_t s = seed;
    auto rnd = [&] { s = s * 1664525u + 1013904223u; return (s >> 8) / 16777216.0; };
    const int n = 60;
    for (int k = 1; k <= n; ++k) {
      t += fmt::format("ra{} n{} n{} {}\n", k, k, static_cast<int>(rnd() * k), 10 + 1e4 * rnd());
      t += fmt::format("rb{} n{} n{} {}\n", k, k, 1 + static_cast<int>(rnd() * n), 10 + 1e4 * rnd());
      if (k % 7 == 0) t += fmt::format("c{} n{} 0 {}p\n", k, k, 1 + 10 * rnd());
    }
    t += "v1 n3 0 1\nv2 0 n11 0.4\nv3 n20 0 PULSE(0 1 1n 1n 1n 5n 20n)\ni1 n5 n9 1m\n";
    t += ".op\n.tran 0.5n 10n\n";
    auto c = netlist::read_spice_text(t, "spd.cir");
    // Fixed steps: adaptive step decisions could differ by rounding and then compare different grids.
    solver::SolverOptions lu_opt = fixed(), ch_opt = fixed();
    lu_opt.method = solver::Method::lu;
    ch_opt.method = solver::Method::cholesky;
    solver::NodalSystem lu(c, lu_opt), ch(c, ch_opt);
    CHECK(lu.method() == solver::Method::lu);
    CHECK(ch.method() == solver::Method::cholesky);
    CHECK(solver::NodalSystem(c).method() == solver::Method::cholesky);
    for (const auto& a : c.analyses) {
      auto rl = solver::run_analysis(c, lu, a, lu_opt), rc = solver::run_analysis(c, ch, a, ch_opt);
      REQUIRE(rl.report.ok());
      REQUIRE(rc.report.ok());
      REQUIRE(rl.scale.size() == rc.scale.size());
      for (const auto& [name, v] : rl.vectors) {
        const auto& w = rc.vectors.at(name);
        double scale = name[0] == 'v' ? 1.0 : 1e-3;
        for (size_t k = 0; k < v.size(); ++k) CHECK(std::fabs(v[k] - w[k]) <= 1e-10 * scale);
      }
    }
  }
}

TEST_CASE("Cholesky path: source current signs, floating groups, refusal when not applicable") {
  auto r = run("signs\nV1 a 0 2\nV2 0 b 3\nR1 a b 1k\n.op\n");
  CHECK(op(r, "v(b)") == doctest::Approx(-3));
  CHECK(op(r, "i(v1)") == doctest::Approx(-5e-3));  // 5 mA leaves V1's + terminal into R1
  CHECK(op(r, "i(v2)") == doctest::Approx(-5e-3));  // and returns through V2 from b to ground: b -> 0 is - to +
  auto f = run("float\nV1 a 0 1\nR1 a 0 1k\nR2 p q 1k\n.op\n");
  CHECK(f[0].report.detail == "singular matrix: floating node 'p' (no DC path to ground)");
  auto c = netlist::read_spice_text("e\nV1 a 0 1\nE1 b 0 a 0 2\nR1 b 0 1k\n.op\n", "e.cir");
  solver::SolverOptions o;
  o.method = solver::Method::cholesky;
  CHECK_THROWS_WITH_AS(solver::NodalSystem(c, o),
                       "solver method cholesky: the circuit has elements that need LU (controlled, behavioral or "
                       "floating sources, inductors)",
                       InputError);
  CHECK(solver::NodalSystem(c).method() == solver::Method::lu);
}

TEST_CASE("adaptive steps: small where the solution bends, large where it is smooth, error bounded") {
  // RC step response: the error control must keep every point near the exponential and use far fewer
  // steps than a fixed step that is as accurate.
  const char* text = "rc\nV1 in 0 PULSE(0 1 1u 1n 1n 1 2)\nR1 in out 1k\nC1 out 0 1n\n.tran 1u 20u\n";
  solver::SolverOptions o;
  o.adaptive = true;
  auto r = run(text, o);
  REQUIRE(r[0].report.ok());
  const auto& t = r[0].scale;
  const auto& v = r[0].vectors.at("v(out)");
  double tau = 1e-6, worst = 0, smallest = 1, largest = 0;
  for (size_t k = 1; k < t.size(); ++k) {
    double tr = t[k] - 1.001e-6;  // the ramp ends at 1.001 us
    double exact = t[k] <= 1e-6 ? 0 : tr <= 0 ? 0 : 1 - std::exp(-tr / tau);
    if (t[k] > 1.05e-6) worst = std::max(worst, std::fabs(v[k] - exact));
    smallest = std::min(smallest, t[k] - t[k - 1]);
    largest = std::max(largest, t[k] - t[k - 1]);
  }
  MESSAGE("adaptive RC: ", t.size(), " points, steps ", smallest, " .. ", largest, " s, max error ", worst,
          ", rejected ", r[0].rejected_steps);
  CHECK(worst < 2e-3);
  CHECK(largest == doctest::Approx(1e-6));  // grows to the maximum step once the response has settled
  CHECK(smallest < 1e-8);                  // and is small right after the edge
  CHECK(t.size() < 200);
}

TEST_CASE("gmin stepping rescues a Newton that fails from a poor start") {
  // A steep diode-like element behind a large resistor: plain damped Newton from the linear pre-solve
  // point is given few iterations; the fallbacks must still reach the KCL solution.
  auto c = netlist::read_spice_text(
      "g\nV1 1 0 20\nR1 1 d 10meg\nB1 d 0 I={1e-15*(exp(v(d)/0.01)-1)}\nR2 d 0 1g\n.op\n", "g.cir");
  solver::SolverOptions o;
  o.max_newton = 8;
  auto r = solver::simulate_native(c, o);
  REQUIRE_MESSAGE(r[0].report.ok(), r[0].report.detail);
  CHECK(r[0].report.fallback == "gmin stepping");
  double v = r[0].vectors.at("v(d)")[0];
  double i_in = (20 - v) / 10e6 - v / 1e9, i_d = 1e-15 * (std::exp(v / 0.01) - 1);
  CHECK(i_in == doctest::Approx(i_d).epsilon(1e-6));
}

TEST_CASE(".save: the native solver records only the named vectors") {
  auto c = netlist::read_spice_text("t\nV1 in 0 1\nR1 in mid 1k\nR2 mid 0 1k\nC1 mid 0 1p\n.save v(mid) i(v1)\n.tran 0.1n 1n\n.op\n",
                                    "s.cir");
  auto res = solver::simulate_native(c);
  REQUIRE(res.size() == 2);
  for (const auto& r : res) {
    CHECK(r.vectors.size() == 2);
    CHECK(r.vectors.count("v(mid)") == 1);
    CHECK(r.vectors.count("i(v1)") == 1);
  }
  CHECK(res[1].vectors.at("v(mid)")[0] == doctest::Approx(0.5));
}

TEST_CASE("changing source values without a rebuild gives the bits of a fresh build") {
  // A nonlinear (LU) circuit and a linear RC (Cholesky) one: one system, the sources changed between
  // runs, against a new system per run.
  for (const char* text : {"t\nV1 in 0 1\nR1 in a 1k\nC1 a 0 1p\nB1 b 0 V={tanh(2*v(a))}\nR2 b 0 1k\nC2 b 0 2p\n.tran 0.1n 5n\n",
                           "t\nV1 in 0 1\nR1 in a 1k\nC1 a 0 1p\nR2 a b 2k\nC2 b 0 2p\nR3 b 0 1k\n.tran 0.1n 5n\n"}) {
    auto c = netlist::read_spice_text(text, "r.cir");
    const auto v1 = *c.find_element("v1");
    solver::NodalSystem sys(c);
    for (double v : {0.3, -0.7, 1.1}) {
      c.elements[v1].wave = devices::Waveform{devices::WaveKind::pwl, 0, false, {0, 0, 1e-9, v}};
      sys.reset_numeric();
      auto reused = solver::run_analysis(c, sys, c.analyses[0]);
      netlist::Circuit fresh_c = c;
      auto fresh = solver::simulate_native(fresh_c);
      REQUIRE(reused.report.ok());
      REQUIRE(fresh.size() == 1);
      CHECK(reused.scale == fresh[0].scale);
      CHECK(reused.vectors == fresh[0].vectors);
    }
  }
}

TEST_CASE("a linear LU circuit solved again after reset_numeric factorizes afresh") {
  // Unchanged values after reset_numeric: the factors were dropped, so the solve must factor again.
  auto c = netlist::read_spice_text("t\nV1 in 0 2\nR1 in a 1k\nE1 b 0 a 0 3\nR2 b 0 1k\nR3 a 0 1k\n.op\n", "e.cir");
  solver::NodalSystem sys(c);
  REQUIRE(sys.method() == solver::Method::lu);
  auto first = solver::run_analysis(c, sys, c.analyses[0]);
  sys.reset_numeric();
  auto again = solver::run_analysis(c, sys, c.analyses[0]);
  REQUIRE(again.report.ok());
  CHECK(again.vectors.at("v(b)")[0] == doctest::Approx(3.0));
  CHECK(again.vectors == first.vectors);
}

TEST_CASE("transient Newton: chord iterations agree with full Newton and factorize far less") {
  // An amplifier-like loop: a saturating transconductance (tanh) into an RC node fed back through a
  // resistor divider, driven by a pulse train; every time point needs Newton.
  const char* text =
      "t\nV1 in 0 pulse(-1 1 0.2n 50p 50p 0.7n 1.5n)\nR1 in n 1k\nR2 n o 4k\n"
      "B1 0 c I={1e-3*tanh(20*(0-v(n)))}\nRc c 0 100k\nCc c 0 0.2p\nE1 o 0 c 0 1\nCo o 0 5f\n"
      "B2 y 0 V={1/(1+exp(v(o)/0.1))}\nRy y 0 10k\nCy y 0 2f\n.tran 10p 6n\n";
  auto c = netlist::read_spice_text(text, "chord.cir");
  solver::SolverOptions chord, full;
  full.chord = false;
  auto a = solver::simulate_native(c, chord), b = solver::simulate_native(c, full);
  REQUIRE(a[0].report.ok());
  REQUIRE(b[0].report.ok());
  REQUIRE(a[0].scale == b[0].scale);
  double worst = 0, swing = 0;
  for (const char* v : {"v(o)", "v(y)", "v(c)"}) {
    const auto& x = a[0].vectors.at(v);
    const auto& y = b[0].vectors.at(v);
    for (size_t k = 0; k < x.size(); ++k) {
      worst = std::max(worst, std::fabs(x[k] - y[k]));
      swing = std::max(swing, std::fabs(y[k]));
    }
  }
  MESSAGE("chord: ", a[0].factorizations, " factorizations, full Newton: ", b[0].factorizations, ", largest difference ",
          worst, " V");
  CHECK(swing > 0.5);
  CHECK(worst < 1e-7);
  CHECK(a[0].factorizations * 3 < b[0].factorizations);
}
