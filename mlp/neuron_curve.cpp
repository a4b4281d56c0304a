// Neuron characterization by an ngspice DC sweep (neuron_curve.hpp).
#include "mlp/neuron_curve.hpp"

#include <cmath>
#include <stdexcept>

#include "netlist/mlp.hpp"
#include "solver/ngspice.hpp"

namespace spx::mlp {

NeuronCurve thin_curve(const std::vector<double>& x, const std::vector<double>& y, double tolerance) {
  NeuronCurve c;
  c.dense_points = x.size();
  if (x.size() < 3) {
    c.in = x;
    c.out = y;
    return c;
  }
  // Greedy: from the last kept point, extend the segment as far as every skipped sample stays within
  // tolerance of the chord.
  size_t a = 0;
  c.in.push_back(x[0]);
  c.out.push_back(y[0]);
  while (a + 1 < x.size()) {
    size_t b = a + 1;
    while (b + 1 < x.size()) {
      size_t next = b + 1;
      bool ok = true;
      for (size_t k = a + 1; k < next && ok; ++k) {
        double yk = y[a] + (y[next] - y[a]) * (x[k] - x[a]) / (x[next] - x[a]);
        ok = std::fabs(yk - y[k]) <= tolerance;
      }
      if (!ok) break;
      b = next;
    }
    c.in.push_back(x[b]);
    c.out.push_back(y[b]);
    a = b;
  }
  return c;
}

NeuronCurve characterize_neuron(const devices::SotNeuronParams& p, const devices::MtjParams& mtj, double vdd,
                                double z_min, double z_max, double step, double tolerance) {
  netlist::Circuit c;
  c.title = "spinxbar neuron characterization";
  netlist::NodeId z = c.node("z"), out = c.node("out"), supply = c.node("vdd");
  c.add(netlist::make_vsource("v_vdd", supply, netlist::ground, vdd));
  c.add(netlist::make_vsource("v_z", z, netlist::ground, 0));
  netlist::add_sot_neuron(c, "n", z, out, supply, p, mtj, {});
  netlist::Analysis a;
  a.kind = netlist::AnalysisKind::dc;
  a.source = "v_z";
  a.start = z_min;
  a.stop = z_max;
  a.step = step;
  c.analyses.push_back(a);
  auto run = solver::ngspice_session().run(c);
  if (!run.ok) throw std::runtime_error("neuron characterization failed in ngspice: " + run.error);
  const auto& r = run.analyses.at(0);
  return thin_curve(r.scale, r.vectors.at("v(out)"), tolerance);
}

}  // namespace spx::mlp
