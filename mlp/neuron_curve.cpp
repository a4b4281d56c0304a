// Neuron characterization by an ngspice DC sweep (neuron_curve.hpp).
#include "mlp/neuron_curve.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
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
  NeuronCurve curve = thin_curve(r.scale, r.vectors.at("v(out)"), tolerance);
  // The supply current at the kept points (the sweep's own samples: kept points are samples).
  const auto& i = r.vectors.at("i(v_vdd)");
  for (double x : curve.in) {
    const size_t k = std::lower_bound(r.scale.begin(), r.scale.end(), x - 1e-12) - r.scale.begin();
    curve.supply.push_back(-i.at(std::min(k, i.size() - 1)));  // a source's current flows in at its + node
  }
  double sum = 0;
  for (double a : i) sum -= a;
  curve.supply_mean = i.empty() ? 0 : sum / static_cast<double>(i.size());
  return curve;
}

std::vector<NeuronDelay> neuron_delays(const devices::SotNeuronParams& p, const devices::MtjParams& mtj, double vdd,
                                       double z_lo, double z_hi, const std::vector<double>& loads) {
  std::vector<NeuronDelay> out;
  const double t0 = 20e-12, edge = 1e-12;
  for (double cl : loads) {
    NeuronDelay d;
    d.c_load = cl;
    for (bool rising : {true, false}) {
      // The output rises when the (inverting) neuron's input steps down.
      const double from = rising ? z_hi : z_lo, to = rising ? z_lo : z_hi;
      double tstop = 200e-12;
      for (int attempt = 0;; ++attempt) {
        netlist::Circuit c;
        c.title = "spinxbar neuron delay";
        netlist::NodeId z = c.node("z"), o = c.node("out"), supply = c.node("vdd");
        c.add(netlist::make_vsource("v_vdd", supply, netlist::ground, vdd));
        netlist::Element vz = netlist::make_vsource("v_z", z, netlist::ground, from);
        vz.wave.kind = devices::WaveKind::pwl;
        vz.wave.args = {0, from, t0, from, t0 + edge, to};
        c.add(std::move(vz));
        netlist::add_sot_neuron(c, "n", z, o, supply, p, mtj, {});
        if (cl > 0) c.add(netlist::make_capacitor("c_load", o, netlist::ground, cl));
        netlist::Analysis a;
        a.kind = netlist::AnalysisKind::tran;
        a.tstep = tstop / 4000;
        a.tmax = a.tstep;
        a.tstop = tstop;
        c.analyses.push_back(a);
        auto run = solver::ngspice_session().run(c);
        if (!run.ok) throw std::runtime_error("neuron delay in ngspice failed: " + run.error);
        const auto& t = run.analyses.at(0).scale;
        const auto& v = run.analyses.at(0).vectors.at("v(out)");
        const double mid = 0.5 * (v.front() + v.back());
        double t50 = -1;
        for (size_t k = 1; k < t.size(); ++k)
          if (t[k] > t0 && (v[k - 1] - mid) * (v[k] - mid) <= 0 && v[k] != v[k - 1]) {
            t50 = t[k - 1] + (mid - v[k - 1]) / (v[k] - v[k - 1]) * (t[k] - t[k - 1]);
            break;
          }
        // Settled well before the end (the final value is the steady state), else a longer window.
        if (t50 > 0 && t50 < t0 + 0.2 * (tstop - t0)) {
          (rising ? d.rise : d.fall) = t50 - (t0 + edge / 2);
          break;
        }
        if (attempt == 12) throw std::runtime_error("neuron delay: the output did not settle within " + std::to_string(tstop) + " s");
        tstop *= 4;
      }
    }
    out.push_back(d);
  }
  return out;
}

NeuronDynamicsFit fit_neuron_dynamics(const devices::SotNeuronParams& p, const devices::MtjParams& mtj, double vdd,
                                      double z_lo, double z_hi) {
  NeuronDynamicsFit f;
  const double c1 = 1e-15, c2 = 10e-15;  // two loads spanning a buffer gate to a short line
  f.delays = neuron_delays(p, mtj, vdd, z_lo, z_hi, {c1, c2});
  const double d1 = 0.5 * (f.delays[0].rise + f.delays[0].fall), d2 = 0.5 * (f.delays[1].rise + f.delays[1].fall);
  const double slope = (d2 - d1) / (c2 - c1);
  if (!(slope > 0) || !std::isfinite(slope) || !(d1 > 0))
    throw std::runtime_error(fmt::format("neuron delay does not grow with the load ({} s at {} F, {} s at {} F): no output resistance to fit",
                                         d1, c1, d2, c2));
  f.r_out = slope / std::log(2.0);
  f.c_out = std::max(0.0, d1 / slope - c1);
  return f;
}

}  // namespace spx::mlp
