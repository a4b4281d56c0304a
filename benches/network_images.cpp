// Full IMAC network inference, DC-exact: the 400-120-84-10 binary network in 32 x 32 tiles with every
// wire resistance (9 nm node), loaded difference amplifiers, average merge, ideal sigmoid neurons;
// random binary weights and random +-1 V input images (seeded). Reports: circuit size, the port
// reduction's setup time (one LU factorization and one transposed solve per port quantity), time per
// image and total for N images on 1 and 2 threads, the full un-reduced native solve per image with
// the largest output difference, and embedded ngspice on a small slice of the same architecture
// (40-12-8-4) against the reduced solve. Last, the peripherals' cost: the same reduction as a run
// makes (outputs, every neuron's output and input, every line driver's current) with the static
// op-amp and ideal neurons against the op-amp macro-model, load capacitances, neuron output RC and
// line buffers; the target is at most 20 % more time for setup plus images (checked in the full run).
// --quick: a 64-24-10 network and fewer images (CTest).
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "benches/bench_util.hpp"
#include "benches/random_network.hpp"
#include "devices/periphery.hpp"
#include "netlist/mlp.hpp"
#include "solver/native.hpp"
#include "solver/ngspice.hpp"
#include "solver/port_reduction.hpp"

using namespace spx;

namespace {

using bench::network;
using bench::images;

/// Outputs of the full (un-reduced) native solve of one image.
std::vector<double> full_solve(netlist::Circuit c, const netlist::MlpPorts& ports, const double* x) {
  for (size_t k = 0; k < ports.input_sources.size(); ++k) c.elements[ports.input_sources[k]].wave.dc = x[k];
  c.analyses = {netlist::Analysis{}};
  auto r = solver::simulate_native(c);
  std::vector<double> out;
  for (auto n : ports.outputs) out.push_back(r.at(0).vectors.at("v(" + c.node_name(n) + ")")[0]);
  return out;
}

/// Setup plus solve time of a run's reduction of the network (seconds), and its outputs.
double run_reduction(const netlist::MlpSpec& spec, const std::vector<double>& x, int count, std::vector<double>& out) {
  netlist::Circuit c;
  double t0 = bench::now();
  auto ports = netlist::build_mlp(spec, std::vector<double>(spec.layers.front().inputs, 0.0), c);
  std::vector<netlist::NodeId> nodes = ports.outputs;
  for (size_t l = 0; l < ports.layer_outputs.size(); ++l) {
    nodes.insert(nodes.end(), ports.layer_outputs[l].begin(), ports.layer_outputs[l].end());
    nodes.insert(nodes.end(), ports.layer_z[l].begin(), ports.layer_z[l].end());
  }
  std::vector<netlist::ElementId> currents = ports.input_sources;
  currents.push_back(ports.supply);
  if (!ports.buffers.empty()) {
    currents.insert(currents.end(), ports.buffers.begin(), ports.buffers.end());
  } else {
    for (size_t i = 0; i < c.elements.size(); ++i)
      if (c.elements[i].kind == netlist::ElementKind::behavioral_v && c.elements[i].origin.role == netlist::Role::neuron)
        currents.push_back(static_cast<netlist::ElementId>(i));
  }
  solver::PortReducedNetwork red(c, ports.input_sources, nodes, currents, 2);
  const size_t width = nodes.size() + currents.size();
  std::vector<double> all(width * count);
  red.solve_many(x, all, count, 2);
  out.clear();
  for (int k = 0; k < count; ++k)
    out.insert(out.end(), all.begin() + static_cast<ptrdiff_t>(k * width), all.begin() + static_cast<ptrdiff_t>(k * width + ports.outputs.size()));
  return bench::now() - t0;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const std::vector<int> sizes = quick ? std::vector<int>{64, 24, 10} : std::vector<int>{400, 120, 84, 10};
  const int count = quick ? 200 : 10000;
  auto spec = network(sizes, 1);
  netlist::Circuit c;
  c.title = "bench network";
  double t0 = bench::now();
  auto ports = netlist::build_mlp(spec, std::vector<double>(sizes[0], 0.0), c);
  double t_build = bench::now() - t0;
  fmt::print("network {}: {} nodes, {} elements, built in {:.2f} s\n", fmt::join(sizes, "-"), c.node_count() - 1,
             c.elements.size(), t_build);
  solver::PortReducedNetwork red(c, ports.input_sources, ports.outputs, {}, 2);
  fmt::print("port reduction: {} ports, {} quantities, setup {:.2f} s\n", red.ports(), red.quantities(),
             red.setup_seconds());
  auto x = images(sizes[0], count, 2);
  const size_t no = ports.outputs.size();
  std::vector<double> out(no * count);
  for (int threads : {1, 2}) {
    double t = bench::now();
    auto reps = red.solve_many(x, out, count, threads);
    t = bench::now() - t;
    int bad = 0;
    for (auto& r : reps) bad += !r.ok;
    fmt::print("{} images, {} thread(s): {:.3f} s ({:.1f} us per image), {} not converged; total with setup {:.2f} s\n",
               count, threads, t, t / count * 1e6, bad, t + red.setup_seconds());
  }
  // The full un-reduced solve of a few images.
  int checks = quick ? 3 : 2;
  double worst = 0, t_full = 0;
  for (int k = 0; k < checks; ++k) {
    double t = bench::now();
    auto full = full_solve(c, ports, x.data() + static_cast<size_t>(k) * sizes[0]);
    t_full += bench::now() - t;
    for (size_t j = 0; j < no; ++j) worst = std::max(worst, std::fabs(full[j] - out[k * no + j]));
  }
  fmt::print("full native solve: {:.2f} s per image; largest output difference from the reduced solve {:.2e} V\n",
             t_full / checks, worst);
  if (worst > 1e-6) return 1;
  // ngspice on a small slice of the same architecture.
  const std::vector<int> slice = {40, 12, 8, 4};
  auto sspec = network(slice, 3);
  netlist::Circuit sc;
  sc.title = "bench slice";
  auto sports = netlist::build_mlp(sspec, std::vector<double>(slice[0], 0.0), sc);
  solver::PortReducedNetwork sred(sc, sports.input_sources, sports.outputs);
  auto sx = images(slice[0], 3, 4);
  double sworst = 0, t_ng = 0;
  for (int k = 0; k < 3; ++k) {
    std::vector<double> so(sports.outputs.size());
    sred.solve(std::span<const double>(sx.data() + k * slice[0], slice[0]), so);
    netlist::Circuit run = sc;
    for (size_t i = 0; i < sports.input_sources.size(); ++i) run.elements[sports.input_sources[i]].wave.dc = sx[k * slice[0] + i];
    run.analyses = {netlist::Analysis{}};
    double t = bench::now();
    auto ng = solver::ngspice_session().run(run);
    t_ng += bench::now() - t;
    if (!ng.ok) {
      fmt::print("ngspice failed: {}\n", ng.error);
      return 1;
    }
    for (size_t j = 0; j < so.size(); ++j)
      sworst = std::max(sworst, std::fabs(so[j] - ng.analyses[0].vectors.at("v(" + sc.node_name(sports.outputs[j]) + ")")[0]));
  }
  fmt::print("slice {}: ngspice {:.3f} s per image; largest output difference from the reduced solve {:.2e} V\n",
             fmt::join(slice, "-"), t_ng / 3, sworst);
  if (sworst > 1e-6) return 1;
  // The peripherals' cost on a run's reduction (2 threads).
  netlist::MlpSpec bare = spec, physical = spec;
  bare.amplifier.gbw = 0;
  bare.amplifier.c_load = 0;
  physical.neuron.dyn = devices::default_neuron_dynamics();
  std::vector<double> out_bare, out_physical;
  const double t_bare = run_reduction(bare, x, count, out_bare);
  const double t_physical = run_reduction(physical, x, count, out_physical);
  double pdiff = 0;
  for (size_t k = 0; k < out_bare.size(); ++k) pdiff = std::max(pdiff, std::fabs(out_bare[k] - out_physical[k]));
  fmt::print("peripherals: a run's reduction and {} images takes {:.2f} s with static op-amps and ideal neurons, {:.2f} s "
             "with the macro-models ({:+.1f} %, target <= +20 %); outputs differ by {:.2e} V\n",
             count, t_bare, t_physical, 100 * (t_physical / t_bare - 1), pdiff);
  if (pdiff > 1e-9) return 1;
  return !quick && t_physical > 1.2 * t_bare ? 1 : 0;
}
