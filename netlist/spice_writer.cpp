// ngspice-dialect writer (spice_writer.hpp).
#include "netlist/spice_writer.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

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

}  // namespace

/// HSPICE PWL(1) source for an expression that is exactly pwl(v(a[,b]), x0,y0, ...), or "".
std::string hspice_pwl(const Circuit& c, const Element& e) {
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
  std::string s = fmt::format("{} {} {} pwl(1) {} {}", e.name, c.node_name(e.a), c.node_name(e.b), c.node_name(v.ref),
                              v.ref2 >= 0 ? c.node_name(v.ref2) : "0");
  for (size_t k = 0; k < all.size(); k += 2) s += fmt::format(" {},{}", format_number(all[k]), format_number(all[k + 1]));
  return s;
}

std::string element_card(const Circuit& c, const Element& e, Dialect dialect) {
  const bool hspice = dialect == Dialect::hspice;
  auto n = [&](NodeId id) -> const std::string& { return c.node_name(id); };
  std::string s = fmt::format("{} {} {}", e.name, n(e.a), n(e.b));
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
        if (std::string p = hspice_pwl(c, e); !p.empty()) return "e" + p;
      }
      std::string expr = to_string(
          e.expr, [&](int32_t id) { return c.node_name(id); },
          [&](int32_t id) { return c.elements[id].name; }, hspice);
      if (hspice) {
        bool v = e.kind == ElementKind::behavioral_v;
        return fmt::format("{}{} {} {} {}='{}'", v ? 'e' : 'g', e.name, n(e.a), n(e.b), v ? "vol" : "cur", expr);
      }
      s += fmt::format(" {}={{{}}}", e.kind == ElementKind::behavioral_v ? 'v' : 'i', expr);
      break;
    }
  }
  return s;
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
  for (size_t i = 0; i < c.elements.size(); ++i) {
    std::string card = element_card(c, c.elements[i], dialect);
    // A crossbar cell's position, as a comment both dialects skip and the reader takes back (the
    // solver orders large crossbars by it).
    const auto& o = c.elements[i].origin;
    if (o.row >= 0 && o.col >= 0) card += fmt::format(" $ @{},{},{},{},{}", o.layer, o.tile_row, o.tile_col, o.row, o.col);
    line(card, static_cast<ElementId>(i));
  }
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
  line(".end");
  return out;
}

std::string SpiceText::describe_line(const Circuit& c, int line) const {
  if (line >= 1 && line <= static_cast<int>(line_element.size()) && line_element[line - 1] >= 0)
    return fmt::format("line {}: {}", line, c.describe(line_element[line - 1]));
  return fmt::format("line {}", line);
}

}  // namespace spx::netlist
