// p-bit read cell (pbit_cell.hpp).
#include "netlist/pbit_cell.hpp"

#include <fmt/format.h>

#include "netlist/smtj_element.hpp"

namespace spx::netlist {

PbitCell add_pbit_cell(Circuit& c, const std::string& name, const devices::PbitParams& p, const devices::Telegraph& t,
                       double current, double edge) {
  PbitCell cell;
  cell.top = c.node(name + "_top");
  cell.mid = c.node(name + "_mid");
  cell.out = c.node(name + "_out");
  cell.channel = c.node(name + "_ch");
  cell.read_source = "v" + name + "_read";
  c.add(make_vsource(cell.read_source, cell.top, ground, p.v_read));
  add_smtj(c, name + "_mtj", cell.top, cell.mid, t, p.r_p, p.r_ap(), edge);
  c.add(make_resistor("r" + name + "_ref", cell.mid, ground, p.r_ref));
  const double width = (p.divider(false) - p.divider(true)) / 20;
  const std::string expr =
      fmt::format("{:.17g}/(1+exp((v({})-{:.17g})/{:.17g}))", p.vdd, c.node_name(cell.mid), p.threshold(), width);
  c.add(make_behavioral(c, "b" + name + "_cmp", ElementKind::behavioral_v, cell.out, ground, expr));
  c.add(make_capacitor("c" + name + "_out", cell.out, ground, p.c_out));
  Element src;
  src.kind = ElementKind::isource;
  src.name = "i" + name + "_in";
  src.a = ground;
  src.b = cell.channel;
  src.wave.dc = current;
  src.wave.dc_given = true;
  c.add(std::move(src));
  c.add(make_resistor("r" + name + "_ch", cell.channel, ground, p.r_channel));
  return cell;
}

}  // namespace spx::netlist
