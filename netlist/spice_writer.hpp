// SPICE writer: Circuit -> netlist text in the ngspice dialect. Output is deterministic (elements in
// IR order, numbers in shortest round-trip form) and reads back into an equal Circuit. It keeps a
// line -> element map so a simulator's complaint about a line can be traced to its origin.
#pragma once

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

/// Writes a circuit for ngspice, including its analyses and a final .end.
SpiceText write_spice(const Circuit& circuit);

/// The element card alone (no newline), e.g. "r1 in out 1000".
std::string element_card(const Circuit& circuit, const Element& e);

}  // namespace spx::netlist
