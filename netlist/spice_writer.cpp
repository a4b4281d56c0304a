// ngspice-dialect writer (spice_writer.hpp).
#include "netlist/spice_writer.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "devices/units.hpp"

namespace spx::netlist {
namespace {

using devices::format_number;

std::string wave_text(const devices::Waveform& w) {
  std::string s;
  if (w.dc_given) s += " dc " + format_number(w.dc);
  if (w.kind != devices::WaveKind::dc) {
    s += " " + std::string(devices::keyword(w.kind)) + "(";
    for (size_t i = 0; i < w.args.size(); ++i) s += (i ? " " : "") + format_number(w.args[i]);
    s += ")";
  }
  return s;
}

using NodeNames = std::function<const std::string&(NodeId)>;

/// HSPICE PWL(1) source for an expression that is exactly pwl(v(a[,b]), x0,y0, ...), or "".
std::string hspice_pwl(const Element& e, const std::string& name, const NodeNames& node) {
  const auto& n = e.expr.nodes;
  const ExprNode& root = n.back();
  if (root.op != ExprOp::call || root.func != Func::pwl || n[root.kids[0]].op != ExprOp::voltage) return {};
  std::vector<double> pts;
  for (size_t k = 1; k < root.kids.size(); ++k) {
    if (n[root.kids[k]].op != ExprOp::number) return {};
    pts.push_back(n[root.kids[k]].number);
  }
  // HSPICE holds the end values; add points 1e3 span away on the end segments' lines.
  size_t m = pts.size() / 2;
  double span = std::max(1.0, pts[2 * m - 2] - pts[0]) * 1e3;
  auto line = [&](size_t a, size_t b, double x) {
    double x0 = pts[2 * a], y0 = pts[2 * a + 1], x1 = pts[2 * b], y1 = pts[2 * b + 1];
    return x1 != x0 ? y0 + (y1 - y0) * (x - x0) / (x1 - x0) : y0;
  };
  std::vector<double> all{pts[0] - span, line(0, 1, pts[0] - span)};
  all.insert(all.end(), pts.begin(), pts.end());
  all.push_back(pts[2 * m - 2] + span);
  all.push_back(line(m - 2, m - 1, pts[2 * m - 2] + span));
  const ExprNode& v = n[root.kids[0]];
  std::string s = fmt::format("{} {} {} pwl(1) {} {}", name, node(e.a), node(e.b), node(v.ref),
                              v.ref2 >= 0 ? node(v.ref2) : "0");
  for (size_t k = 0; k < all.size(); k += 2) s += fmt::format(" {},{}", format_number(all[k]), format_number(all[k + 1]));
  return s;
}

/// An element's card under another name and other node names (a subcircuit's local names).
std::string card(const Circuit& c, const Element& e, Dialect dialect, const std::string& name, const NodeNames& n) {
  const bool hspice = dialect == Dialect::hspice;
  std::string s = fmt::format("{} {} {}", name, n(e.a), n(e.b));
  switch (e.kind) {
    case ElementKind::resistor: s += " " + format_number(e.value); break;
    case ElementKind::capacitor:
    case ElementKind::inductor:
      s += " " + format_number(e.value);
      if (!std::isnan(e.ic)) s += " ic=" + format_number(e.ic);
      break;
    case ElementKind::vsource:
    case ElementKind::isource: s += wave_text(e.wave); break;
    case ElementKind::vcvs:
    case ElementKind::vccs: s += fmt::format(" {} {} {}", n(e.c), n(e.d), format_number(e.value)); break;
    case ElementKind::cccs:
    case ElementKind::ccvs: s += fmt::format(" {} {}", c.elements[e.control].name, format_number(e.value)); break;
    case ElementKind::mosfet:
      s += fmt::format(" {} {} {}", n(e.c), n(e.d), e.model);
      if (e.w > 0) s += " w=" + format_number(e.w);
      if (e.l > 0) s += " l=" + format_number(e.l);
      break;
    case ElementKind::behavioral_v:
    case ElementKind::behavioral_i: {
      if (hspice && e.kind == ElementKind::behavioral_v) {
        if (std::string p = hspice_pwl(e, name, n); !p.empty()) return "e" + p;
      }
      std::string expr = to_string(
          e.expr, [&](int32_t id) { return n(id); },
          [&](int32_t id) { return c.elements[id].name; }, hspice);
      if (hspice) {
        bool v = e.kind == ElementKind::behavioral_v;
        return fmt::format("{}{} {} {} {}='{}'", v ? 'e' : 'g', name, n(e.a), n(e.b), v ? "vol" : "cur", expr);
      }
      s += fmt::format(" {}={{{}}}", e.kind == ElementKind::behavioral_v ? 'v' : 'i', expr);
      break;
    }
  }
  return s;
}

/// A crossbar cell's position, as a comment both dialects skip and the reader takes back (the solver
/// orders large crossbars by it); "" for other elements.
std::string origin_comment(const Element& e) {
  const auto& o = e.origin;
  return o.row >= 0 && o.col >= 0 ? fmt::format(" $ @{},{},{},{},{}", o.layer, o.tile_row, o.tile_col, o.row, o.col)
                                  : std::string();
}

/// The analyses, the saved vectors and the measurements, one card per call of `line`.
void write_controls(const Circuit& c, Dialect dialect, const std::function<void(std::string_view)>& line) {
  for (const auto& a : c.analyses) {
    switch (a.kind) {
      case AnalysisKind::op: line(".op"); break;
      case AnalysisKind::tran: {
        std::string s = fmt::format(".tran {} {}", format_number(a.tstep), format_number(a.tstop));
        if (a.tstart != 0 || a.tmax != 0) s += " " + format_number(a.tstart);
        if (a.tmax != 0) s += " " + format_number(a.tmax);
        if (a.uic) s += " uic";
        line(s);
        break;
      }
      case AnalysisKind::dc:
        line(fmt::format(".dc {} {} {} {}", a.source, format_number(a.start), format_number(a.stop),
                         format_number(a.step)));
        break;
    }
  }
  // The vectors to record: ngspice .save; HSPICE .probe (with .option probe, only those).
  if (!c.saves.empty()) line(fmt::format("{} {}", dialect == Dialect::hspice ? ".probe" : ".save", fmt::join(c.saves, " ")));
  for (const auto& m : c.measures)
    line(fmt::format(".meas tran {} find v({}) at={}", m.name, c.node_name(m.node), format_number(m.time)));
}

}  // namespace

std::string element_card(const Circuit& c, const Element& e, Dialect dialect) {
  return card(c, e, dialect, e.name, [&](NodeId id) -> const std::string& { return c.node_name(id); });
}

SpiceText write_spice(const Circuit& c, Dialect dialect) {
  SpiceText out;
  auto line = [&](std::string_view text, ElementId id = -1) {
    out.text += text;
    out.text += '\n';
    out.line_element.push_back(id);
  };
  // SPICE reads the first line as the title whatever it holds; ngspice skips a blank first line and
  // would take the first element as the title, so an empty title is written as "*".
  line(c.title.empty() ? std::string("*") : c.title);
  for (const auto& o : c.options) line(o);
  for (const auto& m : c.models) line(m);
  for (size_t i = 0; i < c.elements.size(); ++i)
    line(element_card(c, c.elements[i], dialect) + origin_comment(c.elements[i]), static_cast<ElementId>(i));
  write_controls(c, dialect, [&](std::string_view t) { line(t); });
  line(".end");
  return out;
}

namespace {

/// A subcircuit instance: the elements of one tile, amplifier or neuron.
struct Group {
  std::string name;                 ///< instance tag, e.g. "tile_l1_h0_v2"
  int layer = 0;
  std::vector<ElementId> elements;  ///< in circuit order
  std::vector<NodeId> ports;        ///< in first-use order
  std::string def;                  ///< definition name
  bool shared = false;              ///< a definition several instances use (local element names)
};

/// The group key of an element, or "" when it stays at the top level.
std::string group_of(const Circuit& c, ElementId id, const std::vector<bool>& pinned) {
  const Element& e = c.elements[id];
  const Origin& o = e.origin;
  if (pinned[id] || o.layer < 1 || o.file >= 0) return {};
  switch (o.role) {
    case Role::synapse:
    case Role::bias:
    case Role::wire: return fmt::format("tile_l{}_h{}_v{}", o.layer, o.tile_row, o.tile_col);
    case Role::amplifier: return fmt::format("amp_l{}_h{}_n{}", o.layer, o.tile_row, o.col);
    case Role::neuron: return fmt::format("neuron_l{}_n{}", o.layer, o.col);
    default: return {};
  }
}

/// Every node an element touches: terminals and the voltages its expression reads.
template <typename F>
void for_nodes(const Element& e, F&& f) {
  for (NodeId n : {e.a, e.b}) f(n);
  if (e.kind == ElementKind::vcvs || e.kind == ElementKind::vccs || e.kind == ElementKind::mosfet)
    for (NodeId n : {e.c, e.d}) f(n);
  for (const auto& x : e.expr.nodes)
    if (x.op == ExprOp::voltage) {
      if (x.ref >= 0) f(x.ref);
      if (x.ref2 >= 0) f(x.ref2);
    }
}

}  // namespace

SpiceText write_spice_hierarchical(const Circuit& c, Dialect dialect, const std::vector<NodeId>& visible) {
  const size_t ne = c.elements.size();
  // Elements that stay at the top level: current-controlled sources, their controlling sources, what
  // an expression's i() reads, and what .save names (element names are local inside a subcircuit).
  std::vector<bool> pinned(ne, false);
  for (size_t i = 0; i < ne; ++i) {
    const Element& e = c.elements[i];
    if (e.kind == ElementKind::ccvs || e.kind == ElementKind::cccs) {
      pinned[i] = true;
      pinned[e.control] = true;
    }
    for (const auto& x : e.expr.nodes)
      if (x.op == ExprOp::current && x.ref >= 0) {
        pinned[i] = true;
        pinned[x.ref] = true;
      }
  }
  for (const auto& v : c.saves)
    if (v.rfind("i(", 0) == 0)
      if (auto id = c.find_element(v.substr(2, v.size() - 3))) pinned[*id] = true;
  for (const auto& a : c.analyses)  // a .dc card names its swept source
    if (a.kind == AnalysisKind::dc)
      if (auto id = c.find_element(a.source)) pinned[*id] = true;

  std::vector<Group> groups;
  std::map<std::string, int> index;
  std::vector<int> group(ne, -1);
  for (size_t i = 0; i < ne; ++i) {
    std::string key = group_of(c, static_cast<ElementId>(i), pinned);
    if (key.empty()) continue;
    auto [it, fresh] = index.emplace(key, static_cast<int>(groups.size()));
    if (fresh) groups.push_back({key, c.elements[i].origin.layer, {}, {}, {}, false});
    groups[it->second].elements.push_back(static_cast<ElementId>(i));
    group[i] = it->second;
  }

  // Ports: nodes a group shares with anything outside it (ground is global in both dialects).
  std::vector<int> owner(c.node_count(), -1);  // the one group using a node, -2: several or the top
  auto use = [&](NodeId n, int g) {
    if (n == ground) return;
    int& o = owner[n];
    o = o == -1 ? g : o == g ? g : -2;
  };
  for (size_t i = 0; i < ne; ++i) for_nodes(c.elements[i], [&](NodeId n) { use(n, group[i] >= 0 ? group[i] : -3); });
  for (const auto& m : c.measures) use(m.node, -3);
  for (NodeId n : visible) use(n, -3);
  for (const auto& v : c.saves)
    if (v.rfind("v(", 0) == 0)
      if (auto n = c.find_node(v.substr(2, v.size() - 3))) use(*n, -3);
  for (auto& g : groups) {
    std::vector<bool> seen(c.node_count(), false);
    for (ElementId id : g.elements)
      for_nodes(c.elements[id], [&](NodeId n) {
        if (n != ground && owner[n] == -2 && !seen[n]) {
          seen[n] = true;
          g.ports.push_back(n);
        }
      });
  }

  // Definitions: groups whose elements are the same up to node and element names share one, with
  // local names (r1, c1, ...); a group alone keeps its elements' own names.
  auto local_cards = [&](const Group& g) {
    std::map<NodeId, std::string> local;
    for (size_t k = 0; k < g.ports.size(); ++k) local[g.ports[k]] = fmt::format("p{}", k + 1);
    std::vector<std::string> cards;
    std::map<char, int> count;
    for (ElementId id : g.elements) {
      const Element& e = c.elements[id];
      for_nodes(e, [&](NodeId n) {
        if (n != ground && !local.count(n)) local[n] = fmt::format("i{}", local.size() - g.ports.size() + 1);
      });
      const char letter = e.name[0];
      const std::string name = fmt::format("{}{}", letter, ++count[letter]);
      static const std::string zero = "0";
      cards.push_back(card(c, e, dialect, name, [&](NodeId n) -> const std::string& { return n == ground ? zero : local.at(n); }));
    }
    return cards;
  };
  std::map<std::string, std::string> defs;  // key -> definition name
  std::map<std::string, int> uses;
  std::vector<std::vector<std::string>> cards(groups.size());
  std::vector<std::string> texts(groups.size());  // the sharing key: the layer and the local cards
  for (size_t k = 0; k < groups.size(); ++k) {
    if (groups[k].name.rfind("tile_", 0) == 0) continue;  // a tile holds its own weights
    // Definitions are per layer (a layer's gain and neuron), named after it.
    cards[k] = local_cards(groups[k]);
    texts[k] = fmt::format("* layer {}\n{}", groups[k].layer, fmt::join(cards[k], "\n"));
    ++uses[texts[k]];
  }
  std::map<std::string, int> variants;
  for (size_t k = 0; k < groups.size(); ++k) {
    Group& g = groups[k];
    if (texts[k].empty() || uses[texts[k]] < 2) {
      g.def = g.name;
      continue;
    }
    auto it = defs.find(texts[k]);
    if (it == defs.end()) {
      const std::string base = fmt::format("{}_l{}", g.name.substr(0, g.name.find('_')), g.layer);
      const int v = ++variants[base];
      it = defs.emplace(texts[k], v == 1 ? base : fmt::format("{}_{}", base, v)).first;
    }
    g.def = it->second;
    g.shared = true;
  }

  SpiceText out;
  auto line = [&](std::string_view text, ElementId id = -1) {
    out.text += text;
    out.text += '\n';
    out.line_element.push_back(id);
  };
  // A .subckt or instance card of words, continued on "+" lines of about 100 characters (HSPICE
  // reads at most 1024 per line; a 32x32 tile has about 100 ports).
  auto wrapped = [&](std::string now, const std::vector<std::string>& words) {
    for (const auto& w : words) {
      if (now.size() + w.size() + 1 > 100) {
        line(now);
        now = "+";
      }
      now += " " + w;
    }
    line(now);
  };
  line(c.title.empty() ? std::string("*") : c.title);
  std::set<std::string> definitions;
  for (const auto& g : groups) definitions.insert(g.def);
  line(fmt::format("* hierarchical: {} instances of {} subcircuits (tiles, difference amplifiers, neurons)", groups.size(),
                   definitions.size()));
  for (const auto& o : c.options) line(o);
  for (const auto& m : c.models) line(m);
  std::set<std::string> written;
  int layer = 0;
  for (size_t k = 0; k < groups.size(); ++k) {
    const Group& g = groups[k];
    if (!written.insert(g.def).second) continue;
    if (g.layer != layer) {
      layer = g.layer;
      line(fmt::format("* ---- layer {} ----", layer));
    }
    std::vector<std::string> port_names;
    for (size_t k = 0; k < g.ports.size(); ++k)
      port_names.push_back(g.shared ? fmt::format("p{}", k + 1) : c.node_name(g.ports[k]));
    if (g.shared) {
      line(fmt::format("* {}: one definition for every {} of layer {} with these values", g.def,
                       g.name.substr(0, g.name.find('_')) == "amp" ? "difference amplifier" : "neuron", g.layer));
    } else {
      const Origin& o = c.elements[g.elements[0]].origin;
      if (g.name.rfind("tile_", 0) == 0)
        line(fmt::format("* layer {} tile: h-partition {}, v-partition {}", g.layer, o.tile_row, o.tile_col));
      else
        line(fmt::format("* layer {} {}", g.layer, g.name));
    }
    wrapped(".subckt " + g.def, port_names);
    if (g.shared) {
      for (size_t e = 0; e < g.elements.size(); ++e) line(cards[k][e], g.elements[e]);
    } else {
      for (ElementId id : g.elements) line(element_card(c, c.elements[id], dialect) + origin_comment(c.elements[id]), id);
    }
    line(".ends " + g.def);
  }
  // The top level: every other element, and each group's instance where its first element was.
  line("* ---- top level ----");
  layer = 0;
  for (size_t i = 0; i < ne; ++i) {
    const int gi = group[i];
    if (gi >= 0 && groups[gi].elements[0] != static_cast<ElementId>(i)) continue;
    if (gi >= 0) {
      const Group& g = groups[gi];
      if (g.layer != layer) {
        layer = g.layer;
        line(fmt::format("* layer {}", layer));
      }
      std::vector<std::string> words;
      for (NodeId n : g.ports) words.push_back(c.node_name(n));
      words.push_back(g.def);
      wrapped("x" + g.name, words);
      continue;
    }
    line(element_card(c, c.elements[i], dialect) + origin_comment(c.elements[i]), static_cast<ElementId>(i));
  }
  write_controls(c, dialect, [&](std::string_view t) { line(t); });
  line(".end");
  return out;
}

std::string SpiceText::describe_line(const Circuit& c, int line) const {
  if (line >= 1 && line <= static_cast<int>(line_element.size()) && line_element[line - 1] >= 0)
    return fmt::format("line {}: {}", line, c.describe(line_element[line - 1]));
  return fmt::format("line {}", line);
}

}  // namespace spx::netlist
