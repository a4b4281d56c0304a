// Size-effect resistivity and Sakurai-Tamaru capacitance (wire.hpp).
#include "devices/wire.hpp"

#include <cmath>

namespace spx::devices {

namespace {
constexpr double kEps0 = 8.8541878128e-12;  // F/m
}

double WireTech::resistivity() const {
  double w = width();
  double lambda = mean_free_path, p = specularity, r = grain_reflection;
  double surface = 0.75 * (1 - p) * lambda / w;
  double alpha = lambda / w * r / (1 - r);
  double grain = 1 / (1 - 1.5 * alpha + 3 * alpha * alpha - 3 * alpha * alpha * alpha * std::log(1 + 1 / alpha));
  return rho_bulk * (surface + grain);
}

double WireTech::resistance(double length) const { return resistance_scale * resistivity() * length / (width() * thickness); }

double WireTech::ground_c_per_m() const {
  double eps = eps_r * kEps0, h = dielectric_height;
  return capacitance_scale * eps * (1.15 * (width() / h) + 2.80 * std::pow(thickness / h, 0.222));
}

double WireTech::coupling_c_per_m(double spacing) const {
  double eps = eps_r * kEps0, h = dielectric_height, th = thickness / h;
  return capacitance_scale * eps * (0.03 * (width() / h) + 0.83 * th - 0.07 * std::pow(th, 0.222)) * std::pow(spacing / h, -1.34);
}

double WireTech::input_ground_c() const { return cell_width() * ground_c_per_m(); }
double WireTech::input_coupling_c() const { return cell_width() * coupling_c_per_m(cell_width()); }
double WireTech::output_ground_c() const { return cell_length() * ground_c_per_m(); }
double WireTech::output_coupling_c() const { return cell_length() * coupling_c_per_m(pair_spacing_factor * node); }

double WireTech::input_segment_c() const {
  double spacing = cell_width();  // the neighbouring input lines, one cell pitch away on each side
  return cell_width() * (ground_c_per_m() + 2 * coupling_c_per_m(spacing));
}

double WireTech::output_segment_c() const {
  double spacing = pair_spacing_factor * node;  // the partner line of the I+/I- pair
  return cell_length() * (ground_c_per_m() + coupling_c_per_m(spacing));
}

const std::vector<ParamSpec<WireTech>>& wire_table() {
  static const std::vector<ParamSpec<WireTech>> t = {
      {"node", &WireTech::node, "m", "technology node", 0, 1e-6, true},
      {"width_factor", &WireTech::width_factor, "", "wire width in nodes", 0, 100, true},
      {"thickness", &WireTech::thickness, "m", "wire thickness", 0, 1e-5, true},
      {"cell_width_factor", &WireTech::cell_width_factor, "", "cell width (input-line segment) in nodes", 0, 1000, true},
      {"cell_length_factor", &WireTech::cell_length_factor, "", "cell length (I+/I- segment) in nodes", 0, 1000, true},
      {"pair_spacing_factor", &WireTech::pair_spacing_factor, "", "distance between I+ and I- lines in nodes", 0, 1000, true},
      {"dielectric_height", &WireTech::dielectric_height, "m", "dielectric thickness below the wires", 0, 1e-5, true},
      {"eps_r", &WireTech::eps_r, "", "relative permittivity of the dielectric", 1, 100},
      {"rho_bulk", &WireTech::rho_bulk, "ohm.m", "bulk resistivity", 0, 1, true},
      {"mean_free_path", &WireTech::mean_free_path, "m", "electron mean free path", 0, 1e-6, true},
      {"specularity", &WireTech::specularity, "", "specular fraction of surface scattering", 0, 1},
      {"grain_reflection", &WireTech::grain_reflection, "", "grain-boundary reflection coefficient", 0, 0.99, true},
      {"resistance_scale", &WireTech::resistance_scale, "", "factor on every segment's resistance", 0, 1e6, true},
      {"capacitance_scale", &WireTech::capacitance_scale, "", "factor on every segment's capacitance", 0, 1e6, true},
  };
  return t;
}

}  // namespace spx::devices
