// Stochastic MTJ element (smtj_element.hpp).
#include "netlist/smtj_element.hpp"

#include <fmt/format.h>

namespace spx::netlist {

ElementId add_smtj(Circuit& c, const std::string& name, NodeId a, NodeId b, const devices::Telegraph& t, double r_p,
                   double r_ap, double edge) {
  NodeId g = c.node(name + "_g");
  Element src;
  src.kind = ElementKind::vsource;
  src.name = "v" + name + "_g";
  src.a = g;
  src.wave.kind = devices::WaveKind::pwl;
  src.wave.args = devices::telegraph_pwl(t, 1 / r_p, 1 / r_ap, edge);
  c.add(std::move(src));
  std::string expr = fmt::format("v({},{})*v({})", c.node_name(a), c.node_name(b), c.node_name(g));
  return c.add(make_behavioral(c, "b" + name, ElementKind::behavioral_i, a, b, expr));
}

}  // namespace spx::netlist
