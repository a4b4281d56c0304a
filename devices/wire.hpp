// Interconnect of a crossbar: resistivity with size effects and per-segment R and C.
// Resistivity (Matthiessen sum of the two size effects, as in IMAC-Sim's interconnect model):
//   rho / rho0 = 3/4 (1 - p) lambda / w                                   Fuchs-Sondheimer surface term
//              + [1 - 3/2 alpha + 3 alpha^2 - 3 alpha^3 ln(1 + 1/alpha)]^-1  Mayadas-Shatzkes grain term
//   alpha = (lambda / d) R / (1 - R), grain size d = wire width w.
// (K. Fuchs, Proc. Camb. Phil. Soc. 34, 100 (1938); E. H. Sondheimer, Adv. Phys. 1, 1 (1952);
//  A. F. Mayadas and M. Shatzkes, Phys. Rev. B 1, 1382 (1970).)
// Segment resistance R = resistance_scale * rho * length / (w * t); capacitances are scaled by
// capacitance_scale (1 by default: the physical values; other values serve parasitic studies). Input (vertical) lines run one cell width per
// segment, the I+/I- (horizontal) lines one cell length. For the 9 nm node (w = 27 nm, t = 22 nm,
// cells 108 nm x 135 nm): rho = 2.675 rho0, R = 9.24 ohm and 11.55 ohm.
// Capacitance per unit length (T. Sakurai and K. Tamaru, IEEE Trans. Electron Devices 30, 183 (1983)),
// with h the dielectric thickness to the plane below and s the spacing to a neighbour:
//   C_ground / eps = 1.15 (w/h) + 2.80 (t/h)^0.222
//   C_couple / eps = [0.03 (w/h) + 0.83 (t/h) - 0.07 (t/h)^0.222] (s/h)^-1.34
// A segment's capacitance sits at its far node: either all to ground (ground term plus the couplings to
// its neighbours, as IMAC-Sim lumps them), or as a ground capacitor plus explicit coupling capacitors
// (input lines: to the input line one cell pitch away on each side; I+/I- lines: to the partner line of
// the pair). Spacings are the distances between lines, as IMAC-Sim uses them in the formula.
#pragma once

#include <vector>

#include "devices/params.hpp"

namespace spx::devices {

/// Wire and cell geometry of a technology node (SI units).
struct WireTech {
  double node = 9e-9;              ///< m, technology node
  double width_factor = 3;         ///< wire width = factor * node
  double thickness = 22e-9;        ///< m, wire thickness
  double cell_width_factor = 12;   ///< cell width (input-line segment) = factor * node
  double cell_length_factor = 15;  ///< cell length (I+/I- segment) = factor * node
  double pair_spacing_factor = 5;  ///< distance between the I+ and I- lines = factor * node
  double dielectric_height = 20e-9;  ///< m, dielectric thickness to the layer below
  double eps_r = 3.9;              ///< relative permittivity of the dielectric
  double rho_bulk = 1.9e-8;        ///< ohm.m, bulk resistivity (Cu)
  double mean_free_path = 39e-9;   ///< m, electron mean free path (Cu)
  double specularity = 0.25;       ///< fraction of specular surface scattering p
  double grain_reflection = 0.3;   ///< grain-boundary reflection coefficient R
  double resistance_scale = 1;     ///< every segment's R times this (parasitic studies: x2, x5, ...)
  double capacitance_scale = 1;    ///< every segment's C times this

  double width() const { return width_factor * node; }             ///< m
  double cell_width() const { return cell_width_factor * node; }   ///< m
  double cell_length() const { return cell_length_factor * node; } ///< m
  double resistivity() const;                                      ///< ohm.m with size effects
  double resistance(double length) const;                          ///< ohm of a wire piece
  double input_segment_r() const { return resistance(cell_width()); }   ///< ohm, input line per cell
  double output_segment_r() const { return resistance(cell_length()); } ///< ohm, I+/I- line per cell
  double ground_c_per_m() const;                   ///< F/m to the plane below
  double coupling_c_per_m(double spacing) const;   ///< F/m to a neighbour at spacing (edge to edge)
  double input_segment_c() const;                  ///< F per input-line segment, couplings lumped to ground
  double output_segment_c() const;                 ///< F per I+/I- segment, coupling lumped to ground
  double input_ground_c() const;                   ///< F per input-line segment to ground only
  double input_coupling_c() const;                 ///< F per input-line segment to one neighbouring line
  double output_ground_c() const;                  ///< F per I+/I- segment to ground only
  double output_coupling_c() const;                ///< F per I+/I- segment to its partner line
};

/// Parameter table of WireTech (config section "interconnect").
const std::vector<ParamSpec<WireTech>>& wire_table();

}  // namespace spx::devices
