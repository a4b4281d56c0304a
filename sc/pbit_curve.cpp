// p-bit characterization (pbit_curve.hpp).
#include "sc/pbit_curve.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <stdexcept>

#include "devices/error.hpp"
#include "devices/interrupt.hpp"
#include "devices/limits.hpp"
#include "devices/random.hpp"
#include "netlist/pbit_cell.hpp"
#include "solver/native.hpp"
#include "solver/ngspice.hpp"

namespace spx::sc {

namespace {

/// The cell's circuit for a window of `bits` clocks of telegraph t.
netlist::Circuit cell_circuit(const devices::PbitParams& p, const devices::Telegraph& t, double current, int bits,
                              int steps, netlist::PbitCell& cell) {
  netlist::Circuit c;
  c.title = "spinxbar p-bit characterization";
  cell = netlist::add_pbit_cell(c, "pb", p, t, current, p.clock / 100);
  netlist::Analysis a;
  a.kind = netlist::AnalysisKind::tran;
  a.tstep = p.clock / steps;
  a.tstop = p.clock * bits;
  c.analyses.push_back(a);
  return c;
}

/// Linear interpolation of v at time t on the increasing scale ts.
double value_at(const std::vector<double>& ts, const std::vector<double>& v, double t) {
  auto it = std::lower_bound(ts.begin(), ts.end(), t);
  if (it == ts.begin()) return v.front();
  if (it == ts.end()) return v.back();
  const size_t k = static_cast<size_t>(it - ts.begin());
  const double f = (t - ts[k - 1]) / (ts[k] - ts[k - 1]);
  return v[k - 1] + f * (v[k] - v[k - 1]);
}

/// The comparator's bits: v(out) above vdd / 2 at the end of each clock period.
std::vector<uint8_t> bits_of(const std::vector<double>& ts, const std::vector<double>& out, double clock, double vdd, int n) {
  std::vector<uint8_t> b(static_cast<size_t>(n));
  for (int k = 0; k < n; ++k) b[static_cast<size_t>(k)] = value_at(ts, out, (k + 1) * clock) > vdd / 2 ? 1 : 0;
  return b;
}

double mean_of(const std::vector<uint8_t>& b, size_t n) {
  double s = 0;
  for (size_t k = 0; k < n; ++k) s += b[k];
  return n ? s / static_cast<double>(n) : 0.0;
}

double lag_one(const std::vector<uint8_t>& b) {
  const double m = mean_of(b, b.size()), var = m * (1 - m);
  if (var <= 0 || b.size() < 3) return 0;
  double c = 0;
  for (size_t k = 0; k + 1 < b.size(); ++k) c += (b[k] - m) * (b[k + 1] - m);
  return c / static_cast<double>(b.size() - 1) / var;
}

}  // namespace

PbitCurve characterize_pbit(const devices::PbitParams& p, const PbitCurveOptions& o) {
  devices::validate(p, "smtj");
  if (o.points < 2 || o.points > 1001) fail("pbit: --points: must be in [2, 1001], got {}", o.points);
  if (o.bits < 10 || o.bits > 10000000) fail("pbit: --bits: must be in [10, 10000000], got {}", o.bits);
  if (o.ngspice_bits < 0 || o.ngspice_bits > o.bits)
    fail("pbit: --ngspice-bits: must be in [0, --bits = {}], got {}", o.bits, o.ngspice_bits);
  if (!(o.logit_span > 0 && o.logit_span <= 30)) fail("pbit: --span: must be in (0, 30], got {}", o.logit_span);
  check_points(static_cast<double>(o.bits) * o.steps_per_clock, "pbit: --bits", "time points per current (bits x 10)");
  const auto t0 = std::chrono::steady_clock::now();
  PbitCurve curve;
  curve.current_p50 = p.current_for(0.5);
  curve.usable_rate = 1 / (p.tau_corr(curve.current_p50) * std::log(10.0));
  solver::SolverOptions so;
  for (int k = 0; k < o.points; ++k) {
    check_interrupt();
    PbitPoint pt;
    pt.logit = -o.logit_span + 2 * o.logit_span * k / (o.points - 1);
    pt.current = curve.current_p50 + p.current_per_logit() * pt.logit;
    pt.p_closed = p.p_one(pt.current);
    pt.rho_closed = p.rho(pt.current);
    pt.tau_closed = p.tau_corr(pt.current);
    pt.energy_closed = p.energy_per_bit(pt.current);
    pt.bits = o.bits;
    devices::CellRng rng(o.seed, 0, k, 0, devices::Purpose::telegraph);
    const devices::Telegraph tele =
        devices::sample_telegraph_dwells(p.dwell_ap(pt.current), p.dwell_p(pt.current), p.clock * o.bits, rng);
    netlist::PbitCell cell;
    const netlist::Circuit c = cell_circuit(p, tele, pt.current, o.bits, o.steps_per_clock, cell);
    const std::string vout = "v(" + c.node_name(cell.out) + ")", iread = "i(" + cell.read_source + ")";
    so.save = {vout, iread};
    auto res = solver::simulate_native(c, so);
    if (res.empty() || !res[0].report.ok())
      throw std::runtime_error(fmt::format("p-bit transient at {:.4g} A failed: {}", pt.current,
                                           res.empty() ? "no result" : res[0].report.detail));
    const auto& ts = res[0].scale;
    const auto& out = res[0].vectors.at(vout);
    const auto& ir = res[0].vectors.at(iread);
    const auto bits = bits_of(ts, out, p.clock, p.vdd, o.bits);
    pt.p_native = mean_of(bits, bits.size());
    pt.rho_measured = lag_one(bits);
    // Energy: the read supply (its branch current is negative while it delivers), the comparator's
    // load charged once per rising edge, the channel, and the sampling latch.
    double e_read = 0;
    int rising = 0;
    for (size_t k2 = 1; k2 < ts.size(); ++k2) {
      e_read += -p.v_read * 0.5 * (ir[k2] + ir[k2 - 1]) * (ts[k2] - ts[k2 - 1]);
      if (out[k2 - 1] <= p.vdd / 2 && out[k2] > p.vdd / 2) ++rising;
    }
    const double duration = p.clock * o.bits;
    pt.energy_circuit = (e_read + rising * p.c_out * p.vdd * p.vdd + pt.current * pt.current * p.r_channel * duration +
                         o.bits * p.e_sample) / o.bits;
    if (o.ngspice_bits > 0) {
      devices::Telegraph window = tele;
      window.duration = p.clock * o.ngspice_bits;
      std::erase_if(window.switches, [&](double s) { return s >= window.duration; });
      netlist::PbitCell wc;
      const netlist::Circuit w = cell_circuit(p, window, pt.current, o.ngspice_bits, o.steps_per_clock, wc);
      auto run = solver::ngspice_session().run(w);
      if (!run.ok || run.analyses.empty()) throw std::runtime_error("p-bit transient failed in ngspice: " + run.error);
      const auto& a = run.analyses[0];
      const auto nb = bits_of(a.scale, a.vectors.at(vout), p.clock, p.vdd, o.ngspice_bits);
      pt.p_ngspice = mean_of(nb, nb.size());
      pt.p_native_window = mean_of(bits, static_cast<size_t>(o.ngspice_bits));
    }
    curve.points.push_back(pt);
  }
  curve.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return curve;
}

std::string curve_csv(const PbitCurve& c) {
  std::string s =
      "current_a,logit,p_closed,p_native,rho_closed,rho_measured,tau_corr_s,energy_per_bit_circuit_j,"
      "energy_per_bit_closed_j,bits,p_native_window,p_ngspice\n";
  for (const auto& p : c.points)
    s += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", p.current, p.logit, p.p_closed, p.p_native, p.rho_closed,
                     p.rho_measured, p.tau_closed, p.energy_circuit, p.energy_closed, p.bits,
                     p.p_ngspice < 0 ? std::string() : fmt::format("{}", p.p_native_window),
                     p.p_ngspice < 0 ? std::string() : fmt::format("{}", p.p_ngspice));
  return s;
}

}  // namespace spx::sc
