// The s-MTJ p-bit: a low-barrier MTJ on a spin-orbit-torque channel (three terminals, after Camsari
// et al., "Stochastic p-bits for invertible logic", Phys. Rev. X 7, 031014, 2017). The input current
// I flows through the channel and tilts the free layer; the junction is read by a divider against
// r_ref at v_read into a comparator whose output is 1 in AP (the divider node is low) and 0 in P.
// Neel-Brown dwell times, with the read current i_s of state s adding spin-transfer torque:
//   x_s    = (I - i_offset) / ic0 + i_s / ic0_read,      i_s = v_read / (R_s + r_ref)
//   tau_AP = tau0 exp(delta (1 + x_AP)),   tau_P = tau0 exp(delta (1 - x_P))
// so the probability of a 1 is an exact logistic of the input current,
//   p(I) = tau_AP / (tau_AP + tau_P) = sigmoid(delta (2 (I - i_offset) / ic0 + (i_AP + i_P) / ic0_read)),
// and the state relaxes with the correlation time tau_c = tau_AP tau_P / (tau_AP + tau_P). Read at
// a clock of period T, successive bits of a two-state Markov process at constant I have the lag-one
// correlation rho = exp(-T / tau_c): the next bit is 1 with probability p + (b - p) rho given the
// current bit b (exact for a rate-constant process sampled at T).
// Energy per bit (one clock): the divider's read power, the channel's I^2 r_channel, the comparator
// output's c_out vdd^2 per rising edge (one per AP dwell: rate 1 / (tau_AP + tau_P)) and one sampling
// latch event e_sample.
#pragma once

#include <string>
#include <vector>

#include "devices/params.hpp"

namespace spx::devices {

/// An s-MTJ p-bit: device, read circuit and clock.
struct PbitParams {
  // Defaults: the "pmtj-ns" preset (pbit.cpp, sources there).
  double delta = 5.598;      ///< thermal stability factor E_b / kT of the free layer
  double tau0 = 1e-11;       ///< s, attempt time
  double ic0 = 56e-6;        ///< A, channel current scale of the dwell-time exponent
  double i_offset = 0;       ///< A, channel current at which both dwells are equal without read current
  double r_p = 7.6e3;        ///< ohm, junction resistance in P
  double tmr = 1.0;          ///< tunnel magnetoresistance (R_AP = r_p (1 + tmr))
  double ic0_read = 56e-6;   ///< A, spin-transfer current scale of the read current through the junction
  double r_ref = 10.75e3;    ///< ohm, divider reference resistor (sqrt(R_P R_AP): symmetric levels)
  double v_read = 0.1;       ///< V, divider supply
  double vdd = 0.8;          ///< V, comparator supply (output high)
  double c_out = 1e-15;      ///< F, comparator output load
  double r_channel = 1.3e3;  ///< ohm, spin-orbit channel resistance (input path)
  double e_sample = 2e-15;   ///< J, sampling latch energy per bit
  double clock = 2e-9;       ///< s, bit period

  double r_ap() const { return r_p * (1 + tmr); }
  double read_current(bool ap) const { return v_read / ((ap ? r_ap() : r_p) + r_ref); }  ///< A
  double divider(bool ap) const { return v_read * r_ref / ((ap ? r_ap() : r_p) + r_ref); }  ///< V
  double threshold() const { return (divider(false) + divider(true)) / 2; }  ///< V, comparator
  double dwell_ap(double i) const;       ///< s, mean AP dwell at channel current i
  double dwell_p(double i) const;        ///< s, mean P dwell at channel current i
  double p_one(double i) const;          ///< probability of a 1 (AP) at channel current i
  double tau_corr(double i) const;       ///< s, correlation time at channel current i
  double rho(double i) const;            ///< lag-one correlation of bits read every clock
  double current_for(double p) const;    ///< A, channel current that gives probability p in (0, 1)
  double current_per_logit() const;      ///< A, channel current per unit of logit(p)
  double energy_per_bit(double i) const; ///< J, one clock at channel current i (closed form)
};

/// Parameter table of PbitParams (config section "smtj").
const std::vector<ParamSpec<PbitParams>>& pbit_table();

/// A named device preset with its source.
struct PbitPreset {
  std::string name;
  std::string source;
  PbitParams params;
};
/// The built-in presets; the first is the default.
const std::vector<PbitPreset>& pbit_presets();
/// The preset called `name`; throws InputError naming `key` and the known names otherwise.
const PbitPreset& pbit_preset(const std::string& name, const std::string& key);

/// Checks ranges and that the read circuit tells the two states apart; throws InputError naming
/// "section.key".
void validate(const PbitParams& p, std::string_view section);

}  // namespace spx::devices
