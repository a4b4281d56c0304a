// Magnetic tunnel junction. R_P = RA / A with the ellipse area A = pi/4 * a * b; the antiparallel
// state has R_AP(V) = R_P * (1 + TMR(V)) with the bias dependence TMR(V) = TMR0 / (1 + V^2/V_h^2)
// (the usual Lorentzian fit of TMR roll-off with bias). The parallel state is taken bias-independent.
// Defaults: RA = 10 ohm.um^2 on a 50 nm x 30 nm ellipse gives R_P = 8488.26 ohm and, with TMR0 = 2,
// R_AP = 25464.79 ohm at 0 V — the devices of the IMAC SOT-MRAM designs.
// Capacitance: the tunnel barrier is a parallel-plate capacitor across the junction,
// C = eps0 eps_r A / t: MgO's static permittivity eps_r = 9.8 (bulk MgO) and a 1.0 nm barrier (the
// thickness that gives RA ~ 10 ohm.um^2 in CoFeB/MgO junctions) give 0.10 fF for the default ellipse.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "devices/params.hpp"

namespace spx::devices {

/// Magnetic state of an MTJ.
enum class MtjState : uint8_t { parallel, antiparallel };

/// MTJ parameters (SI units).
struct MtjParams {
  double ra = 10e-12;        ///< ohm.m^2, resistance-area product of the P state (10 ohm.um^2)
  double major_axis = 50e-9; ///< m, ellipse major axis
  double minor_axis = 30e-9; ///< m, ellipse minor axis
  double tmr0 = 2.0;         ///< TMR at 0 V, R_AP = R_P (1 + TMR)
  double v_half = 0.5;       ///< V, bias at which the TMR halves
  double barrier = 1.0e-9;   ///< m, tunnel-barrier thickness
  double eps_barrier = 9.8;  ///< relative permittivity of the barrier (MgO)

  double area() const;                 ///< m^2, pi/4 * a * b
  double r_parallel() const;           ///< ohm
  double capacitance() const;          ///< F, eps0 eps_r A / t
  double tmr(double v) const;          ///< TMR at bias v
  double r_antiparallel(double v = 0) const;  ///< ohm at bias v
  double resistance(MtjState s, double v = 0) const;  ///< ohm
};

/// Parameter table of MtjParams (config section "mtj").
const std::vector<ParamSpec<MtjParams>>& mtj_table();

/// Current and its derivative for a voltage across a device.
struct Branch {
  double i = 0;     ///< A
  double didv = 0;  ///< S
};

/// I-V law of an MTJ in a state, with the bias-dependent TMR when bias_dependent is true.
Branch eval(const MtjParams& p, MtjState s, double v, bool bias_dependent);

/// The current of an antiparallel MTJ as an expression of `v` (e.g. "v(a,b)"), for a behavioral source.
std::string ap_current_expression(const MtjParams& p, std::string_view v);

}  // namespace spx::devices
