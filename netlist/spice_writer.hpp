// SPICE writer: Circuit -> netlist text in the ngspice dialect. Output is deterministic (elements in
// IR order, numbers in shortest round-trip form) and reads back into an equal Circuit. It keeps a
// line -> element map so a simulator's complaint about a line can be traced to its origin.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "netlist/circuit.hpp"

namespace spx::netlist {

/// Netlist text and the element written on each line.
struct SpiceText {
  std::string text;
  std::vector<ElementId> line_element;  ///< [line - 1] -> element id, or -1 for other lines
  /// "line 12: element r.x1.r2 (net.cir:7)" or "line 3" when the line holds no element.
  std::string describe_line(const Circuit& circuit, int line) const;
};

/// Target simulator of the text.
enum class Dialect : uint8_t { ngspice, hspice };

/// Writes a circuit, including its analyses, measurements and a final .end. For HSPICE, behavioral
/// sources become E/G elements with VOL=/CUR= expressions, a lone pwl() of one voltage becomes a
/// PWL(1) controlled source (with end points added so that it extends its end segments as ngspice's
/// pwl() does); throws InputError for an expression with no HSPICE form.
SpiceText write_spice(const Circuit& circuit, Dialect dialect = Dialect::ngspice);

/// The same circuit as subcircuits: one .subckt per tile (its synapses and wire segments), per
/// difference amplifier and per neuron (elements with a generated Origin of those roles), one
/// instance each at the top level, with a comment per layer and tile. Amplifiers and neurons that
/// are the same up to names share one definition with local names (r1, c1, ...; ports p1, p2, ...).
/// Current-controlled sources, their controlling sources and saved currents stay at the top level.
/// Simulators see the same circuit: port and top-level node voltages are those of write_spice. Nodes
/// in `visible` (e.g. the network's outputs), measured or saved stay at the top level.
SpiceText write_spice_hierarchical(const Circuit& circuit, Dialect dialect = Dialect::ngspice,
                                   const std::vector<NodeId>& visible = {});

/// The element card alone (no newline), e.g. "r1 in out 1000".
std::string element_card(const Circuit& circuit, const Element& e, Dialect dialect = Dialect::ngspice);

}  // namespace spx::netlist
