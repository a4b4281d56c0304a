// Time functions of independent sources: DC, PULSE, PWL and SIN, as SPICE defines them (ngspice
// manual, "Independent sources"). Arguments are kept as given; omitted ones are NaN and resolve at
// evaluation time from the transient step and stop time (PULSE tr/tf = tstep, pw/per = tstop;
// SIN freq = 1/tstop), so the same Waveform prints back exactly as it was read.
//   PULSE(v1 v2 td tr tf pw per): v1 before td, ramps to v2 over tr, holds pw, falls over tf, repeats
//   every per.
//   SIN(vo va freq td theta phase): vo + va*sin(phase) before td, then
//   vo + va*exp(-(t-td)*theta)*sin(2*pi*freq*(t-td) + phase), phase in degrees.
//   PWL(t1 v1 t2 v2 ...): linear between points, held constant before t1 and after the last point.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace spx::devices {

/// Kind of time function.
enum class WaveKind : uint8_t { dc, pulse, pwl, sin };

/// Transient context used to resolve omitted arguments.
struct TimeAxis {
  double tstep = 0;  ///< s, printing step of the transient analysis (0 outside transient)
  double tstop = 0;  ///< s, stop time of the transient analysis (0 outside transient)
};

/// An independent source value: a DC part and an optional time function.
struct Waveform {
  WaveKind kind = WaveKind::dc;
  double dc = 0;              ///< V or A, value used by .op and .dc
  bool dc_given = false;      ///< an explicit DC value was written
  std::vector<double> args;   ///< time-function arguments as written (NaN = omitted)

  /// Value of the time function at t (the DC value for WaveKind::dc).
  double at(double t, const TimeAxis& axis) const;
  /// Value used by an operating point outside transient: DC if given, else the function at t=0.
  double op_value() const;
  /// Corner times in (0, tstop] where the function has a kink, sorted and unique.
  std::vector<double> breakpoints(const TimeAxis& axis) const;
  bool operator==(const Waveform&) const = default;
};

/// Number of arguments a kind accepts at most (PULSE 7, SIN 6); PWL any even count.
int max_args(WaveKind kind);
/// Lower-case SPICE keyword of a kind ("pulse", "pwl", "sin").
std::string_view keyword(WaveKind kind);

}  // namespace spx::devices
