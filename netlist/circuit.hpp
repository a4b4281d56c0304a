// The one circuit representation: flat vectors of elements over integer node ids (ground = 0) with
// deterministic names, an origin tag on every element, and the analyses to run. Both the SPICE
// writer and the native solver's assembly read it; the SPICE reader and the generators produce it.
// Subcircuits are already flattened here: element names keep their type letter first and carry the
// instance path after it ("r.x1.r2"), node names are prefixed by the path ("x1.mid"), as ngspice
// names them.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "devices/waveform.hpp"
#include "netlist/expr.hpp"

namespace spx::netlist {

using NodeId = int32_t;
inline constexpr NodeId ground = 0;
using ElementId = int32_t;

/// Element kinds of the IR.
enum class ElementKind : uint8_t {
  resistor,      ///< R: value = ohm
  capacitor,     ///< C: value = F
  inductor,      ///< L: value = H (has a branch current)
  vsource,       ///< V: wave (has a branch current)
  isource,       ///< I: wave, current flows from a through the source to b
  vcvs,          ///< E: v(a,b) = value * v(c,d) (has a branch current)
  vccs,          ///< G: current value * v(c,d) from a through the element to b
  cccs,          ///< F: current value * i(control) from a through the element to b
  ccvs,          ///< H: v(a,b) = value * i(control) (has a branch current)
  behavioral_v,  ///< B with V=expr (has a branch current)
  behavioral_i,  ///< B with I=expr, current from a through the element to b
  mosfet,        ///< M: drain a, gate b, source c, bulk d; `model`, w, l (ngspice backend only)
};

/// SPICE letter of a kind ('r', 'c', ...).
char kind_letter(ElementKind kind);
/// Human name of a kind ("resistor").
std::string_view kind_name(ElementKind kind);
/// True for kinds whose current is an unknown of the nodal system (V, L, E, H, B-voltage).
bool has_branch(ElementKind kind);

/// Role of an element in a generated structure (other = read from a netlist).
enum class Role : uint8_t { other, synapse, bias, wire, amplifier, neuron, supply, input, merge, driver, converter };

/// Lower-case name of a role ("synapse", ..., "other").
std::string_view role_name(Role role);

/// Where an element comes from: a generated structure position, or a netlist file line.
struct Origin {
  int16_t layer = -1;     ///< network layer, -1 if none
  int16_t tile_row = -1;  ///< partition row, -1 if none
  int16_t tile_col = -1;  ///< partition column, -1 if none
  int32_t row = -1;       ///< cell row, -1 if none
  int32_t col = -1;       ///< cell column, -1 if none
  Role role = Role::other;
  int32_t file = -1;      ///< index into Circuit::files, -1 if generated
  int32_t line = 0;       ///< line in that file (1-based)
  bool operator==(const Origin&) const = default;
};

/// One circuit element.
struct Element {
  ElementKind kind = ElementKind::resistor;
  std::string name;             ///< unique, lower-case, starts with the kind letter
  NodeId a = ground;            ///< positive terminal
  NodeId b = ground;            ///< negative terminal
  NodeId c = ground;            ///< positive controlling node (E, G)
  NodeId d = ground;            ///< negative controlling node (E, G)
  double value = 0;             ///< ohm, F, H, V/V, S, A/A or V/A depending on kind
  ElementId control = -1;       ///< controlling source (F, H)
  devices::Waveform wave;       ///< V, I
  Expr expr;                    ///< B (bound)
  double ic = NAN;              ///< initial condition (C: V, L: A), NaN if none
  std::string model;            ///< M: model name (a .model card of the circuit)
  double w = 0;                 ///< M: m, channel width (0 = not given)
  double l = 0;                 ///< M: m, channel length (0 = not given)
  Origin origin;
};

/// Analysis kinds.
enum class AnalysisKind : uint8_t { op, tran, dc };

/// One analysis request.
struct Analysis {
  AnalysisKind kind = AnalysisKind::op;
  double tstep = 0;   ///< s (tran)
  double tstop = 0;   ///< s (tran)
  double tstart = 0;  ///< s (tran), output starts here
  double tmax = 0;    ///< s (tran), largest internal step, 0 = not given
  bool uic = false;   ///< tran: skip the operating point, use element initial conditions
  std::string source;  ///< dc: swept source name
  double start = 0, stop = 0, step = 0;  ///< dc sweep values
  bool operator==(const Analysis&) const = default;
};

/// A transient measurement: the voltage of a node at a time (".meas tran name find v(node) at=t").
struct Measure {
  std::string name;   ///< lower-case
  NodeId node = ground;
  double time = 0;    ///< s
  bool operator==(const Measure&) const = default;
};

/// A flat circuit.
class Circuit {
 public:
  Circuit();

  std::string title;                  ///< first line of the netlist
  std::vector<Element> elements;      ///< in insertion order
  std::vector<Analysis> analyses;     ///< in file order
  std::vector<std::string> options;   ///< ".options" cards, passed through verbatim
  std::vector<Measure> measures;      ///< transient measurements
  std::vector<std::string> saves;     ///< ".save" vectors ("v(node)", "i(element)"); empty: all
  std::vector<std::string> models;    ///< ".model" cards, passed to ngspice verbatim
  std::vector<std::string> files;     ///< files the circuit was read from (Origin::file)

  /// Id of a node, creating it; "0" and "gnd" are ground. Names are stored lower-case.
  NodeId node(std::string_view name);
  /// Id of an existing node, or nullopt.
  std::optional<NodeId> find_node(std::string_view name) const;
  /// Name of a node id.
  const std::string& node_name(NodeId id) const { return node_names_[id]; }
  /// Number of nodes including ground.
  int32_t node_count() const { return static_cast<int32_t>(node_names_.size()); }

  /// Adds an element; throws InputError if the name is taken. Returns its id.
  ElementId add(Element element);
  /// Element id by name (lower-case), or nullopt.
  std::optional<ElementId> find_element(std::string_view name) const;
  /// The node of a result vector name "v(node)" exactly as results spell it (not ground), or nullopt.
  std::optional<NodeId> vector_node(std::string_view vector) const;
  /// The element of a result vector name "i(element)" exactly as results spell it, or nullopt.
  std::optional<ElementId> vector_element(std::string_view vector) const;
  /// Room for this many elements and nodes in all (a builder that knows its size avoids regrowth).
  void reserve(size_t elements_total, size_t nodes_total);

  /// Renumbers nodes in order of first use (terminals a, b, c, d, then expression references, element
  /// by element, then measured nodes) and drops nodes nothing uses, so equal element lists give equal
  /// node ids.
  void renumber_nodes();

  /// "element r.x1.r2 (net.cir:12)" or "layer 1, tile (2,0), cell (3,7), synapse r..." for messages.
  std::string describe(ElementId id) const;

  bool operator==(const Circuit& other) const;

 private:
  std::vector<std::string> node_names_;
  std::unordered_map<std::string, NodeId> node_ids_;
  std::unordered_map<std::string, ElementId> element_ids_;
};

/// A resistor of `ohm` between a and b.
Element make_resistor(std::string name, NodeId a, NodeId b, double ohm);
/// A capacitor of `farad` between a and b.
Element make_capacitor(std::string name, NodeId a, NodeId b, double farad);
/// A DC voltage source v(a) - v(b) = volts.
Element make_vsource(std::string name, NodeId a, NodeId b, double volts);
/// A VCVS v(a) - v(b) = gain (v(cp) - v(cn)).
Element make_vcvs(std::string name, NodeId a, NodeId b, NodeId cp, NodeId cn, double gain);
Element make_vccs(std::string name, NodeId a, NodeId b, NodeId cp, NodeId cn, double gain);
/// A behavioral source (kind behavioral_v or behavioral_i) whose expression text is parsed and bound
/// against the circuit's nodes (created as needed); errors name the element.
Element make_behavioral(Circuit& c, std::string name, ElementKind kind, NodeId a, NodeId b, std::string_view expr);

}  // namespace spx::netlist
