// Circuit IR bookkeeping: node and element name tables, descriptions for messages.
#include "netlist/circuit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "devices/error.hpp"
#include "devices/interrupt.hpp"
#include "devices/units.hpp"

namespace spx::netlist {
namespace {

std::string lower(std::string_view s) { return devices::ascii_lower(s); }

}  // namespace

std::string_view role_name(Role r) {
  switch (r) {
    case Role::synapse: return "synapse";
    case Role::bias: return "bias";
    case Role::wire: return "wire";
    case Role::amplifier: return "amplifier";
    case Role::neuron: return "neuron";
    case Role::supply: return "supply";
    case Role::input: return "input";
    case Role::driver: return "driver";
    case Role::merge: return "merge";
    case Role::converter: return "converter";
    case Role::other: return "other";
  }
  return "other";
}

char kind_letter(ElementKind k) {
  switch (k) {
    case ElementKind::resistor: return 'r';
    case ElementKind::capacitor: return 'c';
    case ElementKind::inductor: return 'l';
    case ElementKind::vsource: return 'v';
    case ElementKind::isource: return 'i';
    case ElementKind::vcvs: return 'e';
    case ElementKind::vccs: return 'g';
    case ElementKind::cccs: return 'f';
    case ElementKind::ccvs: return 'h';
    case ElementKind::behavioral_v:
    case ElementKind::behavioral_i: return 'b';
    case ElementKind::mosfet: return 'm';
  }
  return '?';
}

std::string_view kind_name(ElementKind k) {
  switch (k) {
    case ElementKind::resistor: return "resistor";
    case ElementKind::capacitor: return "capacitor";
    case ElementKind::inductor: return "inductor";
    case ElementKind::vsource: return "voltage source";
    case ElementKind::isource: return "current source";
    case ElementKind::vcvs: return "vcvs";
    case ElementKind::vccs: return "vccs";
    case ElementKind::cccs: return "cccs";
    case ElementKind::ccvs: return "ccvs";
    case ElementKind::behavioral_v: return "behavioral voltage source";
    case ElementKind::behavioral_i: return "behavioral current source";
    case ElementKind::mosfet: return "mosfet";
  }
  return "element";
}

bool has_branch(ElementKind k) {
  return k == ElementKind::vsource || k == ElementKind::inductor || k == ElementKind::vcvs ||
         k == ElementKind::ccvs || k == ElementKind::behavioral_v;
}

Circuit::Circuit() {
  node_names_.push_back("0");
  node_ids_.emplace("0", ground);
}

NodeId Circuit::node(std::string_view name) {
  std::string key = lower(name);
  if (key == "gnd") return ground;
  auto [it, inserted] = node_ids_.emplace(key, static_cast<NodeId>(node_names_.size()));
  if (inserted) node_names_.push_back(std::move(key));
  return it->second;
}

std::optional<NodeId> Circuit::find_node(std::string_view name) const {
  std::string key = lower(name);
  if (key == "gnd") return ground;
  auto it = node_ids_.find(key);
  if (it == node_ids_.end()) return std::nullopt;
  return it->second;
}

ElementId Circuit::add(Element e) {
  if ((elements.size() & 0xffff) == 0xffff) check_interrupt();  // building millions of elements takes seconds
  if (std::any_of(e.name.begin(), e.name.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; })) e.name = lower(e.name);
  auto id = static_cast<ElementId>(elements.size());
  auto [it, inserted] = element_ids_.emplace(e.name, id);
  if (!inserted) fail("duplicate element name '{}'", e.name);
  elements.push_back(std::move(e));
  return id;
}

void Circuit::reserve(size_t elements_total, size_t nodes_total) {
  elements.reserve(elements_total);
  element_ids_.reserve(elements_total);
  node_names_.reserve(nodes_total);
  node_ids_.reserve(nodes_total);
}

std::optional<ElementId> Circuit::find_element(std::string_view name) const {
  auto it = element_ids_.find(lower(name));
  if (it == element_ids_.end()) return std::nullopt;
  return it->second;
}

namespace {
/// What "k(...)" holds, or an empty view when `vector` has another form.
std::string_view vector_inner(std::string_view vector, char k) {
  if (vector.size() <= 3 || vector[0] != k || vector[1] != '(' || vector.back() != ')') return {};
  return vector.substr(2, vector.size() - 3);
}
}  // namespace

std::optional<NodeId> Circuit::vector_node(std::string_view vector) const {
  const std::string_view inner = vector_inner(vector, 'v');
  if (inner.empty()) return std::nullopt;
  auto n = find_node(inner);
  if (!n || *n == ground || node_name(*n) != inner) return std::nullopt;
  return n;
}

std::optional<ElementId> Circuit::vector_element(std::string_view vector) const {
  const std::string_view inner = vector_inner(vector, 'i');
  if (inner.empty()) return std::nullopt;
  auto e = find_element(inner);
  if (!e || elements[*e].name != inner) return std::nullopt;
  return e;
}

void Circuit::renumber_nodes() {
  std::vector<NodeId> map(node_names_.size(), -1);
  std::vector<std::string> names{node_names_[ground]};
  map[ground] = ground;
  auto use = [&](NodeId& id) {
    if (map[id] < 0) {
      map[id] = static_cast<NodeId>(names.size());
      names.push_back(node_names_[id]);
    }
    id = map[id];
  };
  for (auto& e : elements) {
    use(e.a);
    use(e.b);
    use(e.c);
    use(e.d);
    for (auto& n : e.expr.nodes) {
      if (n.op != ExprOp::voltage) continue;
      if (n.ref >= 0) use(n.ref);
      if (n.ref2 >= 0) use(n.ref2);
    }
  }
  for (auto& m : measures) use(m.node);
  // Nodes created in the order elements use them (a reader's usual case) keep their numbers: the
  // name index stays as it is.
  bool identity = names.size() == node_names_.size();
  for (size_t i = 0; identity && i < map.size(); ++i) identity = map[i] == static_cast<NodeId>(i);
  if (identity) return;
  node_names_ = std::move(names);
  node_ids_.clear();
  for (size_t i = 0; i < node_names_.size(); ++i) node_ids_.emplace(node_names_[i], static_cast<NodeId>(i));
}

std::string Circuit::describe(ElementId id) const {
  const Element& e = elements[id];
  const Origin& o = e.origin;
  std::string s;
  if (o.layer >= 0) s += fmt::format("layer {}, ", o.layer);
  if (o.tile_row >= 0) s += fmt::format("tile ({},{}), ", o.tile_row, o.tile_col);
  if (o.row >= 0) s += fmt::format("cell ({},{}), ", o.row, o.col);
  s += fmt::format("{} {}", o.role == Role::other ? "element" : role_name(o.role), e.name);
  if (o.file >= 0 && o.file < static_cast<int32_t>(files.size()))
    s += fmt::format(" ({}:{})", files[o.file], o.line);
  return s;
}

bool Circuit::operator==(const Circuit& o) const {
  if (title != o.title || analyses != o.analyses || options != o.options || measures != o.measures || models != o.models ||
      saves != o.saves ||
      node_names_ != o.node_names_ || elements.size() != o.elements.size())
    return false;
  for (size_t i = 0; i < elements.size(); ++i) {
    const Element &x = elements[i], &y = o.elements[i];
    bool same_ic = (std::isnan(x.ic) && std::isnan(y.ic)) || x.ic == y.ic;
    if (x.kind != y.kind || x.name != y.name || x.a != y.a || x.b != y.b || x.c != y.c ||
        x.d != y.d || x.value != y.value || x.control != y.control || !(x.wave == y.wave) || x.model != y.model ||
        x.w != y.w || x.l != y.l ||
        !(x.expr == y.expr) || !same_ic)
      return false;
  }
  return true;
}

Element make_resistor(std::string name, NodeId a, NodeId b, double ohm) {
  Element e;
  e.name = std::move(name);
  e.a = a;
  e.b = b;
  e.value = ohm;
  return e;
}

Element make_capacitor(std::string name, NodeId a, NodeId b, double farad) {
  Element e = make_resistor(std::move(name), a, b, farad);
  e.kind = ElementKind::capacitor;
  return e;
}

Element make_vsource(std::string name, NodeId a, NodeId b, double volts) {
  Element e = make_resistor(std::move(name), a, b, 0);
  e.kind = ElementKind::vsource;
  e.wave.dc = volts;
  e.wave.dc_given = true;
  return e;
}

Element make_vcvs(std::string name, NodeId a, NodeId b, NodeId cp, NodeId cn, double gain) {
  Element e = make_resistor(std::move(name), a, b, gain);
  e.kind = ElementKind::vcvs;
  e.c = cp;
  e.d = cn;
  return e;
}

Element make_vccs(std::string name, NodeId a, NodeId b, NodeId cp, NodeId cn, double gain) {
  Element e = make_vcvs(std::move(name), a, b, cp, cn, gain);
  e.kind = ElementKind::vccs;
  return e;
}

Element make_behavioral(Circuit& c, std::string name, ElementKind kind, NodeId a, NodeId b, std::string_view expr) {
  Element e = make_resistor(std::move(name), a, b, 0);
  e.kind = kind;
  ExprScope scope;
  scope.node = [&c](std::string_view n) { return c.node(n); };
  scope.allow_time = true;  // behavioral sources may depend on time (transients; the port reduction refuses them)
  e.expr = bind_expr(parse_expr(expr, ExprContext::behavioral, e.name), scope, e.name);
  return e;
}

}  // namespace spx::netlist
