// Transient windows of the full IMAC network: the 400-120-84-10 binary network in 32 x 32 tiles with
// every wire segment's resistance and capacitance (9 nm node), the op-amp macro-model with its pole
// and slew limit, ideal sigmoid neurons; random binary weights and two random +-1 V images (seeded).
// The inputs move from the first image to the second over 0.1 ns and the window lasts 2 ns at 10 ps
// steps, as `spinxbar run --analysis tran` simulates one image. Reports: unknowns, the full native
// transient (chord Newton), the same window with the interconnect reduced onto its ports (setup and
// window apart), the parts reduced and their time constant, and the largest difference of every
// neuron output and input over the whole window, as a fraction of vdd (target: 1e-3).
// --quick: a 64-24-10 network (CTest).
#include <cmath>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "benches/bench_util.hpp"
#include "benches/random_network.hpp"
#include "solver/interconnect.hpp"
#include "solver/native.hpp"

using namespace spx;

int main(int argc, char** argv) {
  bool quick = false;
  for (int k = 1; k < argc; ++k) {
    if (std::strcmp(argv[k], "--quick") == 0) quick = true;
    else {
      fmt::print(stderr, "usage: bench_network_transient [--quick]\n");
      return 2;
    }
  }
  const std::vector<int> sizes = quick ? std::vector<int>{64, 24, 10} : std::vector<int>{400, 120, 84, 10};
  netlist::MlpSpec spec = bench::network(sizes, 5);
  spec.wire_c = true;
  spec.slew = true;
  const auto x = bench::images(sizes.front(), 2, 9);
  netlist::Circuit c;
  auto ports = netlist::build_mlp(spec, std::vector<double>(x.begin(), x.begin() + sizes.front()), c);
  const double edge = 0.1e-9, h = edge / 10;
  for (size_t i = 0; i < ports.input_sources.size(); ++i)
    c.elements[ports.input_sources[i]].wave =
        devices::Waveform{devices::WaveKind::pwl, 0, false, {0, x[i], edge, x[sizes.front() + i]}};
  netlist::Analysis a;
  a.kind = netlist::AnalysisKind::tran;
  a.tstep = h;
  a.tmax = h;
  a.tstop = 2e-9;
  c.analyses = {a};
  std::vector<netlist::NodeId> watch;
  for (size_t l = 0; l < ports.layer_outputs.size(); ++l) {
    watch.insert(watch.end(), ports.layer_outputs[l].begin(), ports.layer_outputs[l].end());
    watch.insert(watch.end(), ports.layer_z[l].begin(), ports.layer_z[l].end());
  }
  solver::SolverOptions o;
  for (auto n : watch) o.save.push_back("v(" + c.node_name(n) + ")");

  double t0 = bench::now();
  auto full = solver::simulate_native(c, o);
  const double t_full = bench::now() - t0;
  t0 = bench::now();
  auto red = solver::reduce_interconnect(c, watch, h);
  const double t_setup = bench::now() - t0;
  t0 = bench::now();
  auto fast = solver::simulate_native(red.circuit, o);
  const double t_fast = bench::now() - t0;
  if (!full[0].report.ok() || !fast[0].report.ok()) {
    fmt::print("native failed: {} {}\n", full[0].report.detail, fast[0].report.detail);
    return 1;
  }
  double worst = 0;
  for (const auto& name : o.save) {
    const auto &p = full[0].vectors.at(name), &q = fast[0].vectors.at(name);
    for (size_t k = 0; k < p.size() && k < q.size(); ++k) worst = std::max(worst, std::fabs(p[k] - q[k]));
  }
  fmt::print("{} network, wire R and C, {} time points: {} nodes, {} elements\n", fmt::join(sizes, "-"),
             full[0].scale.size(), c.node_count() - 1, c.elements.size());
  fmt::print("{:<44} {:>10.2f} s   {} factorizations\n", "full circuit, one window", t_full, full[0].factorizations);
  fmt::print("{:<44} {:>10.2f} s   {} parts, {} nodes eliminated, tau {:.3g} s (step {:.3g} s)\n",
             "interconnect reduction (setup, once)", t_setup, red.reduced, red.nodes_eliminated, red.tau, h);
  fmt::print("{:<44} {:>10.2f} s   {} factorizations\n", "reduced circuit, one window", t_fast, fast[0].factorizations);
  fmt::print("largest difference of {} neuron outputs and inputs over the window: {:.3g} of vdd (target 1e-3)\n",
             watch.size(), worst / spec.vdd);
  return worst <= 1e-3 * spec.vdd ? 0 : 1;
}
