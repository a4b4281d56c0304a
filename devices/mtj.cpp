// MTJ resistance and bias-dependent TMR (mtj.hpp).
#include "devices/mtj.hpp"

#include <cmath>
#include <numbers>

#include "devices/units.hpp"

namespace spx::devices {

double MtjParams::area() const { return std::numbers::pi / 4 * major_axis * minor_axis; }
double MtjParams::r_parallel() const { return ra / area(); }
double MtjParams::tmr(double v) const { return tmr0 / (1 + (v * v) / (v_half * v_half)); }
double MtjParams::r_antiparallel(double v) const { return r_parallel() * (1 + tmr(v)); }
double MtjParams::resistance(MtjState s, double v) const {
  return s == MtjState::parallel ? r_parallel() : r_antiparallel(v);
}

double MtjParams::capacitance() const { return 8.8541878128e-12 * eps_barrier * area() / barrier; }

const std::vector<ParamSpec<MtjParams>>& mtj_table() {
  static const std::vector<ParamSpec<MtjParams>> t = {
      {"ra", &MtjParams::ra, "ohm.m^2", "resistance-area product of the parallel state", 0, INFINITY, true},
      {"major_axis", &MtjParams::major_axis, "m", "ellipse major axis", 0, 1e-6, true},
      {"minor_axis", &MtjParams::minor_axis, "m", "ellipse minor axis", 0, 1e-6, true},
      {"tmr0", &MtjParams::tmr0, "", "tunnel magnetoresistance ratio at 0 V", 0, 100, true},
      {"v_half", &MtjParams::v_half, "V", "bias at which the TMR halves", 0, INFINITY, true},
      {"barrier", &MtjParams::barrier, "m", "tunnel-barrier thickness (junction capacitance)", 0, 1e-6, true},
      {"eps_barrier", &MtjParams::eps_barrier, "", "barrier relative permittivity", 1, 1000},
  };
  return t;
}

Branch eval(const MtjParams& p, MtjState s, double v, bool bias_dependent) {
  double rp = p.r_parallel();
  if (s == MtjState::parallel) return {v / rp, 1 / rp};
  if (!bias_dependent) {
    double r = p.r_antiparallel(0);
    return {v / r, 1 / r};
  }
  // R(v) = rp (1 + T0 / (1 + v^2/vh^2));  dR/dv = -rp T0 (2 v / vh^2) / (1 + v^2/vh^2)^2
  double q = 1 + v * v / (p.v_half * p.v_half);
  double r = rp * (1 + p.tmr0 / q);
  double drdv = -rp * p.tmr0 * (2 * v / (p.v_half * p.v_half)) / (q * q);
  return {v / r, 1 / r - v * drdv / (r * r)};
}

std::string ap_current_expression(const MtjParams& p, std::string_view v) {
  return fmt::format("{0}/({1}*(1+{2}/(1+({0}/{3})^2)))", v, format_number(p.r_parallel()),
                     format_number(p.tmr0), format_number(p.v_half));
}

}  // namespace spx::devices
