// Stochastic (low-barrier) MTJ: random telegraph switching between P and AP. Neel-Brown dwell times
// under a current I (positive I favours AP):
//   tau_AP = tau0 exp(Delta (1 + I/Ic0)),   tau_P = tau0 exp(Delta (1 - I/Ic0)),
// each dwell exponentially distributed with that mean. The stationary probability of AP is
//   p_AP = tau_AP / (tau_AP + tau_P) = 1 / (1 + exp(-2 Delta I / Ic0)) = sigmoid(2 Delta I / Ic0).
// A telegraph sequence starts from the stationary distribution and alternates exponential dwells;
// a bitstream reads the state (AP = 1) at every clock edge. Both come from a per-device seeded
// stream, and are rendered for SPICE as a PWL waveform of the device state, so both backends see the
// same sequence.
#pragma once

#include <cstdint>
#include <vector>

#include "devices/params.hpp"
#include "devices/random.hpp"

namespace spx::devices {

/// Stochastic MTJ parameters.
struct SmtjParams {
  double delta = 2.0;     ///< thermal stability factor E_b / kT (low barrier)
  double tau0 = 1e-9;     ///< s, attempt time
  double ic0 = 50e-6;     ///< A, critical current scale

  double dwell_ap(double i) const;  ///< s, mean dwell in AP at current i
  double dwell_p(double i) const;   ///< s, mean dwell in P at current i
  double p_ap(double i) const;      ///< stationary probability of AP
};

/// Parameter table of SmtjParams (config section "smtj").
const std::vector<ParamSpec<SmtjParams>>& smtj_table();

/// A telegraph sequence on [0, duration]: the initial state and the switching times.
struct Telegraph {
  bool initial_ap = false;
  std::vector<double> switches;  ///< s, increasing
  double duration = 0;           ///< s

  bool state_at(double t) const;     ///< AP at time t
  double fraction_ap() const;        ///< time fraction spent in AP
};

/// Samples a telegraph sequence at constant current i.
Telegraph sample_telegraph(const SmtjParams& p, double i, double duration, CellRng& rng);
/// Samples a telegraph sequence from its mean dwell times (s) in AP and in P, starting from the
/// stationary distribution.
Telegraph sample_telegraph_dwells(double mean_ap, double mean_p, double duration, CellRng& rng);

/// Reads n bits (AP = 1) at times period, 2 period, ... of a fresh telegraph sequence at current i.
std::vector<uint8_t> sample_bits(const SmtjParams& p, double i, int n, double period, CellRng& rng);

/// PWL points (t0, y0, t1, y1, ...) of a telegraph: y = high in AP, low in P, with linear edges of
/// the given duration starting at each switch.
std::vector<double> telegraph_pwl(const Telegraph& t, double low, double high, double edge);

}  // namespace spx::devices
