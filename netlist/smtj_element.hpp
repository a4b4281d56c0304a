// A stochastic MTJ in a Circuit: its sampled telegraph sequence (devices/smtj.hpp) becomes a PWL
// voltage source g whose value is the device conductance G(t) in siemens (V = S numerically), and a
// behavioral current source I = v(a,b) * v(g) between the terminals. Both backends therefore see the
// same seeded sequence; the native solver steps onto every corner of the PWL.
#pragma once

#include <string>

#include "devices/smtj.hpp"
#include "netlist/circuit.hpp"

namespace spx::netlist {

/// Adds s-MTJ `name` between a and b following telegraph t (R_P in P, R_AP in AP, linear edges of
/// `edge` seconds). Returns the element id of the behavioral source.
ElementId add_smtj(Circuit& c, const std::string& name, NodeId a, NodeId b, const devices::Telegraph& t, double r_p,
                   double r_ap, double edge);

}  // namespace spx::netlist
