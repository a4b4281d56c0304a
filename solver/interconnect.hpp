// Quasi-static reduction of RC interconnect onto its ports, for transients whose time step is far
// longer than the interconnect's own time constants (a crossbar tile's wires settle in femtoseconds;
// its amplifiers and neurons take nanoseconds).
//
// A node is a port when something other than a resistor or capacitor touches it (a source, a
// controlled source's terminal or control, a behavioral expression, a transistor), when it is
// measured, saved, or named by the caller. The other nodes are internal; the resistors and capacitors
// that join internal nodes form parts ("components"), each with the ports it touches. With
// (G + sC) split into internal (I) and port (P) blocks, a component draws from its ports
//   i_P = Y(s) v_P,  Y(s) = Y0 + s Y1 + s^2 Y2 + ...,
//   X = G_II^-1 G_IP,  Y0 = G_PP - G_PI X  (the exact DC Schur complement),
//   Z = C_IP - C_II X, Y1 = C_PP - C_PI X - X^T Z,  Y2 = -Z^T G_II^-1 Z.
// The component is replaced by Y0 and Y1 realized as resistors and capacitors between its ports
// (off-diagonal entries between port pairs, row sums to ground; values may be negative, the matrices
// are positive semidefinite). This is the congruence transform of (G, C) with the DC modes, the first
// step of PRIMA (Odabasioglu, Celik, Pileggi, IEEE TCAD 17(8), 1998): passive, exact at DC, and exact
// in the first moment of Y, so the charge the wires take is kept and only s^2 Y2 and beyond are
// dropped. Per component, tau = max_i (-Y2_ii / Y1_ii) is the time constant of the dropped term: a
// signal changing over a time T loses about tau / T of the capacitive current, so a component is
// reduced only when tau <= bound * h (bound 1/4 by default: the dropped term is below a quarter of
// the capacitive current even for a signal that changes within one step; the crossbar's lines,
// charged through kilohm MTJs, have tau of about 1.4 ps against 10 ps steps). It is kept whole when
// its internal nodes have no DC path to a port (G_II singular), or when its dense port model would
// hold more than twice the component's elements (small tiles, whose ports are most of their nodes).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "netlist/circuit.hpp"

namespace spx::solver {

/// A circuit with its RC interconnect reduced onto its ports, and where each original part went.
struct InterconnectReduction {
  netlist::Circuit circuit;                  ///< the reduced circuit (kept nodes and elements keep their names)
  std::vector<netlist::ElementId> element;   ///< per original element: its id in `circuit`, -1 if reduced away
  std::vector<netlist::NodeId> node;         ///< per original node: its id in `circuit`, -1 if eliminated
  int32_t reduced = 0;                       ///< components replaced by their port models
  int32_t kept = 0;                          ///< components left whole (see the file comment)
  int64_t nodes_eliminated = 0;
  double tau = 0;                            ///< s, largest tau among the reduced components
};

/// Reduces the RC components of `circuit` for a transient at step `step` (s; 0: DC only, where every
/// component with a DC path qualifies). `keep` nodes stay as ports.
InterconnectReduction reduce_interconnect(const netlist::Circuit& circuit, std::span<const netlist::NodeId> keep,
                                          double step, double bound = 0.25);

}  // namespace spx::solver
