// Circuit-level inference over a dataset (run.hpp).
#include "mlp/run.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <omp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <future>
#include <limits>
#include <thread>

#include "devices/error.hpp"
#include "devices/hash.hpp"
#include "devices/files.hpp"
#include "devices/limits.hpp"
#include "devices/interrupt.hpp"
#include "mlp/generate.hpp"
#include "mlp/system.hpp"
#include "mlp/weights.hpp"
#include "solver/interconnect.hpp"
#include "solver/native.hpp"
#include "solver/ngspice.hpp"
#include "solver/port_reduction.hpp"

namespace spx::mlp {
namespace fs = std::filesystem;
using netlist::Circuit;
using netlist::ElementId;
using netlist::NodeId;

namespace {

double time_step(const Config& cfg) { return time_step(cfg.run, cfg.input); }

/// Components of the energy breakdown (system.hpp).
enum Part { drivers_part, arrays_part, amplifiers_part, neurons_part, conversion_part, parts };
const char* const part_names[parts] = {"drivers", "arrays", "amplifiers", "neurons", "conversion"};

/// One image's results.
struct Row {
  int index = 0, label = -1, prediction = -1, reference = -1;
  std::vector<double> outputs;
  std::vector<double> z;               // V, the last layer's neuron inputs (they decide exact output ties)
  double power = 0;                    // W, static power of the whole network at this image
  double energy = 0, energy_static = 0, energy_dynamic = 0;
  double energy_by[parts] = {};
  double energy_imac = 0;              // J, IMAC-Sim's measure: the tiles' and neurons' supplies over input.window
  double latency = NAN;
  std::vector<double> layer_latency;   // s, when each layer's outputs settle
};

/// Who drives the crossbar lines: input DACs, the bias supply, and the buffers (or, unbuffered, the
/// neurons) that put each layer's outputs on the next layer's lines.
enum Group { inputs_group, supply_group, lines_group };

/// The network circuit and what a run reads from it.
struct Bench {
  Circuit circuit;
  netlist::MlpPorts ports;
  std::vector<ElementId> drivers;     // line drivers
  std::vector<Group> group;
  std::vector<int> source;            // per driver: input index, or index into the flattened layer outputs
  int supply_driver = -1;             // the bias lines' VDD among the drivers
  std::vector<NodeId> neuron_out, neuron_z;  // every layer's neurons, flattened
  std::vector<int> neuron_layer;      // layer (0-based) of each flattened neuron
  std::vector<ElementId> neuron_laws; // behavioral neurons (empty for transistor neurons)
};

Bench make_bench(const Config& cfg, const std::vector<double>& x0, bool transient, int64_t image) {
  Bench b;
  Generated g = generate(cfg, {x0}, transient, image);
  b.circuit = std::move(g.circuit);
  b.ports = std::move(g.ports);
  for (size_t k = 0; k < b.ports.input_sources.size(); ++k) {
    b.drivers.push_back(b.ports.input_sources[k]);
    b.group.push_back(inputs_group);
    b.source.push_back(static_cast<int>(k));
  }
  b.supply_driver = static_cast<int>(b.drivers.size());
  b.drivers.push_back(b.ports.supply);
  b.group.push_back(supply_group);
  b.source.push_back(-1);
  for (size_t l = 0; l < b.ports.layer_outputs.size(); ++l)
    for (size_t r = 0; r < b.ports.layer_outputs[l].size(); ++r) {
      b.neuron_out.push_back(b.ports.layer_outputs[l][r]);
      b.neuron_z.push_back(b.ports.layer_z[l][r]);
      b.neuron_layer.push_back(static_cast<int>(l));
    }
  for (size_t i = 0; i < b.circuit.elements.size(); ++i) {
    const auto& e = b.circuit.elements[i];
    if (e.kind == netlist::ElementKind::behavioral_v && e.origin.role == netlist::Role::neuron)
      b.neuron_laws.push_back(static_cast<ElementId>(i));
  }
  if (!b.ports.buffers.empty()) {
    // Buffer j copies flattened neuron j (layers 1 .. L-1 in order).
    for (size_t j = 0; j < b.ports.buffers.size(); ++j) {
      b.drivers.push_back(b.ports.buffers[j]);
      b.group.push_back(lines_group);
      b.source.push_back(static_cast<int>(j));
    }
  } else {
    for (size_t j = 0; j < b.neuron_laws.size(); ++j) {
      b.drivers.push_back(b.neuron_laws[j]);
      b.group.push_back(lines_group);
      b.source.push_back(static_cast<int>(j));  // unbuffered: the law's output is the neuron output
    }
  }
  return b;
}

/// +1 when the neuron's output rises with its input, -1 when it falls (the inverting sigmoid).
double neuron_orientation(const netlist::NeuronSpec& n) {
  switch (n.kind) {
    case netlist::NeuronKind::ideal: return n.slope > 0 ? -1.0 : 1.0;
    case netlist::NeuronKind::curve: return n.curve_out.empty() || n.curve_out.back() >= n.curve_out.front() ? 1.0 : -1.0;
    case netlist::NeuronKind::transistor: return -1.0;
  }
  return -1.0;
}

/// The predicted class: the largest output. Outputs that tie exactly (neurons saturated to the same
/// voltage in double precision, e.g. at vdd) are told apart by their neuron inputs, ranked as the
/// neuron's law ranks them (`orient`): the order the outputs have before rounding, and the order the
/// software reference ranks classes by. -1 when the inputs tie exactly too.
int decide(const std::vector<double>& out, const std::vector<double>& z, double orient) {
  int best = 0;
  bool tie = false;
  for (int j = 1; j < static_cast<int>(out.size()); ++j) {
    if (out[j] > out[best]) {
      best = j;
      tie = false;
    } else if (out[j] == out[best]) {
      if (z.size() != out.size()) {
        tie = true;
        continue;
      }
      const double a = orient * z[j], b = orient * z[best];
      if (a > b) {
        best = j;
        tie = false;
      } else if (a == b) {
        tie = true;
      }
    }
  }
  return tie ? -1 : best;
}

std::string vname(const Circuit& c, NodeId n) { return "v(" + c.node_name(n) + ")"; }
std::string iname(const Circuit& c, ElementId e) { return "i(" + c.elements[e].name + ")"; }

/// The state of the network at one image's operating point: what the energy model reads.
struct State {
  std::vector<double> x;        // V, network inputs
  std::vector<double> y, z;     // V, every neuron's output and input (flattened)
  std::vector<double> current;  // A, every line driver's branch current
  double neuron_supply = 0;     // A, the transistor neurons' supply source's branch current
  std::vector<double> amplifier;  // A, every op-amp output's current (when solved)
};

/// The energy model of one inference at an operating point (system.hpp), given the previous state.
class EnergyModel {
 public:
  EnergyModel(const Config& cfg, const Bench& b)
      : cfg_(cfg), b_(b), pp_(peripheral_power(cfg)), latency_(design_latency(cfg)), band_(cfg.run.tolerance * cfg.spec.vdd) {
    const auto plans = netlist::plan_partitions(cfg.spec);
    for (size_t l = 0; l + 1 < cfg.sizes.size(); ++l) {
      line_c_.push_back(line_capacitance(cfg, static_cast<int>(l) + 1));
      amps_per_neuron_.push_back(static_cast<int>(plans[l].h_sizes.size()));
    }
    // Static power is paid while the lines, amplifiers and neurons settle; a sample-and-hold at every
    // partition output (ISAAC's) keeps the partial sums for the converters, whose own energy is theirs.
    for (const auto& t : latency_) total_latency_ += t.total() - t.conversion;
    for (const auto& c : conversion_cost(cfg)) {
      conversion_energy_ += c.energy();
      conversion_latency_.push_back(c.latency);
    }
    // Instantaneous peripherals (e.g. amplifier.gbw = 0): the static power is paid over input.window.
    if (!(total_latency_ > 0)) total_latency_ = cfg.input.window;
  }

  const std::vector<LayerLatency>& latency() const { return latency_; }

  /// Circuit power of the line drivers at a state, W.
  double array_power(const State& s) const {
    double p = 0;
    for (size_t d = 0; d < b_.drivers.size(); ++d) {
      double v = 0;
      switch (b_.group[d]) {
        case inputs_group: v = s.x[b_.source[d]]; break;
        case supply_group: v = cfg_.spec.vdd; break;
        case lines_group: v = s.y[b_.source[d]]; break;
      }
      p += -v * s.current[d];
    }
    return p;
  }
  /// Power the op-amp outputs draw from their rails (class-AB: from the rail on the current's side),
  /// W; 0 when the currents were not solved.
  double output_power(const State& s) const {
    double p = 0;
    for (double i : s.amplifier) p += std::fabs(i) * cfg_.spec.amplifier.supply;
    return p;
  }
  /// IMAC-Sim's power measure at a state, W: |v i| of the tiles' supply (the bias lines' VDD; IMAC-Sim
  /// takes it tile by tile, the same sum while every tile draws from it, as tiles do while the inputs
  /// stay within the supply) plus the neurons' supply power `neurons`.
  double imac_power(const State& s, double neurons) const {
    return neurons + std::fabs(cfg_.spec.vdd * s.current[b_.supply_driver]);
  }
  /// Neurons' supply power at a state, W.
  double neuron_power(const State& s) const {
    if (!pp_.neurons_per_image) return pp_.neurons;
    if (b_.ports.neuron_supply >= 0) return -cfg_.spec.vdd * s.neuron_supply;  // delivered: -v i
    double p = 0;
    for (double z : s.z) p += cfg_.spec.vdd * neuron_supply(cfg_.spec.neuron, z);
    return p;
  }

  /// Fills the row's energy figures for an inference from `prev` to `now` (operating points).
  void operating_point(const State& prev, const State& now, Row& r) const {
    const double vdd = cfg_.spec.vdd, T = total_latency_;
    const auto& d = cfg_.spec.driver;
    const auto& n = cfg_.spec.neuron.dyn;
    const auto& a = cfg_.spec.amplifier;
    double dyn[parts] = {};
    // Lines: layer 1 from the inputs, layer l > 1 from layer l-1's outputs.
    for (size_t i = 0; i < now.x.size(); ++i) {
      const double dv = std::fabs(now.x[i] - prev.x[i]);
      dyn[drivers_part] += line_c_[0] * vdd * dv + (dv > band_ ? d.e_transition : 0.0);
    }
    for (size_t j = 0; j < now.y.size(); ++j) {
      const double dy = std::fabs(now.y[j] - prev.y[j]);
      const int l = b_.neuron_layer[j];
      if (l + 1 < static_cast<int>(line_c_.size()))
        dyn[drivers_part] += line_c_[l + 1] * vdd * dy + (dy > band_ ? d.e_transition : 0.0);
      dyn[neurons_part] += (n.c_out + n.c_load) * vdd * dy;
      dyn[amplifiers_part] += amps_per_neuron_[l] * a.c_load * a.supply * std::fabs(now.z[j] - prev.z[j]);
    }
    dyn[conversion_part] = conversion_energy_;
    const double p_arrays = array_power(now), p_neurons = neuron_power(now), p_outputs = output_power(now);
    r.power = p_arrays + pp_.amplifiers + p_outputs + pp_.drivers + p_neurons + pp_.conversion;
    r.energy_by[drivers_part] = pp_.drivers * T + dyn[drivers_part];
    r.energy_by[arrays_part] = p_arrays * T;
    r.energy_by[amplifiers_part] = (pp_.amplifiers + p_outputs) * T + dyn[amplifiers_part];
    r.energy_by[neurons_part] = p_neurons * T + dyn[neurons_part];
    r.energy_by[conversion_part] = pp_.conversion * T + dyn[conversion_part];
    r.energy_static = r.power * T;
    r.energy_dynamic = dyn[drivers_part] + dyn[amplifiers_part] + dyn[neurons_part] + dyn[conversion_part];
    r.energy_imac = imac_power(now, p_neurons) * cfg_.input.window;
    r.energy = r.energy_static + r.energy_dynamic;
    r.latency = T;
    for (const auto& t : latency_) r.latency += t.conversion;
    // Per layer: settled through that layer (the running sum), as transients measure it.
    r.layer_latency.clear();
    double through = 0;
    for (const auto& t : latency_) r.layer_latency.push_back(through += t.total());
  }

  const PeripheralPower& peripheral() const { return pp_; }
  /// The converters' energy per inference, J, and their latency per layer, s.
  double conversion_energy() const { return conversion_energy_; }
  const std::vector<double>& conversion_latency() const { return conversion_latency_; }

 private:
  const Config& cfg_;
  const Bench& b_;
  PeripheralPower pp_;
  std::vector<LayerLatency> latency_;
  double total_latency_ = 0;
  double band_ = 0;                   // V, a line whose value moves less has not changed (e_transition)
  std::vector<double> line_c_;        // F per input line, per layer
  std::vector<int> amps_per_neuron_;  // h-partitions per layer
  double conversion_energy_ = 0;       // J per inference
  std::vector<double> conversion_latency_;  // s per layer
};

/// Vectors a full solve must keep.
std::vector<std::string> saved_vectors(const Bench& b, bool transient, bool amplifier_currents) {
  std::vector<std::string> s;
  auto add = [&](std::string n) {
    if (std::find(s.begin(), s.end(), n) == s.end()) s.push_back(std::move(n));
  };
  for (NodeId n : b.ports.outputs) add(vname(b.circuit, n));
  for (NodeId n : b.neuron_out) add(vname(b.circuit, n));
  for (NodeId n : b.neuron_z) add(vname(b.circuit, n));
  for (ElementId d : b.drivers) add(iname(b.circuit, d));
  if (b.ports.neuron_supply >= 0) add(iname(b.circuit, b.ports.neuron_supply));
  if (transient || amplifier_currents)
    for (ElementId d : b.ports.amplifiers) add(iname(b.circuit, d));
  if (transient) {
    for (ElementId d : b.neuron_laws) {
      const auto& e = b.circuit.elements[d];
      if (e.a != netlist::ground) add(vname(b.circuit, e.a));
      add(iname(b.circuit, d));
    }
  }
  return s;
}

/// Time from the window's start until every node stays within `band` of its final value.
double settling_time(const std::vector<double>& t, const std::vector<const std::vector<double>*>& nodes, double band) {
  size_t settled = 0;  // first point from which every node stays in its band
  for (const auto* v : nodes)
    for (size_t p = v->size(); p-- > 0;)
      if (std::fabs((*v)[p] - v->back()) > band) {
        settled = std::max(settled, p + 1);
        break;
      }
  return t[std::min(settled, t.size() - 1)] - t.front();
}

/// Simulates images; each call fills rows[k] (outputs, power, energy, latency) for images k0..k1-1.
class Simulator {
 public:
  Simulator(const Config& cfg, const InputSet& im, Backend backend, bool transient, int threads)
      : cfg_(cfg), im_(im), backend_(backend), transient_(transient), threads_(threads),
        bench_(make_bench(cfg, std::vector<double>(im.x.begin(), im.x.begin() + im.inputs), transient, im.first)),
        model_(cfg, bench_) {
    auto t0 = std::chrono::steady_clock::now();
    step_ = time_step(cfg);
    if (backend == Backend::native && !transient) {
      // Last-layer outputs, every neuron's output and input, then every line driver's current.
      std::vector<NodeId> nodes = bench_.ports.outputs;
      nodes.insert(nodes.end(), bench_.neuron_out.begin(), bench_.neuron_out.end());
      nodes.insert(nodes.end(), bench_.neuron_z.begin(), bench_.neuron_z.end());
      std::vector<ElementId> currents = bench_.drivers;
      if (cfg.run.amplifier_currents)
        currents.insert(currents.end(), bench_.ports.amplifiers.begin(), bench_.ports.amplifiers.end());
      // Inputs: the network inputs, then the converters' per-image sources (direct inputs).
      std::vector<ElementId> inputs = bench_.ports.input_sources;
      for (const auto& c : bench_.ports.converter_sources) inputs.push_back(c.source);
      reduced_.emplace(bench_.circuit, inputs, nodes, currents, threads);
      reduced_width_ = static_cast<int>(nodes.size() + currents.size());
    }
    save_ = saved_vectors(bench_, transient, cfg.run.amplifier_currents);
    if (backend == Backend::native && transient && cfg.run.reduce_interconnect) {
      // The wires reduced onto their ports once; every node the run reads stays.
      std::vector<NodeId> keep;
      for (const auto& name : save_)
        if (auto n = bench_.circuit.vector_node(name)) keep.push_back(*n);
      auto red = solver::reduce_interconnect(bench_.circuit, keep, step_);
      interconnect_ = {red.reduced, red.kept, red.nodes_eliminated, red.tau};
      work_circuit_ = std::make_unique<Circuit>(std::move(red.circuit));
      element_map_ = std::move(red.element);
    }
    work_ports_ = bench_.ports;
    for (auto& cs : work_ports_.converter_sources) cs.source = work_element(cs.source);
    setup_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

  double setup_seconds() const { return setup_seconds_; }
  /// What the interconnect reduction did (transients on the native backend).
  struct InterconnectInfo {
    int32_t reduced = 0, kept = 0;
    int64_t nodes_eliminated = 0;
    double tau = 0;
  };
  const std::optional<InterconnectInfo>& interconnect() const { return interconnect_; }
  const EnergyModel& model() const { return model_; }
  /// Images per batch between writes to disk.
  int batch() const { return reduced_ ? std::max(64, 128 * threads_) : full_threads(); }

  void simulate(int k0, int k1, std::vector<Row>& rows) {
    if (reduced_) return reduced(k0, k1, rows);
    // Full solves: consecutive images per thread, each thread with its own circuit and system (the
    // images are independent: the same bits for any number of threads).
    const int nt = std::min(full_threads(), k1 - k0);
    while (static_cast<int>(workers_.size()) < nt) workers_.push_back(std::make_unique<Worker>());
    std::atomic<bool> failed{false};  // one thread's failure stops the others at their next image
    auto chunk = [&](int t) {
      const int a = k0 + (k1 - k0) * t / nt, b = k0 + (k1 - k0) * (t + 1) / nt;
      for (int k = a; k < b && !failed; ++k) full(*workers_[t], k, rows[k - k0]);
    };
    std::vector<std::exception_ptr> errors(nt);
    std::vector<char> interrupted(nt, 0);
    auto guarded = [&](int t) {
      try {
        chunk(t);
      } catch (const Interrupted&) {
        interrupted[t] = 1;
        errors[t] = std::current_exception();
        failed = true;
      } catch (...) {
        errors[t] = std::current_exception();
        failed = true;
      }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < nt; ++t) pool.emplace_back(guarded, t);
    guarded(0);
    for (auto& th : pool) th.join();
    // Ctrl-C wins (exit 130), then the first failing thread's error (its images come first).
    for (int t = 0; t < nt; ++t)
      if (interrupted[t]) std::rethrow_exception(errors[t]);
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
  }

 private:
  const double* image(int k) const { return k < 0 ? im_.before.data() : im_.x.data() + static_cast<size_t>(k) * im_.inputs; }

  /// The state from one reduced solve's values.
  State state_of(const double* o, const double* x) const {
    const size_t m = bench_.ports.outputs.size(), nn = bench_.neuron_out.size(), nd = bench_.drivers.size();
    State s;
    s.x.assign(x, x + im_.inputs);
    s.y.assign(o + m, o + m + nn);
    s.z.assign(o + m + nn, o + m + 2 * nn);
    s.current.assign(o + m + 2 * nn, o + m + 2 * nn + nd);
    if (cfg_.run.amplifier_currents)
      s.amplifier.assign(o + m + 2 * nn + nd, o + m + 2 * nn + nd + bench_.ports.amplifiers.size());
    return s;
  }

  void reduced(int k0, int k1, std::vector<Row>& rows) {
    // One image more: the one before k0, whose state the first inference starts from.
    const int count = k1 - k0 + 1, m = static_cast<int>(bench_.ports.outputs.size());
    const int width = reduced_width_;
    const size_t nc = bench_.ports.converter_sources.size(), ni = static_cast<size_t>(im_.inputs) + nc;
    std::vector<double> in(static_cast<size_t>(count) * ni);
    auto fill = [&](int from, int step) {
      for (int k = from; k < count; k += step) {
        double* row = in.data() + static_cast<size_t>(k) * ni;
        std::copy_n(image(k0 - 1 + k), im_.inputs, row);
        if (nc) netlist::converter_values(cfg_.spec, bench_.ports, im_.first + k0 - 1 + k, row + im_.inputs);
      }
    };
    {
      const int nt = nc ? std::max(1, std::min(threads_, count)) : 1;
      std::vector<std::thread> pool;
      for (int t = 1; t < nt; ++t) pool.emplace_back(fill, t, nt);
      fill(0, nt);
      for (auto& th : pool) th.join();
    }
    std::vector<double> out(static_cast<size_t>(count) * width);
    auto reps = reduced_->solve_many(in, out, count, threads_);
    for (int k = 0; k < count; ++k)
      if (!reps[k].ok) {
        const int index = im_.first + k0 - 1 + k;
        throw std::runtime_error(index < im_.first ? fmt::format("the state before image {}: native op: {}", im_.first, reps[k].detail)
                                                  : fmt::format("image {}: native op: {}", index, reps[k].detail));
      }
    State prev = state_of(out.data(), in.data());
    for (int k = 1; k < count; ++k) {
      const double* o = out.data() + static_cast<size_t>(k) * width;
      State now = state_of(o, in.data() + static_cast<size_t>(k) * ni);
      Row& r = rows[k - 1];
      r.outputs.assign(o, o + m);
      r.z.assign(now.z.end() - m, now.z.end());
      model_.operating_point(prev, now, r);
      prev = std::move(now);
    }
  }

  /// Solves image k (k = -1: the state before the first image) as an operating point or a
  /// transient window from the previous image.
  /// What one thread's full solves keep: one circuit and, on the native backend, one system for
  /// every image (only source values change: the inputs' waveforms, the converters' draws, so the
  /// pattern and the ordering stay), and the last operating point.
  struct Worker {
    std::unique_ptr<Circuit> circuit;
    std::unique_ptr<solver::NodalSystem> system;
    State prev;
    int prev_index = -2;
    bool have_prev = false;
  };
  /// Threads for full solves: the native backend's images run in parallel; embedded ngspice is one
  /// instance per process.
  int full_threads() const { return backend_ == Backend::native ? std::max(1, threads_) : 1; }

  /// An element of the bench circuit in the circuit full solves use.
  netlist::ElementId work_element(netlist::ElementId id) const { return element_map_.empty() ? id : element_map_[id]; }

  solver::AnalysisResult solve(Worker& w, int k, bool transient) {
    if (!w.circuit) w.circuit = std::make_unique<Circuit>(work_circuit_ ? *work_circuit_ : bench_.circuit);
    Circuit& c = *w.circuit;
    const double* x = image(k);
    const double* prev = image(k - 1);
    netlist::Analysis a;
    for (int i = 0; i < im_.inputs; ++i) {
      auto& wave = c.elements[work_element(bench_.ports.input_sources[i])].wave;
      wave = devices::Waveform{};
      if (transient) {
        wave.kind = devices::WaveKind::pwl;
        wave.args = {0, prev[i], cfg_.input.edge, x[i]};
      } else {
        wave.dc = x[i];
        wave.dc_given = true;
      }
    }
    netlist::set_converter_values(cfg_.spec, work_ports_, im_.first + k, c);
    if (transient) {
      a.kind = netlist::AnalysisKind::tran;
      a.tstep = step_;
      a.tmax = step_;
      a.tstop = cfg_.input.window;
    }
    c.analyses = {a};
    solver::AnalysisResult res;
    const std::string what = k < 0 ? fmt::format("the state before image {}", im_.first) : fmt::format("image {}", im_.first + k);
    if (backend_ == Backend::native) {
      solver::SolverOptions o;
      o.save = save_;
      if (!w.system) w.system = std::make_unique<solver::NodalSystem>(c, o);
      w.system->reset_numeric();  // the bits a new system gives: images stay independent
      res = solver::run_analysis(c, *w.system, a, o);
      if (!res.report.ok())
        throw std::runtime_error(fmt::format("{}: native {}: {}", what, transient ? "tran" : "op", res.report.detail));
    } else {
      auto run = solver::ngspice_session().run(c);
      if (!run.ok) throw std::runtime_error(fmt::format("{}: ngspice: {}", what, run.error));
      res = std::move(run.analyses.at(0));
    }
    for (const auto& name : save_)
      if (!res.vectors.count(name)) throw std::runtime_error(fmt::format("{}: no vector {} in the results", what, name));
    if (res.vectors.at(save_.front()).empty()) throw std::runtime_error(fmt::format("{}: empty results", what));
    return res;
  }

  /// A full solve's vectors that the energy model reads, looked up by name once per result.
  struct Columns {
    std::vector<const std::vector<double>*> y, z, current, amplifier, law_v, law_i;
    const std::vector<double>* neuron_supply = nullptr;
  };
  Columns columns(const solver::AnalysisResult& res) const {
    const Circuit& c = bench_.circuit;
    auto v = [&](NodeId n) { return &res.vectors.at(vname(c, n)); };
    auto i = [&](ElementId e) { return &res.vectors.at(iname(c, e)); };
    Columns k;
    for (NodeId n : bench_.neuron_out) k.y.push_back(v(n));
    for (NodeId n : bench_.neuron_z) k.z.push_back(v(n));
    for (ElementId d : bench_.drivers) k.current.push_back(i(d));
    if (bench_.ports.neuron_supply >= 0) k.neuron_supply = i(bench_.ports.neuron_supply);
    if (cfg_.run.amplifier_currents || transient_)
      for (ElementId a : bench_.ports.amplifiers) k.amplifier.push_back(i(a));
    if (transient_ && !bench_.ports.buffers.empty())
      for (ElementId d : bench_.neuron_laws) {
        const auto& e = c.elements[d];
        k.law_v.push_back(e.a == netlist::ground ? nullptr : v(e.a));
        k.law_i.push_back(i(d));
      }
    return k;
  }

  /// The state at point p of a full solve's vectors.
  State state_at(const Columns& k, const double* x, size_t p) const {
    State s;
    s.x.assign(x, x + im_.inputs);
    for (const auto* c : k.y) s.y.push_back((*c)[p]);
    for (const auto* c : k.z) s.z.push_back((*c)[p]);
    for (const auto* c : k.current) s.current.push_back((*c)[p]);
    if (k.neuron_supply) s.neuron_supply = (*k.neuron_supply)[p];
    for (const auto* c : k.amplifier) s.amplifier.push_back((*c)[p]);
    return s;
  }

  void full(Worker& w, int k, Row& r) {
    if (!transient_) {
      // The previous image's operating point (kept from the last call when it was image k-1).
      if (!(w.have_prev && w.prev_index == k - 1)) {
        const auto before = solve(w, k - 1, false);
        w.prev = state_at(columns(before), image(k - 1), 0);
      }
      auto res = solve(w, k, false);
      State now = state_at(columns(res), image(k), 0);
      r.outputs.clear();
      for (NodeId n : bench_.ports.outputs) r.outputs.push_back(res.vectors.at(vname(bench_.circuit, n))[0]);
      r.z.assign(now.z.end() - static_cast<ptrdiff_t>(r.outputs.size()), now.z.end());
      model_.operating_point(w.prev, now, r);
      w.prev = std::move(now);
      w.prev_index = k;
      w.have_prev = true;
      return;
    }
    auto res = solve(w, k, true);
    const auto& t = res.scale;
    r.outputs.clear();
    for (NodeId n : bench_.ports.outputs) r.outputs.push_back(res.vectors.at(vname(bench_.circuit, n)).back());
    r.z.clear();
    for (size_t j = bench_.neuron_z.size() - r.outputs.size(); j < bench_.neuron_z.size(); ++j)
      r.z.push_back(res.vectors.at(vname(bench_.circuit, bench_.neuron_z[j])).back());
    // Latency: every layer's outputs settled; the network's is the last layer's.
    const double band = cfg_.run.tolerance * cfg_.spec.vdd;
    r.layer_latency.clear();
    std::vector<const std::vector<double>*> settled;
    for (size_t j = 0; j < bench_.neuron_out.size(); ++j) {
      settled.push_back(&res.vectors.at(vname(bench_.circuit, bench_.neuron_out[j])));
      const bool last_of_layer = j + 1 == bench_.neuron_out.size() || bench_.neuron_layer[j + 1] != bench_.neuron_layer[j];
      if (last_of_layer) r.layer_latency.push_back(settling_time(t, settled, band));
    }
    r.latency = r.layer_latency.back();
    transient_energy(res, k, r);
    // Converters: the accumulators follow their inputs at once in the circuit; each layer's
    // conversion time comes after its partition outputs settle.
    double shift = 0;
    for (size_t l = 0; l < r.layer_latency.size(); ++l) {
      if (l < model_.conversion_latency().size()) shift += model_.conversion_latency()[l];
      r.layer_latency[l] += shift;
    }
    r.latency = r.layer_latency.back();
  }

  /// Energy of a transient window up to the settling time: the circuit's powers integrated, the
  /// peripheral static powers times the settling time; dynamic is what exceeds the final state's power.
  void transient_energy(const solver::AnalysisResult& res, int k, Row& r) const {
    const auto& t = res.scale;
    const double T = r.latency, vdd = cfg_.spec.vdd;
    const auto& pp = model_.peripheral();
    const double* x = image(k);
    const double* x0 = image(k - 1);
    const double edge = cfg_.input.edge;
    // Power per part at point p (W): arrays (line drivers), amplifier outputs from their rails, neuron
    // supplies (and the behavioral neurons' output drive when buffered).
    const Columns cols = columns(res);
    // Also IMAC-Sim's measure at that point, when asked.
    auto power = [&](size_t p, double* by, double* imac = nullptr) {
      const double f = std::min(t[p] / edge, 1.0);
      std::vector<double> xs(im_.inputs);
      for (int i = 0; i < im_.inputs; ++i) xs[i] = x0[i] + f * (x[i] - x0[i]);
      State s = state_at(cols, xs.data(), p);
      by[arrays_part] = model_.array_power(s);
      by[amplifiers_part] = model_.output_power(s) + pp.amplifiers;
      double neu = model_.neuron_power(s);
      for (size_t j = 0; j < cols.law_i.size(); ++j) {
        const double v = cols.law_v[j] ? (*cols.law_v[j])[p] : 0.0;
        neu += std::max(0.0, -v * (*cols.law_i[j])[p]);
      }
      by[neurons_part] = neu;
      by[drivers_part] = pp.drivers;
      by[conversion_part] = pp.conversion;
      if (imac) *imac = model_.imac_power(s, neu);
    };
    std::vector<double> series[parts], imac;
    for (size_t p = 0; p < t.size(); ++p) {
      double now[parts], imac_now = 0;
      power(p, now, &imac_now);
      imac.push_back(imac_now);
      if (p == 0 || t[p - 1] < T)
        for (int g = 0; g < parts; ++g) series[g].push_back(now[g]);
    }
    // IMAC-Sim integrates its supplies over the whole image window.
    r.energy_imac = integrate_until(t, imac, t.back());
    double total[parts];
    const std::vector<double> times(t.begin(), t.begin() + static_cast<ptrdiff_t>(series[0].size()));
    for (int g = 0; g < parts; ++g) total[g] = integrate_until(times, series[g], T);
    double final_power[parts];
    power(t.size() - 1, final_power);
    r.power = 0;
    r.energy_static = 0;
    for (int g = 0; g < parts; ++g) {
      r.energy_by[g] = total[g];
      r.power += final_power[g];
      r.energy_static += final_power[g] * T;
    }
    (void)vdd;
    // The drivers' switching energy beyond the circuit: e_transition per changed line.
    double extra = 0;
    for (int i = 0; i < im_.inputs; ++i)
      extra += std::fabs(x[i] - x0[i]) > cfg_.run.tolerance * cfg_.spec.vdd ? cfg_.spec.driver.e_transition : 0.0;
    r.energy_by[drivers_part] += extra;
    // The converters (not in the circuit's dynamics: the accumulators follow their inputs at once).
    r.energy_by[conversion_part] += model_.conversion_energy();
    r.energy = 0;
    for (double e : r.energy_by) r.energy += e;
    r.energy_dynamic = r.energy - r.energy_static;
  }

  const Config& cfg_;
  const InputSet& im_;
  Backend backend_;
  bool transient_;
  int threads_;
  Bench bench_;
  EnergyModel model_;
  double step_ = 0;
  std::optional<solver::PortReducedNetwork> reduced_;
  std::vector<std::unique_ptr<Worker>> workers_;  // full solves: one per thread
  std::unique_ptr<Circuit> work_circuit_;          // the circuit full solves use, when not bench_.circuit
  std::vector<netlist::ElementId> element_map_;    // bench element -> work_circuit_ element
  netlist::MlpPorts work_ports_;                   // bench_.ports with work_circuit_'s converter sources
  std::optional<InterconnectInfo> interconnect_;
  int reduced_width_ = 0;  // values per image from the reduced network
  std::vector<std::string> save_;
  double setup_seconds_ = 0;
};

// ---- images.csv ----

std::string csv_header(int classes, int layers) {
  std::string h = "index,label,prediction,reference";
  for (int j = 0; j < classes; ++j) h += fmt::format(",out_{}", j);
  h += ",power_w,energy_j,energy_static_j,energy_dynamic_j";
  for (const char* g : part_names) h += fmt::format(",energy_{}_j", g);
  h += ",energy_imac_sim_j";
  h += ",latency_s";
  for (int l = 1; l <= layers; ++l) h += fmt::format(",latency_l{}_s", l);
  return h + "\n";
}

std::string csv_row(const Row& r, int layers) {
  std::string s = fmt::format("{},{},{},{}", r.index, r.label, r.prediction, r.reference);
  for (double v : r.outputs) s += fmt::format(",{}", v);
  s += fmt::format(",{},{},{},{}", r.power, r.energy, r.energy_static, r.energy_dynamic);
  for (double e : r.energy_by) s += fmt::format(",{}", e);
  s += fmt::format(",{}", r.energy_imac);
  s += std::isnan(r.latency) ? std::string(",") : fmt::format(",{}", r.latency);
  for (int l = 0; l < layers; ++l)
    s += l < static_cast<int>(r.layer_latency.size()) ? fmt::format(",{}", r.layer_latency[l]) : std::string(",");
  return s + "\n";
}

/// Parses the complete rows of images.csv; a partly written last line is cut off the file.
std::vector<Row> read_rows(const fs::path& path, int classes, int layers, int first, bool repair) {
  std::string text = read_file(path);
  const std::string header = csv_header(classes, layers);
  if (text.compare(0, header.size(), header) != 0)
    fail("{}:1: not the header of this run's images.csv ({} outputs); use another --out", path.string(), classes);
  size_t end = text.rfind('\n') + 1;
  if (end < text.size()) {  // an interrupted write
    if (!repair)
      fail("{}:{}: incomplete last row (an interrupted run; continue it with --resume)", path.string(),
           std::count(text.begin(), text.end(), '\n') + 1);
    fs::resize_file(path, end);
  }
  std::vector<Row> rows;
  size_t pos = header.size();
  int line = 1;
  while (pos < end) {
    size_t nl = text.find('\n', pos);
    std::string s = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line;
    std::vector<std::string> f;
    for (size_t a = 0;;) {
      size_t b = s.find(',', a);
      f.push_back(s.substr(a, b == std::string::npos ? std::string::npos : b - a));
      if (b == std::string::npos) break;
      a = b + 1;
    }
    const size_t want = 4 + classes + 4 + parts + 2 + layers;
    if (f.size() != want) fail("{}:{}: {} fields, expected {}", path.string(), line, f.size(), want);
    auto num = [&](size_t i) {
      if (f[i].empty()) return static_cast<double>(NAN);
      double v = 0;
      auto [p, ec] = std::from_chars(f[i].data(), f[i].data() + f[i].size(), v);
      if (ec == std::errc() && p == f[i].data() + f[i].size()) return v;
      fail("{}:{}: field {}: '{}' is not a number", path.string(), line, i + 1, clip(f[i]));
    };
    // Integer fields: checked before the cast (a class indexes the confusion matrix).
    auto integer = [&](size_t i, double lo, double hi, const char* what) {
      const double v = num(i);
      if (!(v >= lo && v <= hi && v == std::floor(v)))
        fail("{}:{}: field {}: '{}' is not {}", path.string(), line, i + 1, clip(f[i]), what);
      return static_cast<int>(v);
    };
    Row r;
    r.index = integer(0, 0, std::numeric_limits<int>::max(), "an image index");
    if (r.index != first + static_cast<int>(rows.size()))
      fail("{}:{}: image {} where {} was expected", path.string(), line, r.index, first + rows.size());
    r.label = integer(1, -1, classes - 1, "a class or -1");
    r.prediction = integer(2, -1, classes - 1, "a class or -1");
    r.reference = integer(3, -1, classes - 1, "a class or -1");
    for (int j = 0; j < classes; ++j) r.outputs.push_back(num(4 + j));
    r.power = num(4 + classes);
    r.energy = num(5 + classes);
    r.energy_static = num(6 + classes);
    r.energy_dynamic = num(7 + classes);
    for (int g = 0; g < parts; ++g) r.energy_by[g] = num(8 + classes + g);
    r.energy_imac = num(8 + classes + parts);
    r.latency = num(9 + classes + parts);
    for (int l = 0; l < layers; ++l) r.layer_latency.push_back(num(10 + classes + parts + l));
    rows.push_back(std::move(r));
  }
  return rows;
}

/// FNV-1a 64 of the config text and the weight files: what a resumed run must share.

nlohmann::json stats(std::vector<double> v) {
  std::erase_if(v, [](double x) { return std::isnan(x); });
  if (v.empty()) return nullptr;
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  auto pct = [&](double q) {  // nearest rank
    size_t r = static_cast<size_t>(std::ceil(q / 100 * static_cast<double>(v.size())));
    return v[std::clamp<size_t>(r, 1, v.size()) - 1];
  };
  return {{"mean", sum / static_cast<double>(v.size())}, {"min", v.front()}, {"p50", pct(50)}, {"p95", pct(95)},
          {"p99", pct(99)}, {"max", v.back()}};
}

const char* backend_name(Backend b) { return b == Backend::native ? "native" : "ngspice"; }

nlohmann::json network_echo(const Config& cfg) {
  const auto& s = cfg.spec;
  const char* neuron[] = {"ideal", "curve", "sot-transistor"};
  return {{"sizes", cfg.sizes},
          {"levels", s.synapse.levels},
          {"gains", cfg.gains},
          {"tile", {s.tile_rows, s.tile_cols}},
          {"readout", s.readout == netlist::Readout::loaded ? "loaded" : "virtual-ground"},
          {"merge", s.merge == netlist::MergeMode::average ? "average" : "sum"},
          {"ideal_amplifier", s.ideal_amplifier},
          {"neuron", neuron[static_cast<int>(s.neuron.kind)]},
          {"wire_r", s.wire_r},
          {"wire_c", s.wire_c},
          {"vdd", s.vdd},
          {"r_low", s.synapse.r_low},
          {"r_high", s.synapse.r_high}};
}

nlohmann::json summarize(const Config& cfg, const RunOptions& opt, const nlohmann::json& manifest,
                         const std::vector<Row>& rows, int classes, double wall, double setup, int simulated,
                         bool have_reference) {
  nlohmann::json j;
  j["complete"] = true;
  j["config"] = {{"file", cfg.file.string()},
                 {"text", read_file(cfg.file)},
                 {"set", cfg.overrides},
                 {"network", network_echo(cfg)}};
  j["run"] = manifest;
  j["versions"] = {{"spinxbar", opt.version}, {"compiler", __VERSION__}};
  if (opt.backend == Backend::ngspice) j["versions"]["ngspice_library"] = solver::ngspice_session().library();
  j["seed"] = cfg.spec.seed;
  int labelled = 0, correct = 0, ties = 0, ref_correct = 0, agree = 0, ref_ties = 0;
  std::vector<std::vector<int>> confusion(classes, std::vector<int>(classes + 1, 0));
  for (const Row& r : rows) {
    if (r.prediction < 0) ++ties;
    if (r.reference < 0) ++ref_ties;
    if (r.prediction >= 0 && r.prediction == r.reference) ++agree;
    if (r.label < 0) continue;
    ++labelled;
    if (r.prediction == r.label) ++correct;
    if (r.reference == r.label) ++ref_correct;
    ++confusion[r.label][r.prediction < 0 ? classes : r.prediction];
  }
  const double n = static_cast<double>(rows.size());
  j["images"] = rows.size();
  j["labelled"] = labelled;
  j["correct"] = correct;
  j["ties"] = ties;
  j["accuracy"] = labelled ? nlohmann::json(correct / static_cast<double>(labelled)) : nlohmann::json();
  j["confusion"] = {{"rows", "label"}, {"columns", "prediction 0..classes-1, then ties"}, {"counts", confusion}};
  if (have_reference) {
    j["reference"] = {
        {"model", "closed form of the crossbar without wire parasitics (floating point, the configured neuron)"},
        {"accuracy", labelled ? nlohmann::json(ref_correct / static_cast<double>(labelled)) : nlohmann::json()},
        {"ties", ref_ties},
        {"agreement", n > 0 ? agree / n : 0.0}};
  } else {
    j["reference"] = nullptr;
  }
  const int layers = static_cast<int>(cfg.sizes.size()) - 1;
  std::vector<double> power, energy, e_static, e_dynamic, e_imac, latency, by[parts];
  std::vector<std::vector<double>> layer_latency(layers);
  for (const Row& r : rows) {
    power.push_back(r.power);
    energy.push_back(r.energy);
    e_static.push_back(r.energy_static);
    e_dynamic.push_back(r.energy_dynamic);
    e_imac.push_back(r.energy_imac);
    latency.push_back(r.latency);
    for (int g = 0; g < parts; ++g) by[g].push_back(r.energy_by[g]);
    for (int l = 0; l < layers && l < static_cast<int>(r.layer_latency.size()); ++l) layer_latency[l].push_back(r.layer_latency[l]);
  }
  const bool op = manifest["analysis"] == "op";
  j["power_w"] = stats(power);
  j["energy_j"] = stats(energy);
  j["energy_static_j"] = stats(e_static);
  j["energy_dynamic_j"] = stats(e_dynamic);
  j["energy_basis"] = op ? fmt::format("static power x design latency + dynamic (C V dV of every switched node, from the previous image); "
                                       "amplifiers: {}", cfg.run.amplifier_currents ? "quiescent and output-stage power"
                                                                                   : "quiescent power only (run.amplifier_currents = true adds the output stages)")
                         : std::string("circuit powers integrated from the input edge to the settling time, plus peripheral static power x that "
                                       "time; static: the settled state's power x that time, dynamic: the rest (negative when settling draws less)");
  const bool converting = netlist::converts_any(cfg.spec);
  if (converting)
    j["energy_basis"] = j["energy_basis"].get<std::string>() +
                        "; conversion: the converters' energy per conversion (devices/converter.hpp), static power not "
                        "counted over the conversion time (sample-and-hold at the partition outputs)";
  for (int g = 0; g < parts; ++g) j["energy_by_part_j"][part_names[g]] = stats(by[g])["mean"];
  j["energy_imac_sim_j"] = stats(e_imac);
  j["energy_imac_sim_basis"] = fmt::format(
      "IMAC-Sim's measure, for comparison with its figures: |v i| of the tiles' supply (bias lines) and of the "
      "neurons' supplies, integrated over the input window of {} s ({}); input drivers, amplifiers and "
      "converters are not in it", cfg.input.window, op ? "their operating-point power x the window" : "the transient");
  j["latency_s"] = stats(latency);
  j["latency_basis"] = std::string(op ? "design latency from the peripheral dynamics (line RC, amplifier slew and pole, neuron RC), layers added; per layer: settled through that layer"
                                      : "measured: every output within run.tolerance x vdd of its final value, from the start of the input edge; per layer: settled through that layer") +
                       (converting ? "; plus each layer's conversion time" : "");
  nlohmann::json per_layer = nlohmann::json::array();
  const auto design = design_latency(cfg);
  double through = 0;
  for (int l = 0; l < layers; ++l) {
    nlohmann::json e = {{"layer", l + 1}, {"settled_s", stats(layer_latency[l])}};
    through += design[l].total();
    e["design_s"] = {{"lines", design[l].lines}, {"amplifier", design[l].amplifier}, {"conversion", design[l].conversion}, {"neuron", design[l].neuron},
                     {"layer", design[l].total()}, {"settled", through}};
    per_layer.push_back(std::move(e));
  }
  j["latency_by_layer"] = std::move(per_layer);
  if (!op) {
    // A window too short for the network: the outputs still move in its last tenth, so the final
    // values the settling band is measured against are not the settled ones, and latency and energy
    // are cut by the window.
    double conversion = 0;
    for (const auto& d : design) conversion += d.conversion;
    int unsettled = 0;
    for (double t : latency) unsettled += t - conversion >= 0.9 * cfg.input.window ? 1 : 0;
    j["unsettled_images"] = unsettled;
  }
  j["area_m2"] = to_json(network_area(cfg));
  {
    nlohmann::json conv = nlohmann::json::array();
    const auto costs = conversion_cost(cfg);
    for (size_t l = 0; l < costs.size(); ++l) {
      const auto& c = costs[l];
      const auto cv = netlist::conversion_of(cfg.spec, static_cast<int>(l) + 1);
      std::string setting = devices::to_string(cv.mode);
      if (cv.mode == devices::ConversionMode::adc) setting += fmt::format(" {} bits, range {} V", cv.bits, cv.range);
      if (cv.mode == devices::ConversionMode::stochastic) setting += fmt::format(" {} samples, range {} V", cv.samples, cv.range);
      conv.push_back({{"layer", l + 1}, {"mode", devices::to_string(cv.mode)}, {"setting", setting},
                      {"conversions", c.conversions}, {"energy_per_conversion_j", c.energy_per_conversion},
                      {"energy_j", c.energy()}, {"latency_s", c.latency},
                      {"area_m2", c.area()}, {"converters", c.converters}});
    }
    j["conversion"] = std::move(conv);
  }
  if (cfg.cnn.enabled) {
    std::vector<double> arrays_power;
    for (const Row& r : rows)
      if (r.latency > 0) arrays_power.push_back(r.energy_by[arrays_part] / r.latency);
    const double pa = arrays_power.empty() ? 0.0 : stats(arrays_power)["mean"].get<double>();
    j["cpu_imac"] = cpu_imac_report(cfg, stats(energy)["mean"].get<double>(), stats(latency)["mean"].get<double>(), pa);
  }
  j["parameters"] = system_parameters(cfg);
  j["wall_seconds"] = wall;
  j["setup_seconds"] = setup;
  j["simulated_now"] = simulated;
  return j;
}

}  // namespace

int ImagesTable::column(const std::string& name) const {
  for (size_t k = 0; k < names.size(); ++k)
    if (names[k] == name) return static_cast<int>(k);
  return -1;
}

ImagesTable read_images_table(const fs::path& csv) {
  const std::string text = read_file(csv);
  ImagesTable t;
  size_t pos = 0, line = 0;
  auto fields = [&](std::string_view row) {
    std::vector<std::string_view> f;
    size_t a = 0;
    for (;;) {
      const size_t b = row.find(',', a);
      f.push_back(row.substr(a, b == std::string_view::npos ? std::string_view::npos : b - a));
      if (b == std::string_view::npos) break;
      a = b + 1;
    }
    return f;
  };
  while (pos < text.size()) {
    const size_t end = std::min(text.find('\n', pos), text.size());
    const std::string_view row(text.data() + pos, end - pos);
    pos = end + 1;
    ++line;
    if (row.empty()) continue;
    const auto f = fields(row);
    if (line == 1) {
      for (auto n : f) t.names.emplace_back(n);
      t.columns.resize(t.names.size());
      continue;
    }
    if (f.size() != t.names.size()) fail("{}:{}: {} fields under a header of {}", csv.string(), line, f.size(), t.names.size());
    for (size_t k = 0; k < f.size(); ++k) t.columns[k].push_back(std::strtod(std::string(f[k]).c_str(), nullptr));
    ++t.rows;
  }
  return t;
}

RunAgreement compare_runs(const fs::path& a, const fs::path& b) {
  auto load = [](const fs::path& dir) {
    const fs::path csv = dir / "images.csv", man = dir / "run.json";
    nlohmann::json m;
    try {
      m = nlohmann::json::parse(read_file(man));
    } catch (const nlohmann::json::exception& e) {
      fail("{}: not a run description ({})", man.string(), e.what());
    }
    std::string text = read_file(csv);
    std::string header = text.substr(0, text.find('\n'));
    int classes = 0, layers = 0;
    while (header.find(fmt::format(",out_{},", classes)) != std::string::npos) ++classes;
    while (header.find(fmt::format(",latency_l{}_s", layers + 1)) != std::string::npos) ++layers;
    if (classes == 0) fail("{}:1: not an images.csv header", csv.string());
    const nlohmann::json* first = m.is_object() && m.contains("first") ? &m["first"] : nullptr;
    if (!first || !first->is_number_integer() || first->get<int64_t>() < 0 ||
        first->get<int64_t>() > std::numeric_limits<int>::max())
      fail("{}: first: not a run description (no valid first image)", man.string());
    return read_rows(csv, classes, layers, first->get<int>(), false);
  };
  std::vector<Row> ra = load(a), rb = load(b);
  RunAgreement g;
  for (size_t k = 0; k < ra.size() && k < rb.size(); ++k) {
    const Row &x = ra[k], &y = rb[k];
    if (x.outputs.size() != y.outputs.size())
      fail("{} and {}: {} and {} outputs per image", a.string(), b.string(), x.outputs.size(), y.outputs.size());
    ++g.images;
    if (x.prediction == y.prediction) ++g.same_prediction;
    for (size_t j = 0; j < x.outputs.size(); ++j) {
      double d = std::fabs(x.outputs[j] - y.outputs[j]);
      if (g.worst_image < 0 || d > g.max_output_diff) {
        g.max_output_diff = d;
        g.worst_image = x.index;
      }
    }
    g.max_energy_rel = std::max(g.max_energy_rel, std::fabs(x.energy - y.energy) / std::max(std::fabs(x.energy), 1e-300));
  }
  if (ra.empty() || rb.empty()) fail("{} and {}: no images to compare", a.string(), b.string());
  if (ra.front().index != rb.front().index)
    fail("{} starts at image {}, {} at image {}", a.string(), ra.front().index, b.string(), rb.front().index);
  return g;
}

std::vector<fs::path> weight_files(const Config& cfg) {
  std::vector<fs::path> files;
  for (size_t k = 1; k < cfg.sizes.size(); ++k)
    for (char kind : {'W', 'B'}) files.push_back(weight_file(cfg.weights_dir, kind, k, cfg.weights_format));
  return files;
}

std::string run_fingerprint(const Config& cfg, const std::vector<fs::path>& weights) {
  Fnv1a h;
  h.add(read_file(cfg.file));
  for (const auto& f : weights) h.add(read_file(f));
  if (!cfg.input.dataset.empty()) h.add(read_file(cfg.input.dataset));
  if (!cfg.input.labels.empty()) h.add(read_file(cfg.input.labels));
  return h.hex();
}

RunDirectory::RunDirectory(const fs::path& dir, const nlohmann::json& manifest, bool resume)
    : out_(dir, "--out"), csv_(dir / "images.csv"), manifest_(dir / "run.json"), summary_(dir / "summary.json") {
  lock_.emplace(dir);
  if (lock_->created()) out_.made(lock_->file());
  if (fs::exists(manifest_) || fs::exists(csv_) || fs::exists(summary_)) {
    if (!resume) fail("{}: holds an earlier run; pass --resume to continue it, or choose another --out", dir.string());
    nlohmann::json old;
    try {
      old = nlohmann::json::parse(read_file(manifest_));
    } catch (const nlohmann::json::exception& e) {
      fail("{}: not a run description ({})", manifest_.string(), e.what());
    }
    if (!old.is_object()) fail("{}: not a run description (not a JSON object); use another --out", manifest_.string());
    for (const auto& [key, value] : manifest.items())
      if (key == "fingerprint" && (!old.contains(key) || old[key] != value))
        fail("{}: fingerprint: the config, weight, data or label files changed since the run started; use another --out",
             manifest_.string());
      else if (!old.contains(key) || old[key] != value)
        fail("{}: {}: the run there has {}, this one {}; use another --out", manifest_.string(), key,
             old.contains(key) ? old[key].dump() : "none", value.dump());
    fs::remove(summary_);  // rewritten when the run is complete
  } else {
    out_.made(manifest_);
    write_file_atomic(manifest_, manifest.dump(1) + "\n");
  }
}

int RunDirectory::run_batches(int done, int total, int batch, const std::string& header, const RunOptions& opt,
                              std::chrono::steady_clock::time_point t0, int& simulated,
                              const std::function<std::string(int, int)>& simulate) {
  if (done >= total) {
    out_.keep();
    return done;
  }
  try {
    if (!fs::exists(csv_)) out_.made(csv_);
    std::FILE* f = std::fopen(csv_.c_str(), "ab");
    if (!f) fail("{}: cannot write ({})", csv_.string(), std::strerror(errno));
    auto put = [&](const std::string& text) {
      if (std::fwrite(text.data(), 1, text.size(), f) != text.size()) {
        std::fclose(f);
        fail("{}: write failed", csv_.string());
      }
    };
    if (done == 0 && std::ftell(f) == 0) put(header);
    std::fflush(f);
    try {
      while (done < total) {
        if (opt.stop_after >= 0 && simulated >= opt.stop_after) break;
        if (opt.interrupt && opt.interrupt->load()) break;
        int n = std::min(batch, total - done);
        if (opt.stop_after >= 0) n = std::min(n, opt.stop_after - simulated);
        put(simulate(done, n));
        std::fflush(f);
        ::fsync(::fileno(f));
        out_.keep();  // rows on disk: the run stays, resumable, whatever happens next
        done += n;
        simulated += n;
        if (opt.progress)
          opt.progress(done, total, simulated, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
    } catch (...) {
      std::fclose(f);
      throw;
    }
    std::fclose(f);
  } catch (const Interrupted&) {
    // An interrupt is a stop, not a failure: the run stays, resumable.
  }
  out_.keep();
  return done;
}

void RunDirectory::complete(const nlohmann::json& summary) { write_file_atomic(summary_, summary.dump(1) + "\n"); }

RunOutcome run_network(const Config& cfg, const RunOptions& opt) {
  auto t0 = std::chrono::steady_clock::now();
  const int classes = cfg.sizes.back();
  const bool transient = opt.transient.value_or(cfg.run.transient);
  const int threads = opt.threads > 0 ? opt.threads : cfg.run.threads;
  const int first = opt.first >= 0 ? opt.first : cfg.input.first;
  InputSet im;
  if (opt.inputs) {
    // Images in memory: rows first .. first + images - 1 of them.
    const InputSet& all = *opt.inputs;
    if (first > all.count()) fail("first: {} is beyond the {} images given", first, all.count());
    const int n = opt.images < 0 ? all.count() - first : std::min(opt.images, all.count() - first);
    if (n < 1) fail("images: none left from image {} of the {} given", first, all.count());
    im.first = first;
    im.inputs = all.inputs;
    im.x.assign(all.x.begin() + static_cast<ptrdiff_t>(first) * all.inputs, all.x.begin() + static_cast<ptrdiff_t>(first + n) * all.inputs);
    im.labels.assign(all.labels.begin() + first, all.labels.begin() + first + n);
    im.before = first > 0 ? std::vector<double>(all.x.begin() + static_cast<ptrdiff_t>(first - 1) * all.inputs,
                                                 all.x.begin() + static_cast<ptrdiff_t>(first) * all.inputs)
                          : std::vector<double>(static_cast<size_t>(all.inputs), 0.0);
    im.source = all.source;
  } else {
    im = load_input_set(cfg, first, opt.images);
  }
  const int total = im.count();

  nlohmann::json manifest = {{"config", fs::absolute(cfg.file).lexically_normal().string()},
                             {"fingerprint", run_fingerprint(cfg, weight_files(cfg))},
                             {"set", cfg.overrides},
                             {"backend", backend_name(opt.backend)},
                             {"analysis", transient ? "tran" : "op"},
                             {"dataset", im.source},
                             {"first", first},
                             {"images", total},
                             {"window", cfg.input.window}};
  for (const auto& [k, v] : opt.manifest_extra.items()) manifest[k] = v;
  if (transient) {
    check_points(cfg.input.window / time_step(cfg), cfg.file.string() + ": run.step",
                 "time points per image window (input.window / run.step)");
    manifest["edge"] = cfg.input.edge;
    manifest["step"] = time_step(cfg);
    manifest["tolerance"] = cfg.run.tolerance;
    manifest["interconnect"] = opt.backend == Backend::native && cfg.run.reduce_interconnect ? "reduced" : "full";
  }
  RunDirectory dir(opt.out, manifest, opt.resume);
  std::vector<Row> rows;
  const int layers = static_cast<int>(cfg.sizes.size()) - 1;
  if (fs::exists(dir.csv())) rows = read_rows(dir.csv(), classes, layers, first, true);
  if (static_cast<int>(rows.size()) > total)
    fail("{}: {} rows for a run of {} images", dir.csv().string(), rows.size(), total);

  // The software reference: the crossbar's closed form (no transistor-level neurons), computed on its
  // own thread while the circuit is set up.
  const bool have_reference = cfg.spec.neuron.kind != netlist::NeuronKind::transistor;
  auto reference_job = std::async(std::launch::async, [&]() {
    std::vector<int> ref(total, -1);
    if (!have_reference) return ref;
    // One thread here (this thread's OpenMP setting only): the setup has the other cores, and idle
    // OpenMP workers spin.
    omp_set_num_threads(1);
    Config c = cfg;
    c.train.model = LayerModel::crossbar;
    c.train.levels = -1;
    ModelSpec spec = model_spec(c);
    spec.features.clear();  // the inputs are the CNN's features already (load_input_set)
    Network net = from_weights(cfg.weights, spec);
    MatrixF x(total, im.inputs);
    for (int k = 0; k < total; ++k)
      for (int i = 0; i < im.inputs; ++i) x(k, i) = static_cast<float>(im.x[static_cast<size_t>(k) * im.inputs + i]);
    return classify(net, x, first);
  });

  RunOutcome outcome;
  outcome.total = total;
  int done = static_cast<int>(rows.size());
  double setup = 0;
  std::optional<Simulator> sim;
  try {
    if (done < total) {
      sim.emplace(cfg, im, opt.backend, transient, threads);
      setup = sim->setup_seconds();
    }
  } catch (const Interrupted&) {
    dir.keep();  // stopped during setup: the run stays, resumable
  } catch (...) {
    reference_job.wait();
    throw;
  }
  const std::vector<int> reference = reference_job.get();
  if (sim || done >= total) {
    std::vector<Row> batch;
    const double orient = neuron_orientation(cfg.spec.neuron);
    done = dir.run_batches(done, total, sim ? sim->batch() : 1, csv_header(classes, layers), opt, t0, outcome.simulated, [&](int from, int n) {
      batch.assign(n, Row{});
      sim->simulate(from, from + n, batch);
      std::string text;
      for (int k = 0; k < n; ++k) {
        Row& r = batch[k];
        r.index = first + from + k;
        r.label = im.labels[from + k];
        r.prediction = decide(r.outputs, r.z, orient);
        r.reference = reference[from + k];
        text += csv_row(r, layers);
        rows.push_back(std::move(r));
      }
      return text;
    });
  }
  outcome.done = done;
  if (done < total) return outcome;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  outcome.summary = summarize(cfg, opt, manifest, rows, classes, wall, setup, outcome.simulated, have_reference);
  if (sim && sim->interconnect()) {
    const auto& ic = *sim->interconnect();
    outcome.summary["interconnect"] = {{"reduced_parts", ic.reduced},
                                       {"whole_parts", ic.kept},
                                       {"nodes_eliminated", ic.nodes_eliminated},
                                       {"tau_s", ic.tau},
                                       {"step_s", time_step(cfg)}};
  }
  outcome.complete = true;
  dir.complete(outcome.summary);
  return outcome;
}

}  // namespace spx::mlp
