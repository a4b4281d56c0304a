// s-MTJ p-bit laws and presets (pbit.hpp).
#include "devices/pbit.hpp"

#include <cmath>

namespace spx::devices {

namespace {
double exponent_x(const PbitParams& p, double i, bool ap) { return (i - p.i_offset) / p.ic0 + p.read_current(ap) / p.ic0_read; }
}  // namespace

double PbitParams::dwell_ap(double i) const { return tau0 * std::exp(delta * (1 + exponent_x(*this, i, true))); }
double PbitParams::dwell_p(double i) const { return tau0 * std::exp(delta * (1 - exponent_x(*this, i, false))); }

double PbitParams::p_one(double i) const {
  // sigmoid(delta (x_AP + x_P)), written without forming the (possibly overflowing) dwell times.
  return 1 / (1 + std::exp(-delta * (exponent_x(*this, i, true) + exponent_x(*this, i, false))));
}

double PbitParams::tau_corr(double i) const {
  // tau_AP tau_P / (tau_AP + tau_P) = 1 / (1/tau_AP + 1/tau_P), from the exponents directly.
  const double a = -delta * (1 + exponent_x(*this, i, true)), b = -delta * (1 - exponent_x(*this, i, false));
  const double m = std::max(a, b);
  return tau0 * std::exp(-m) / (std::exp(a - m) + std::exp(b - m));
}

double PbitParams::rho(double i) const { return std::exp(-clock / tau_corr(i)); }

double PbitParams::current_per_logit() const { return ic0 / (2 * delta); }

double PbitParams::current_for(double p) const {
  const double logit = std::log(p / (1 - p));
  return i_offset + current_per_logit() * logit - ic0 * (read_current(true) + read_current(false)) / (2 * ic0_read);
}

double PbitParams::energy_per_bit(double i) const {
  const double p = p_one(i);
  const double read = v_read * (p * read_current(true) + (1 - p) * read_current(false)) * clock;
  const double channel = i * i * r_channel * clock;
  // One rising output edge per AP dwell: rate 1 / (tau_AP + tau_P) = p (1 - p) / tau_c.
  const double edges = clock * p * (1 - p) / tau_corr(i);
  return read + channel + c_out * vdd * vdd * edges + e_sample;
}

const std::vector<ParamSpec<PbitParams>>& pbit_table() {
  static const std::vector<ParamSpec<PbitParams>> t = {
      {"delta", &PbitParams::delta, "", "thermal stability factor Eb/kT of the free layer", 0, 60, true},
      {"tau0", &PbitParams::tau0, "s", "attempt time", 1e-13, 1e-6},
      {"ic0", &PbitParams::ic0, "A", "channel current scale of the dwell-time exponent", 0, 1, true},
      {"i_offset", &PbitParams::i_offset, "A", "channel current of equal dwells without read current", -1, 1},
      {"r_p", &PbitParams::r_p, "ohm", "junction resistance in P", 0, 1e9, true},
      {"tmr", &PbitParams::tmr, "", "tunnel magnetoresistance (R_AP = r_p (1 + tmr))", 0, 100, true},
      {"ic0_read", &PbitParams::ic0_read, "A", "spin-transfer current scale of the read current", 0, 1, true},
      {"r_ref", &PbitParams::r_ref, "ohm", "divider reference resistor", 0, 1e9, true},
      {"v_read", &PbitParams::v_read, "V", "divider supply", 0, 10, true},
      {"vdd", &PbitParams::vdd, "V", "comparator supply", 0, 10, true},
      {"c_out", &PbitParams::c_out, "F", "comparator output load", 0, 1e-9},
      {"r_channel", &PbitParams::r_channel, "ohm", "spin-orbit channel resistance", 0, 1e9},
      {"e_sample", &PbitParams::e_sample, "J", "sampling latch energy per bit", 0, 1e-9},
      {"clock", &PbitParams::clock, "s", "bit period", 1e-12, 1e-3},
  };
  return t;
}

const std::vector<PbitPreset>& pbit_presets() {
  static const std::vector<PbitPreset> presets = [] {
    std::vector<PbitPreset> v;
    // Perpendicular s-MTJ, 50 nm diameter, mean dwell times down to 2.7 ns (L. Soumah et al.,
    // "Entropy-assisted nanosecond stochastic operation in perpendicular superparamagnetic tunnel
    // junctions", arXiv:2402.03452, 2024). tau0 = 10 ps, the short end of the usual 10 ps..1 ns range
    // (that work finds even shorter, entropic prefactors), so delta = ln(2.7 ns / 10 ps) = 5.60.
    // R_P from RA = 15 ohm um^2 over a 50 nm disk (the RA of L. Schnitzspan et al., Phys. Rev. Applied
    // 20, 024002, 2023); TMR 100 %. ic0 = 2 delta x 5 uA: p swings from 0.12 to 0.88 over +-10 uA,
    // the tens-of-uA tuning range of 50 nm s-MTJs at ~1 MA/cm^2 (Schnitzspan et al.). The read
    // current's torque has the same scale. Channel: a beta-W strip (~200 uOhm cm, C.-F. Pai et al.,
    // Appl. Phys. Lett. 101, 122404, 2012) 200 nm x 100 nm x 3 nm, 1.3 kOhm. Clock 2 ns: bits keep
    // a lag-one correlation of about 0.2 at p = 0.5 (tau_c = 1.3 ns), which training models.
    PbitPreset ns;
    ns.name = "pmtj-ns";
    ns.source = "Soumah et al., arXiv:2402.03452 (2024): 50 nm perpendicular s-MTJ, 2.7 ns mean dwell";
    v.push_back(ns);
    // In-plane s-MTJ, 50 nm diameter, dwell times below 10 ns, autocorrelation times down to 5 ns,
    // RA 15 ohm um^2, ~20 uA operating current (Schnitzspan et al., Phys. Rev. Applied 20, 024002,
    // 2023): tau_c = 5 ns, so a 10 ns mean dwell at p = 0.5; tau0 = 10 ps gives delta = 6.91. Clock
    // 8 ns keeps the same lag-one correlation (~0.2) as pmtj-ns at 2 ns.
    PbitPreset ip;
    ip.name = "imtj-ns";
    ip.source = "Schnitzspan et al., Phys. Rev. Applied 20, 024002 (2023): 50 nm in-plane s-MTJ, 5 ns autocorrelation";
    ip.params.delta = 6.908;
    ip.params.ic0 = 2 * 6.908 * 5e-6;
    ip.params.ic0_read = ip.params.ic0;
    ip.params.clock = 8e-9;
    v.push_back(ip);
    return v;
  }();
  return presets;
}

const PbitPreset& pbit_preset(const std::string& name, const std::string& key) {
  std::string known;
  for (const auto& p : pbit_presets()) {
    if (p.name == name) return p;
    known += (known.empty() ? "" : ", ") + p.name;
  }
  fail("{}: unknown preset '{}' (known: {})", key, clip(name), known);
}

void validate(const PbitParams& p, std::string_view section) {
  validate(p, pbit_table(), section);
  // The comparator must see two distinct levels, and the read current must not pin the state: the
  // read-current shift of the exponent stays below 1 (below the barrier).
  if (p.read_current(false) / p.ic0_read >= 1)
    fail("{}.v_read: the read current {:.3g} A reaches ic0_read {:.3g} A and pins the junction", section,
         p.read_current(false), p.ic0_read);
}

}  // namespace spx::devices
