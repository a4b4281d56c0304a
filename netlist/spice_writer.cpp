// ngspice-dialect writer (spice_writer.hpp).
#include "netlist/spice_writer.hpp"

#include <fmt/format.h>

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

std::string element_card(const Circuit& c, const Element& e) {
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
    case ElementKind::behavioral_v:
    case ElementKind::behavioral_i: {
      std::string expr = to_string(
          e.expr, [&](int32_t id) { return c.node_name(id); },
          [&](int32_t id) { return c.elements[id].name; });
      s += fmt::format(" {}={{{}}}", e.kind == ElementKind::behavioral_v ? 'v' : 'i', expr);
      break;
    }
  }
  return s;
}

SpiceText write_spice(const Circuit& c) {
  SpiceText out;
  auto line = [&](std::string_view text, ElementId id = -1) {
    out.text += text;
    out.text += '\n';
    out.line_element.push_back(id);
  };
  line(c.title);
  for (const auto& o : c.options) line(o);
  for (size_t i = 0; i < c.elements.size(); ++i)
    line(element_card(c, c.elements[i]), static_cast<ElementId>(i));
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
  line(".end");
  return out;
}

std::string SpiceText::describe_line(const Circuit& c, int line) const {
  if (line >= 1 && line <= static_cast<int>(line_element.size()) && line_element[line - 1] >= 0)
    return fmt::format("line {}: {}", line, c.describe(line_element[line - 1]));
  return fmt::format("line {}", line);
}

}  // namespace spx::netlist
