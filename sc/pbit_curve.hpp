// Characterization of the s-MTJ p-bit at circuit level: for each input current, a seeded telegraph
// sequence of the junction at that current drives the read circuit (netlist/pbit_cell.hpp) in a
// transient on the native solver, and the comparator output is sampled at the clock. From the bits:
// the probability of a 1 (against the closed form p_one), the lag-one correlation and the correlation
// time it implies (against tau_corr), and the energy per bit from the circuit (read supply power
// integrated over the window, c_out vdd^2 per rising output edge, i^2 r_channel, one latch event per
// bit) against the closed form energy_per_bit. Optionally, ngspice runs the same circuit (the same
// seeded sequence) for a shorter window, and its bits are compared with the native bits of that window.
// The usable bit rate is the clock at which successive bits correlate by 0.1 at p = 0.5:
// 1 / (tau_c ln 10).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "devices/pbit.hpp"

namespace spx::sc {

/// One input current's measurement.
struct PbitPoint {
  double current = 0;          ///< A, channel current
  double logit = 0;            ///< (current - current_for(0.5)) / current_per_logit
  double p_closed = 0;         ///< closed form
  double p_native = 0;         ///< fraction of ones over all bits (native transient)
  double p_native_window = 0;  ///< the same over the ngspice window
  double p_ngspice = -1;       ///< ngspice, -1 when not run
  double rho_closed = 0, rho_measured = 0;
  double tau_closed = 0;       ///< s
  double energy_circuit = 0;   ///< J per bit, from the transient
  double energy_closed = 0;    ///< J per bit, closed form
  int bits = 0;
};

/// A characterized curve.
struct PbitCurve {
  std::vector<PbitPoint> points;
  double usable_rate = 0;      ///< bit/s, clock at which the lag-one correlation is 0.1 (p = 0.5)
  double current_p50 = 0;      ///< A
  double seconds = 0;          ///< wall time of the characterization
};

/// Settings of a characterization.
struct PbitCurveOptions {
  int points = 21;             ///< currents, evenly spaced in logit
  double logit_span = 5;       ///< from -span to +span around p = 0.5
  int bits = 2000;             ///< clock periods per current (native)
  int ngspice_bits = 0;        ///< clock periods per current on ngspice (0: no ngspice)
  int steps_per_clock = 10;    ///< transient steps per clock period
  uint64_t seed = 1;
};

/// Characterizes the p-bit; throws InputError for bad options, std::runtime_error when a backend fails.
PbitCurve characterize_pbit(const devices::PbitParams& p, const PbitCurveOptions& options);

/// CSV of a curve (one row per current).
std::string curve_csv(const PbitCurve& c);

}  // namespace spx::sc
