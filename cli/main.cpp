// The spinxbar command. Subcommands:
//   simulate FILE.cir [--backend native|ngspice] [--format json|table]   run the analyses in a netlist
//   compare FILE.cir                                                     run both backends, print agreement
//   netlist CONFIG [-o FILE] [--dialect ngspice|hspice] [--images N] [--hierarchical]   write a network's netlist
//   (netlist, train and run take --set section.key=value overrides of the config)
//   train CONFIG [--out DIR] [--epochs N] [--threads N] [--limit N]     train a network for the circuit
//   run CONFIG [--backend native|ngspice] [--images N] [--first K] [--out DIR] [--resume]
//                                                                        circuit-level inference over a dataset
//   agree DIR_A DIR_B                                                    agreement of two runs' images.csv
// Bad input prints one line on stderr and exits 2; a simulation that fails numerically exits 1.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <limits>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include <unistd.h>

#ifdef SPX_WITH_MPI
#include <mpi.h>
#endif

#include "devices/error.hpp"
#include "devices/files.hpp"
#include "devices/interrupt.hpp"
#include "devices/limits.hpp"
#include "devices/converter.hpp"
#include "devices/units.hpp"
#include "mlp/generate.hpp"
#include "mlp/parasitic.hpp"
#include "mlp/run.hpp"
#include "sc/model.hpp"
#include "sc/run.hpp"
#include "sc/pbit_curve.hpp"
#include "study/conversion_table.hpp"
#include "sc/plot.hpp"
#include "study/figures.hpp"
#include "study/sweep.hpp"
#include "sc/table.hpp"
#include "mlp/train.hpp"
#include "netlist/spice_reader.hpp"
#include "solver/compare.hpp"
#include "solver/native.hpp"
#include "solver/ngspice.hpp"

#ifndef SPX_VERSION
#define SPX_VERSION "0"
#endif

namespace {

using spx::solver::AnalysisResult;

/// Failure of a simulation (exit code 1), as opposed to bad input (exit code 2).
struct SimulationFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Timed {
  std::vector<AnalysisResult> results;
  double seconds = 0;
};

Timed run_backend(const spx::netlist::Circuit& circuit, const std::string& backend) {
  auto t0 = std::chrono::steady_clock::now();
  Timed out;
  if (backend == "native") {
    out.results = spx::solver::simulate_native(circuit);
    for (const auto& r : out.results)
      if (!r.report.ok())
        throw SimulationFailure(fmt::format("native {}: {}", spx::solver::analysis_name(r.kind), r.report.detail));
  } else {
    auto run = spx::solver::ngspice_session().run(circuit);
    if (!run.ok) throw SimulationFailure("ngspice: " + run.error);
    out.results = std::move(run.analyses);
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

nlohmann::json to_json(const std::string& backend, const std::vector<AnalysisResult>& results) {
  nlohmann::json j;
  j["backend"] = backend;
  j["analyses"] = nlohmann::json::array();
  for (const auto& r : results) {
    nlohmann::json a;
    a["type"] = spx::solver::analysis_name(r.kind);
    nlohmann::json v = nlohmann::json::object();
    if (r.kind == spx::netlist::AnalysisKind::op) {
      for (const auto& [name, data] : r.vectors) v[name] = data.empty() ? nlohmann::json() : nlohmann::json(data[0]);
    } else {
      a[r.kind == spx::netlist::AnalysisKind::tran ? "time" : "sweep"] = r.scale;
      for (const auto& [name, data] : r.vectors) v[name] = data;
    }
    a["vectors"] = std::move(v);
    j["analyses"].push_back(std::move(a));
  }
  return j;
}

void print_table(const std::vector<AnalysisResult>& results) {
  for (const auto& r : results) {
    fmt::print("# {}\n", spx::solver::analysis_name(r.kind));
    if (r.kind == spx::netlist::AnalysisKind::op) {
      for (const auto& [name, data] : r.vectors) fmt::print("{:<24} {:.9g}\n", name, data.empty() ? NAN : data[0]);
      continue;
    }
    fmt::print("{:>16}", r.kind == spx::netlist::AnalysisKind::tran ? "time" : "sweep");
    for (const auto& [name, data] : r.vectors) fmt::print(" {:>16}", name);
    fmt::print("\n");
    for (size_t k = 0; k < r.scale.size(); ++k) {
      fmt::print("{:>16.9g}", r.scale[k]);
      for (const auto& [name, data] : r.vectors) fmt::print(" {:>16.9g}", k < data.size() ? data[k] : NAN);
      fmt::print("\n");
    }
  }
}

int cmd_simulate(const std::string& file, const std::string& backend, const std::string& format) {
  auto circuit = spx::netlist::read_spice_file(file);
  if (circuit.analyses.empty()) spx::fail("{}: no analysis (.op, .tran or .dc) to run", file);
  Timed t = run_backend(circuit, backend);
  if (format == "json") std::cout << to_json(backend, t.results).dump(1) << "\n";
  else print_table(t.results);
  return 0;
}

int cmd_compare(const std::string& file) {
  auto circuit = spx::netlist::read_spice_file(file);
  if (circuit.analyses.empty()) spx::fail("{}: no analysis (.op, .tran or .dc) to run", file);
  Timed ng = run_backend(circuit, "ngspice");
  Timed nat = run_backend(circuit, "native");
  // Printed only once both backends succeeded: a failure leaves stdout empty.
  std::string out = fmt::format("{}: {} nodes, {} elements\n", file, circuit.node_count() - 1, circuit.elements.size());
  out += fmt::format("{:<6} {:>8} {:>14} {:<24}\n", "type", "vectors", "max rel diff", "worst vector");
  double worst = 0;
  for (size_t i = 0; i < nat.results.size() && i < ng.results.size(); ++i) {
    auto a = spx::solver::compare(ng.results[i], nat.results[i]);
    worst = std::max(worst, a.max_rel);
    out += fmt::format("{:<6} {:>8} {:>14.3e} {:<24}\n", spx::solver::analysis_name(nat.results[i].kind), a.compared,
                       a.max_rel, a.worst);
  }
  out += fmt::format("time: native {:.4f} s, ngspice {:.4f} s (ngspice/native = {:.1f}x)\n", nat.seconds, ng.seconds,
                     ng.seconds / std::max(nat.seconds, 1e-9));
  out += fmt::format("worst relative difference: {:.3e}\n", worst);
  fmt::print("{}", out);
  return 0;
}

int cmd_netlist(const std::string& config, const std::vector<std::string>& set, std::string out,
                const std::string& dialect, int images, bool hierarchical) {
  auto cfg = spx::mlp::load_config(config, set);
  spx::mlp::load_network(cfg);
  if (images <= 0) images = cfg.input.images;
  auto g = spx::mlp::generate(cfg, images);
  if (out.empty()) out = std::filesystem::path(config).stem().string() + ".cir";
  spx::mlp::write_netlist(out, g, dialect == "hspice" ? spx::netlist::Dialect::hspice : spx::netlist::Dialect::ngspice,
                          hierarchical);
  auto s = spx::mlp::summary(g);
  fmt::print("{}: {} nodes, {} elements, {} image(s), {} dialect{}; hpar {}, vpar {}\n", out, s["nodes"].get<int>(),
             s["elements"].get<size_t>(), images, dialect, hierarchical ? ", hierarchical" : "", s["hpar"].dump(),
             s["vpar"].dump());
  fmt::print("{0}.json: element counts and partition plan; {0}.lines.tsv: line -> origin\n", out);
  return 0;
}

int cmd_train(const std::string& config, const std::vector<std::string>& set, std::string out, int epochs, int threads,
              int limit) {
  namespace mlp = spx::mlp;
  auto cfg = mlp::load_config(config, set);
  mlp::ModelSpec spec = mlp::model_spec(cfg);
  mlp::TrainOptions opt = cfg.train.options;
  if (epochs > 0) opt.epochs = epochs;
  if (threads <= 0) threads = cfg.train.threads;
  Eigen::setNbThreads(threads);
  if (out.empty()) out = (std::filesystem::path("out") / std::filesystem::path(config).stem()).string();
  spx::OutputDir out_dir(out, "--out");  // checked before any work; taken back if training does not finish
  auto t0 = std::chrono::steady_clock::now();
  mlp::Samples train_set = mlp::load_samples(cfg, mlp::Split::train, limit);
  mlp::Samples test_set = mlp::load_samples(cfg, mlp::Split::test, limit);
  mlp::Network net;
  const auto& init = cfg.train.init;
  if (init.empty()) {
    net = mlp::init_network(spec, opt.seed);
  } else if (std::filesystem::is_directory(init)) {
    net = mlp::from_weights(mlp::read_weights(init, cfg.sizes, cfg.weights_format), spec, init / "model.json");
  } else {
    net = mlp::from_json(mlp::read_file(init), spec, init.string());
  }
  std::vector<mlp::WireFit> fits;
  if (cfg.train.circuit_wires) {
    // Parasitic-aware: the crossbar model fitted to the circuit with its wires (mlp/parasitic.hpp).
    opt.refit_epochs = cfg.train.refit_epochs;
    opt.refit = [&](mlp::Network& n) {
      const mlp::WireFit f = mlp::fit_wires(cfg, n, threads);
      fits.push_back(f);
      fmt::print("  wires fitted to the circuit: cell factors {:.3f} .. {:.3f} (mean {:.3f}), coupling left out {:.1e}, {:.1f} s\n",
                 f.rho_min, f.rho_max, f.rho_mean, f.coupling, f.seconds);
      std::fflush(stdout);
    };
  }
  std::string sizes = fmt::format("{}", fmt::join(cfg.sizes, "-"));
  fmt::print("training {} {} {} on {} ({} images, {:.0f} % held out for validation), {} threads\n", sizes,
             spec.model == mlp::LayerModel::crossbar ? "crossbar" : "software", mlp::weights_name(spec.levels),
             cfg.input.idx_dataset, train_set.y.size(), opt.validation * 100, threads);
  std::fflush(stdout);
  auto logs = mlp::train(net, train_set, opt, [&](const mlp::EpochLog& l) {
    fmt::print("epoch {:>3}/{}  loss {:.4f}  train {:6.2f} %  validation {:6.2f} %  ({:.1f} s)\n", l.epoch, opt.epochs,
               l.loss, 100 * l.train_accuracy, 100 * l.validation_accuracy, l.seconds);
    std::fflush(stdout);
  });
  double test = mlp::accuracy(net, test_set);
  double sc_test = -1;
  if (cfg.sc.enabled) {  // the trained network on the SC engine, clock by clock
    const auto model = spx::sc::build_model(net, cfg.spec.synapse.r_low, cfg.spec.synapse.r_high);
    const auto st = spx::sc::settings_of(cfg.sc);
    auto res = spx::sc::run_sc(model, st, test_set.x.data(), static_cast<int>(test_set.y.size()), cfg.input.first, threads);
    int ok = 0;
    for (size_t k = 0; k < res.size(); ++k) ok += res[k].predicted == test_set.y[k];
    sc_test = static_cast<double>(ok) / static_cast<double>(res.size());
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  mlp::export_network(net, out);
  nlohmann::json j;
  j["config"] = config;
  j["sizes"] = cfg.sizes;
  j["model"] = spec.model == mlp::LayerModel::crossbar ? "crossbar" : "software";
  j["weights"] = mlp::weights_name(spec.levels);
  j["dataset"] = cfg.input.idx_dataset;
  j["train_images"] = train_set.y.size();
  j["test_images"] = test_set.y.size();
  j["test_accuracy"] = test;
  if (sc_test >= 0) j["sc_test_accuracy"] = sc_test;
  j["seed"] = opt.seed;
  j["interconnect"] = cfg.train.circuit_wires ? "circuit" : "ideal";
  if (!fits.empty()) {
    j["refit_epochs"] = opt.refit_epochs;
    for (const auto& f : fits)
      j["wire_fits"].push_back({{"rho_min", f.rho_min}, {"rho_max", f.rho_max}, {"rho_mean", f.rho_mean},
                                {"coupling", f.coupling}, {"seconds", f.seconds}});
  }
  j["threads"] = threads;
  j["seconds"] = seconds;
  j["epochs"] = nlohmann::json::array();
  for (const auto& l : logs)
    j["epochs"].push_back({{"epoch", l.epoch}, {"loss", l.loss}, {"train_accuracy", l.train_accuracy},
                           {"validation_accuracy", l.validation_accuracy}, {"seconds", l.seconds}});
  mlp::write_file_atomic(std::filesystem::path(out) / "training.json", j.dump(1) + "\n");
  out_dir.keep();
  fmt::print("test accuracy {:.2f} % ({} images); {:.1f} s in all\n", 100 * test, test_set.y.size(), seconds);
  if (sc_test >= 0)
    fmt::print("SC engine test accuracy {:.2f} % (L = {} clocks, {} activation states)\n", 100 * sc_test, cfg.sc.length, cfg.sc.states);
  fmt::print("wrote {0}/model.json, {0}/W*.csv, B*.csv (IMAC-Sim layout), W*.npy, B*.npy, training.json\n", out);
  return 0;
}

/// The first SIGINT/SIGTERM asks for a clean stop; a second one ends the process at once.
extern "C" void on_interrupt(int sig) {
  if (spx::interrupt_flag().exchange(true)) {
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}

/// From here on SIGINT and SIGTERM set the interrupt flag: long work stops at its next check
/// (setup throws Interrupted, a run's batch loop stops after the current batch).
void catch_interrupts() {
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
}

/// Progress on stderr: a bar with rate and ETA on a terminal, a plain line every 10 % (and at most
/// every 10 s) otherwise.
class ProgressPrinter {
 public:
  ProgressPrinter() : tty_(::isatty(STDERR_FILENO) != 0) {}
  void operator()(int done, int total, int simulated, double seconds) {
    const double rate = simulated / std::max(seconds, 1e-9);
    const double eta = (total - done) / std::max(rate, 1e-9);
    if (tty_) {
      const int width = 30, fill = static_cast<int>(static_cast<double>(width) * done / std::max(total, 1));
      fmt::print(stderr, "\r[{}{}] {}/{} images  {:.1f}/s  ETA {:.0f} s ", std::string(fill, '#'),
                 std::string(width - fill, '.'), done, total, rate, eta);
      if (done == total) fmt::print(stderr, "\n");
      std::fflush(stderr);
      return;
    }
    const int decile = static_cast<int>(10.0 * done / std::max(total, 1));
    if (done == total || decile > last_decile_ || seconds - last_time_ >= 10) {
      fmt::print(stderr, "{}/{} images ({:.0f} %), {:.1f} images/s, ETA {:.0f} s\n", done, total, 100.0 * done / total, rate, eta);
      std::fflush(stderr);
      last_decile_ = decile;
      last_time_ = seconds;
    }
  }
  void end_line() {
    if (tty_) fmt::print(stderr, "\n");
  }

 private:
  bool tty_;
  int last_decile_ = 0;
  double last_time_ = 0;
};

/// A value with an SI prefix: 3.66 W, 7.33 nJ, 90 ps.
std::string si(double v, const char* unit) {
  static const std::pair<double, const char*> prefixes[] = {{1, ""}, {1e-3, "m"}, {1e-6, "u"}, {1e-9, "n"}, {1e-12, "p"}, {1e-15, "f"}};
  for (const auto& [scale, prefix] : prefixes)
    if (std::fabs(v) >= scale || scale == 1e-15) return fmt::format("{:.4g} {}{}", v / scale, prefix, unit);
  return fmt::format("{:.4g} {}", v, unit);
}

/// The figures drawn, as "a, b, c .png/.svg".
std::string figure_list(const spx::study::Figures& f) {
  std::string stems;
  for (const auto& file : f.files)
    if (file.ends_with(".png")) stems += (stems.empty() ? "" : ", ") + file.substr(0, file.size() - 4);
  return stems + " (.png/.svg)";
}

/// A fraction as "12.3 %", or "n/a" (null).
std::string percent(const nlohmann::json& v) { return v.is_null() ? "n/a" : fmt::format("{:.1f} %", 100 * v.get<double>()); }

/// An area in um^2, or mm^2 from 0.1 mm^2 on.
std::string area_text(double m2) {
  return m2 >= 1e-7 ? fmt::format("{:.4g} mm^2", m2 * 1e6) : fmt::format("{:.4g} um^2", m2 * 1e12);
}

std::string stat_line(const nlohmann::json& s, const char* unit) {
  if (s.is_null()) return "n/a";
  return fmt::format("mean {}, p50 {}, p95 {}, max {}", si(s["mean"].get<double>(), unit), si(s["p50"].get<double>(), unit),
                     si(s["p95"].get<double>(), unit), si(s["max"].get<double>(), unit));
}

/// `spinxbar run` on a stochastic-computing configuration.
int cmd_run_sc(const spx::mlp::Config& cfg, const std::string& config, spx::mlp::RunOptions opt, const std::string& analysis) {
  namespace mlp = spx::mlp;
  if (analysis == "tran")
    spx::fail("{}: --analysis tran: a stochastic-computing network runs clock by clock, not as a transient", config);
  if (opt.backend == mlp::Backend::ngspice)
    spx::fail("{}: --backend ngspice: a stochastic-computing network runs on the SC engine (spinxbar pbit compares the p-bit "
              "circuit with ngspice)", config);
  if (opt.out.empty()) opt.out = std::filesystem::path("out") / (std::filesystem::path(config).stem().string() + "-run");
  opt.version = SPX_VERSION;
  opt.interrupt = &spx::interrupt_flag();
  ProgressPrinter progress;
  opt.progress = [&](int done, int total, int simulated, double seconds) { progress(done, total, simulated, seconds); };
  mlp::RunOutcome o = spx::sc::run_sc_network(cfg, opt);
  if (!o.complete) {
    progress.end_line();
    fmt::print(stderr, "stopped after {} of {} images; {} holds the run. Continue with --resume.\n", o.done, o.total,
               opt.out.string());
    return spx::interrupt_flag().load() ? 130 : 3;
  }
  const auto& s = o.summary;
  const auto& sc = s["sc"];
  fmt::print("{} images of {} ({}), stochastic computing: L = {} clocks, {} activation states, {} streams, {} readout\n",
             s["images"].get<int>(), s["run"]["dataset"].get<std::string>(), config, sc["length"].get<int>(),
             sc["states"].get<int>(), sc["stream"].get<std::string>(), sc["readout"].get<std::string>());
  if (!s["accuracy"].is_null())
    fmt::print("accuracy {:.2f} % ({} of {} correct, {} ties)\n", 100 * s["accuracy"].get<double>(), s["correct"].get<int>(),
               s["labelled"].get<int>(), s["ties"].get<int>());
  const auto& pb = s["pbit"];
  fmt::print("p-bit   clock {}, correlation time {} (rho {:.3f}), {} per bit at p = 0.5\n", si(pb["clock_s"].get<double>(), "s"),
             si(pb["tau_corr_p50_s"].get<double>(), "s"), pb["rho_p50"].get<double>(), si(pb["energy_per_bit_p50_j"].get<double>(), "J"));
  std::string parts;
  for (const auto& [k, v] : s["energy_by_part_j"].items()) parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", k, si(v.get<double>(), "J"));
  fmt::print("energy  {} per inference ({})\n", si(s["energy_j"]["mean"].get<double>(), "J"), parts);
  fmt::print("latency {} per inference\n", si(s["latency_s"].get<double>(), "s"));
  const auto& b = s["baseline"];
  fmt::print("analog-activation baseline: {} and {} per inference ({:.2f}x the energy, {:.2f}x the latency)\n",
             si(b["energy_j"].get<double>(), "J"), si(b["latency_s"].get<double>(), "s"), b["energy_ratio"].get<double>(),
             b["latency_ratio"].get<double>());
  fmt::print("wall time {:.2f} s; wrote {}/images.csv, summary.json\n", s["wall_seconds"].get<double>(), opt.out.string());
  return 0;
}

int cmd_run(const std::string& config, const std::vector<std::string>& set, spx::mlp::RunOptions opt,
            const std::string& analysis) {
  namespace mlp = spx::mlp;
  auto cfg = mlp::load_config(config, set);
  if (cfg.sc.enabled) return cmd_run_sc(cfg, config, opt, analysis);
  mlp::load_network(cfg);
  if (!analysis.empty()) opt.transient = analysis == "tran";
  if (opt.out.empty()) opt.out = std::filesystem::path("out") / (std::filesystem::path(config).stem().string() + "-run");
  opt.version = SPX_VERSION;
  opt.interrupt = &spx::interrupt_flag();
  ProgressPrinter progress;
  opt.progress = [&](int done, int total, int simulated, double seconds) { progress(done, total, simulated, seconds); };
  mlp::RunOutcome o = mlp::run_network(cfg, opt);
  if (!o.complete) {
    progress.end_line();
    if (o.done == 0)
      fmt::print(stderr, "stopped before the first of {} images; {} holds the run. Continue with --resume.\n", o.total,
                 opt.out.string());
    else
      fmt::print(stderr, "stopped after {} of {} images ({} now); {}/images.csv holds them. Continue with --resume.\n",
                 o.done, o.total, o.simulated, opt.out.string());
    return spx::interrupt_flag().load() ? 130 : 3;
  }
  const auto& s = o.summary;
  const auto& run = s["run"];
  fmt::print("{} images of {} ({}), backend {}, analysis {}\n", s["images"].get<int>(), run["dataset"].get<std::string>(),
             config, run["backend"].get<std::string>(), run["analysis"].get<std::string>());
  if (!s["accuracy"].is_null())
    fmt::print("circuit accuracy   {:.2f} % ({} of {} correct, {} ties)\n", 100 * s["accuracy"].get<double>(),
               s["correct"].get<int>(), s["labelled"].get<int>(), s["ties"].get<int>());
  if (!s["reference"].is_null() && !s["reference"]["accuracy"].is_null()) {
    const double ref = s["reference"]["accuracy"].get<double>();
    fmt::print("software reference {:.2f} % (circuit - reference: {:+.2f} points; same class on {:.2f} % of images)\n",
               100 * ref, 100 * (s["accuracy"].get<double>() - ref), 100 * s["reference"]["agreement"].get<double>());
  }
  fmt::print("power   {}\n", stat_line(s["power_w"], "W"));
  fmt::print("energy  {} per inference\n", stat_line(s["energy_j"], "J"));
  const auto& by = s["energy_by_part_j"];
  std::string parts;
  for (const auto& [k, v] : by.items()) parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", k, si(v.get<double>(), "J"));
  fmt::print("        by part (mean): {}; static {}, dynamic {}\n", parts,
             si(s["energy_static_j"]["mean"].get<double>(), "J"), si(s["energy_dynamic_j"]["mean"].get<double>(), "J"));
  fmt::print("        ({})\n", s["energy_basis"].get<std::string>());
  if (s.contains("energy_imac_sim_j") && !s["energy_imac_sim_j"].is_null())
    fmt::print("imac-sim energy {} per image\n        ({})\n", stat_line(s["energy_imac_sim_j"], "J"),
               s["energy_imac_sim_basis"].get<std::string>());
  fmt::print("latency {}\n", stat_line(s["latency_s"], "s"));
  std::string layers;
  for (const auto& l : s["latency_by_layer"])
    layers += fmt::format("{}layer {} {}", layers.empty() ? "" : ", ", l["layer"].get<int>(), si(l["settled_s"]["mean"].get<double>(), "s"));
  fmt::print("        settled through (mean): {}\n        ({})\n", layers, s["latency_basis"].get<std::string>());
  if (s.value("unsettled_images", 0) > 0)
    fmt::print("warning: {} of {} images were still settling in the last tenth of the {} window: their latency and energy "
               "are cut by it (lengthen input.window)\n",
               s["unsettled_images"].get<int>(), s["images"].get<int>(), si(s["run"].value("window", 0.0), "s"));
  const auto& area = s["area_m2"];
  const double conv_area = area["network"].value("converters", 0.0);
  fmt::print("area    {} ({:.0f} F^2 cells at {}; synapses {}, amplifiers {}, neurons {}, drivers {}{}; a tile {})\n",
             area_text(area["network"]["total"].get<double>()), area["cell_f2"].get<double>(),
             si(area["feature_m"].get<double>(), "m"), area_text(area["network"]["synapses"].get<double>()),
             area_text(area["network"]["amplifiers"].get<double>()), area_text(area["network"]["neurons"].get<double>()),
             area_text(area["network"]["drivers"].get<double>()),
             conv_area > 0 ? ", converters " + area_text(conv_area) : std::string(), area_text(area["tile"]["total"].get<double>()));
  if (s.contains("conversion"))
    for (const auto& c : s["conversion"])
      if (c["mode"] != "analog")
        fmt::print("        layer {} conversion {}: {} conversions, {} and {} each ({} per inference)\n", c["layer"].get<int>(),
                   c["setting"].get<std::string>(), c["conversions"].get<int>(), si(c["energy_per_conversion_j"].get<double>(), "J"),
                   si(c["latency_s"].get<double>(), "s"), si(c["energy_j"].get<double>(), "J"));
  // Figures beside their gnuplot scripts (study/figures.hpp): energy by part, output histogram, confusion
  // matrix, and for CNNs the CPU-IMAC comparison.
  const spx::study::Figures figs = spx::study::draw_run(opt.out);
  const bool drawn = figs.drawn;
  if (s.contains("cpu_imac")) {
    fmt::print("CPU-IMAC (conv on the CPU, FC on IMAC) against CPU only, per inference:\n");
    for (const auto& r : s["cpu_imac"]["rows"])
      fmt::print("  {:<48} CPU only {} / {}, CPU-IMAC {} / {}: energy saved {}, latency saved {}\n",
                 r["network"].get<std::string>(), si(r["cpu_only"]["energy_j"].get<double>(), "J"),
                 si(r["cpu_only"]["latency_s"].get<double>(), "s"), si(r["cpu_imac"]["energy_j"].get<double>(), "J"),
                 si(r["cpu_imac"]["latency_s"].get<double>(), "s"), percent(r["energy_saving"]), percent(r["latency_saving"]));
    fmt::print("  ({})\n", s["cpu_imac"]["note"].get<std::string>());
  }
  if (s.contains("interconnect")) {
    const auto& ic = s["interconnect"];
    fmt::print("interconnect: {} RC parts reduced onto their ports ({} nodes eliminated; slowest internal time constant {} "
               "against the {} step), {} kept whole (run.interconnect = \"full\" keeps all)\n",
               ic["reduced_parts"].get<int>(), ic["nodes_eliminated"].get<int64_t>(), si(ic["tau_s"].get<double>(), "s"),
               si(ic["step_s"].get<double>(), "s"), ic["whole_parts"].get<int>());
  }
  fmt::print("wall time {:.1f} s (setup {:.2f} s, {} images simulated now); wrote {}/images.csv, summary.json, {}\n",
             s["wall_seconds"].get<double>(), s["setup_seconds"].get<double>(), o.simulated, opt.out.string(),
             drawn ? figure_list(figs) : "figure scripts (gnuplot missing or failed: no figures)");
  return 0;
}

int cmd_pbit(const std::string& preset, const std::vector<std::string>& set, std::string out,
             const spx::sc::PbitCurveOptions& opt) {
  spx::devices::PbitParams p = spx::devices::pbit_preset(preset, "--preset").params;
  for (const std::string& item : set) {
    const size_t eq = item.find('=');
    const std::string key = item.substr(0, eq);
    if (eq == std::string::npos || !key.starts_with("smtj."))
      spx::fail("--set {}: expected smtj.key=value, e.g. smtj.clock=3n", spx::clip(item));
    const std::string name = key.substr(5), text = item.substr(eq + 1);
    const auto& table = spx::devices::pbit_table();
    auto it = std::find_if(table.begin(), table.end(), [&](const auto& row) { return row.name == name; });
    if (it == table.end()) {
      std::string known;
      for (const auto& row : table) known += (known.empty() ? "" : ", ") + std::string(row.name);
      spx::fail("--set {}: unknown key 'smtj.{}' (known: {})", spx::clip(item), spx::clip(name), known);
    }
    auto v = spx::devices::parse_spice_number(text);
    if (!v) spx::fail("--set {}: '{}' is not a number", spx::clip(item), spx::clip(text));
    if (std::string e = spx::devices::check(*it, *v, "smtj"); !e.empty()) spx::fail("--set {}: {}", spx::clip(item), e);
    p.*(it->member) = *v;
  }
  spx::devices::validate(p, "smtj");
  if (out.empty()) out = "out/pbit";
  spx::OutputDir dir(out, "--out");
  const auto curve = spx::sc::characterize_pbit(p, opt);
  const std::filesystem::path o(out);
  spx::mlp::write_file_atomic(o / "curve.csv", spx::sc::curve_csv(curve));
  double worst_closed = 0, worst_ngspice = 0, worst_energy = 0;
  for (const auto& pt : curve.points) {
    worst_closed = std::max(worst_closed, std::fabs(pt.p_native - pt.p_closed));
    if (pt.p_ngspice >= 0) worst_ngspice = std::max(worst_ngspice, std::fabs(pt.p_ngspice - pt.p_native_window));
    worst_energy = std::max(worst_energy, std::fabs(pt.energy_circuit / pt.energy_closed - 1));
  }
  nlohmann::json j;
  j["preset"] = preset;
  j["set"] = set;
  for (const auto& row : spx::devices::pbit_table()) j["params"][std::string(row.name)] = p.*(row.member);
  j["current_p50_a"] = curve.current_p50;
  j["current_per_logit_a"] = p.current_per_logit();
  j["tau_corr_p50_s"] = p.tau_corr(curve.current_p50);
  j["rho_p50"] = p.rho(curve.current_p50);
  j["usable_bit_rate_hz"] = curve.usable_rate;
  j["energy_per_bit_p50_j"] = p.energy_per_bit(curve.current_p50);
  j["bits_per_point"] = opt.bits;
  j["ngspice_bits_per_point"] = opt.ngspice_bits;
  j["max_abs_p_native_vs_closed"] = worst_closed;
  j["max_abs_p_ngspice_vs_native"] = opt.ngspice_bits > 0 ? nlohmann::json(worst_ngspice) : nlohmann::json();
  j["max_rel_energy_circuit_vs_closed"] = worst_energy;
  j["seconds"] = curve.seconds;
  spx::mlp::write_file_atomic(o / "pbit.json", j.dump(1) + "\n");
  const std::string gp =
      "# p-bit probability against the channel current (spinxbar pbit). Restyle and rerun: gnuplot curve.gp\n"
      "set datafile separator ','\nset key top left\nset grid\n"
      "set xlabel 'channel current (uA)'\nset ylabel 'P(1)'\nset yrange [0:1]\n"
      "do for [term in 'pngcairo svg'] {\n"
      "  if (term eq 'svg') { set terminal svg size 640,440; set output 'curve.svg' } "
      "else { set terminal pngcairo size 640,440; set output 'curve.png' }\n"
      "  plot 'curve.csv' skip 1 using ($1*1e6):3 with lines lw 2 title 'closed form', \\\n"
      "       '' skip 1 using ($1*1e6):4 with points pt 7 ps 0.7 title 'native transient', \\\n"
      "       '' skip 1 using ($1*1e6):(strcol(11) eq '' ? 1/0 : $11) with points pt 2 ps 1.0 title 'native, ngspice window', \\\n"
      "       '' skip 1 using ($1*1e6):(strcol(12) eq '' ? 1/0 : $12) with points pt 6 ps 1.4 title 'ngspice, same window'\n"
      "}\n";
  spx::mlp::write_file_atomic(o / "curve.gp", gp);
  dir.keep();
  fmt::print("p-bit '{}': clock {}, P(1) = 0.5 at {} ({} per logit unit)\n", preset, si(p.clock, "s"),
             si(curve.current_p50, "A"), si(p.current_per_logit(), "A"));
  fmt::print("correlation time {} at p = 0.5 (lag-one correlation {:.3f}); usable bit rate {:.0f} Mbit/s (correlation 0.1)\n",
             si(p.tau_corr(curve.current_p50), "s"), p.rho(curve.current_p50), curve.usable_rate / 1e6);
  fmt::print("energy per bit at p = 0.5: {} (circuit within {:.2f} % of the closed form over the curve)\n",
             si(p.energy_per_bit(curve.current_p50), "J"), 100 * worst_energy);
  fmt::print("{} currents x {} bits: |P native - closed form| <= {:.4f}", curve.points.size(), opt.bits, worst_closed);
  if (opt.ngspice_bits > 0) fmt::print(", |P ngspice - native| <= {:.4f} over {} bits", worst_ngspice, opt.ngspice_bits);
  fmt::print("; {:.1f} s\n", curve.seconds);
  const bool drawn = spx::sc::run_gnuplot(o, "curve.gp");
  fmt::print("wrote {0}/curve.csv, pbit.json, curve.gp{1}\n", out, drawn ? ", curve.png, curve.svg" : " (gnuplot missing: no figure)");
  return 0;
}

/// Comma-separated integers of an option ("5,11"); shapes are dash-separated within.
std::vector<int> int_list(const std::string& text, const char* option, char sep) {
  std::vector<int> out;
  size_t a = 0;
  for (;;) {
    const size_t b = text.find(sep, a);
    const std::string item = text.substr(a, b == std::string::npos ? std::string::npos : b - a);
    int v = 0;
    auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (ec != std::errc() || p != item.data() + item.size() || item.empty() || v < 1)
      spx::fail("{}: '{}' is not a positive integer", option, spx::clip(item));
    out.push_back(v);
    if (b == std::string::npos) break;
    a = b + 1;
  }
  return out;
}

int cmd_sc_table(const std::string& config, const std::vector<std::string>& set, std::string out, const std::string& shapes,
                 const std::string& states, const std::string& lengths, spx::sc::TableOptions opt) {
  namespace mlp = spx::mlp;
  auto cfg = mlp::load_config(config, set);
  opt.shapes.clear();
  size_t a = 0;
  for (;;) {
    const size_t b = shapes.find(',', a);
    opt.shapes.push_back(int_list(shapes.substr(a, b == std::string::npos ? std::string::npos : b - a), "--shapes", '-'));
    if (b == std::string::npos) break;
    a = b + 1;
  }
  opt.states.clear();
  for (const std::string& item : {states}) {
    size_t p = 0;
    for (;;) {
      const size_t q = item.find(',', p);
      const std::string v = item.substr(p, q == std::string::npos ? std::string::npos : q - p);
      if (v == "0") opt.states.push_back(0);
      else opt.states.push_back(int_list(v, "--states", ',').front());
      if (q == std::string::npos) break;
      p = q + 1;
    }
  }
  opt.lengths = int_list(lengths, "--lengths", ',');
  if (out.empty()) out = (std::filesystem::path("out") / (std::filesystem::path(config).stem().string() + "-table")).string();
  opt.out = out;
  Eigen::setNbThreads(opt.threads);
  opt.log = [](const std::string& s) {
    fmt::print("{}\n", s);
    std::fflush(stdout);
  };
  auto rows = spx::sc::run_table(cfg, opt);
  fmt::print("wrote {0}/table.csv, table.md, accuracy.gp, accuracy.png, accuracy.svg and the models in {0}/models\n", out);
  return rows.empty() ? 1 : 0;
}

/// `spinxbar conversion-table`: the partial-sum conversion comparison (study/conversion_table.hpp).
int cmd_conversion_table(const std::string& config, const std::vector<std::string>& set, std::string out,
                         spx::study::ConversionTableOptions opt, int nseeds, const std::string& rows) {
  namespace mlp = spx::mlp;
  auto cfg = mlp::load_config(config, set);
  mlp::load_network(cfg);
  if (out.empty()) out = (std::filesystem::path("out") / (std::filesystem::path(config).stem().string() + "-conversion")).string();
  opt.out = out;
  opt.seeds.clear();
  for (int k = 1; k <= nseeds; ++k) opt.seeds.push_back(static_cast<uint64_t>(k));
  for (size_t a = 0; !rows.empty();) {
    const size_t b = rows.find(',', a);
    opt.only.push_back(rows.substr(a, b == std::string::npos ? std::string::npos : b - a));
    if (b == std::string::npos) break;
    a = b + 1;
  }
  Eigen::setNbThreads(opt.threads);
  opt.log = [](const std::string& s) {
    fmt::print("{}\n", s);
    std::fflush(stdout);
  };
  auto t = spx::study::conversion_table(cfg, opt);
  fmt::print("\n{:<14} {:>16} {:>6} {:>9} {:>11} {:>11} {:>11} {:>10} {:>9} {:>9} {:>9}\n", "row", "accuracy (%)", "ties",
             "split (%)", "energy", "latency", "area", "E/conv", "E ratio", "L ratio", "EDP ratio");
  auto ratio = [](const nlohmann::json& v) { return v.is_null() ? std::string("-") : fmt::format("{:.3g}", v.get<double>()); };
  for (const auto& r : t["rows"])
    fmt::print("{:<14} {:>8.2f} +- {:<5.2f} {:>6.0f} {:>9.2f} {:>11} {:>11} {:>11} {:>10} {:>9} {:>9} {:>9}\n", r["row"].get<std::string>(),
               100 * r["accuracy_mean"].get<double>(), 100 * r["accuracy_std"].get<double>(), r["ties"].get<double>(),
               100 * r["accuracy_tie_split"].get<double>(), si(r["energy_j"].get<double>(), "J"),
               si(r["latency_s"].get<double>(), "s"), area_text(r["area_m2"].get<double>()),
               si(r["energy_per_conversion_j"].get<double>(), "J"), ratio(r["energy_ratio"]), ratio(r["latency_ratio"]),
               ratio(r["edp_ratio"]));
  fmt::print("(accuracy counts a tie as an error; split: ties broken at random. Ratios: the 8-bit ADC row / this row, per "
             "inference; conversion-only ratios in conversion.csv)\n");
  fmt::print("wrote {0}/conversion.csv, conversion.json, conversion.png/svg (gnuplot script conversion.gp); runs and weights in {0}/<row>/\n", out);
  return 0;
}

/// Whether mpirun (or another MPI launcher) started this process.
bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(v)) return true;
  return false;
}

int sweep_here(const spx::study::Study& study, spx::study::SweepOptions opt) {
  opt.version = SPX_VERSION;
  opt.interrupt = &spx::interrupt_flag();
  opt.log = [](const std::string& line) { fmt::print("{}\n", line); std::fflush(stdout); };
  const auto t0 = std::chrono::steady_clock::now();
  const spx::study::SweepOutcome o = spx::study::run_sweep(study, opt);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (opt.rank != 0) return 0;
  if (!o.complete) {
    fmt::print(stderr, "stopped with {} of {} runs done; {} holds them. Run the same command again to continue.\n", o.done,
               o.runs, o.out.string());
    return spx::interrupt_flag().load() ? 130 : 3;
  }
  fmt::print("study {}: {} runs ({} now, {} failed{}) in {:.1f} s; wrote {}/results.csv, seeds.csv, study.json{}\n", study.name,
             o.runs, o.now, o.failed, opt.ranks > 1 ? fmt::format(", {} processes", opt.ranks) : "", wall, o.out.string(),
             o.figures ? ", figures" : " (gnuplot missing or failed: no figures)");
  return 0;
}

/// This process's rank as the MPI launcher gives it (before MPI_Init), 0 when not launched by one.
int launcher_rank() {
  for (const char* v : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"})
    if (const char* r = std::getenv(v)) return std::atoi(r);
  return 0;
}

int cmd_sweep(const std::string& file, spx::study::SweepOptions opt) {
  spx::study::Study study;
  try {
    study = spx::study::load_study(file);
  } catch (const spx::InputError&) {
    if (launcher_rank() > 0) return 2;  // every rank finds the same error: rank 0 says it
    throw;
  }
  if (!launched_by_mpi()) return sweep_here(study, opt);
#ifdef SPX_WITH_MPI
  // Scale-out: every rank runs its share of the study; rank 0 owns the directory and the tables.
  MPI_Init(nullptr, nullptr);
  MPI_Comm_rank(MPI_COMM_WORLD, &opt.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &opt.ranks);
  bool started = false;  // past the checks every rank makes alike: a failure now is this rank's own
  opt.barrier = [&started] {
    MPI_Barrier(MPI_COMM_WORLD);
    started = true;
  };
  int code = 0;
  std::string error;
  try {
    code = sweep_here(study, opt);
  } catch (const spx::InputError& e) {
    code = 2;
    error = e.what();
  } catch (const spx::Interrupted&) {
    code = 130;
    error = "interrupted";
  } catch (const std::exception& e) {
    code = 1;
    error = spx::one_line(e.what());
  }
  if (!error.empty()) {
    // The same checks fail on every rank: rank 0 says so once. Later failures are the rank's own.
    if (opt.rank == 0 || started)
      fmt::print(stderr, "spinxbar: {}{}\n", opt.rank == 0 ? "" : fmt::format("rank {}: ", opt.rank), error);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
  }
  MPI_Finalize();
  return code;
#else
  const char* size = std::getenv("OMPI_COMM_WORLD_SIZE");
  if (size && std::atoi(size) > 1)
    spx::fail("sweep: started by mpirun with {} processes, but this spinxbar was built without MPI (install libopenmpi-dev, "
              "then scripts/setup)", size);
  return sweep_here(study, opt);
#endif
}

int cmd_plot(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) spx::fail("{}: not a directory", dir);
  const bool study = std::filesystem::exists(std::filesystem::path(dir) / "study.json", ec);
  if (!study && !std::filesystem::exists(std::filesystem::path(dir) / "summary.json", ec))
    spx::fail("{}: holds neither a study (study.json) nor a complete run (summary.json)", dir);
  const spx::study::Figures f = study ? spx::study::draw_study(dir) : spx::study::draw_run(dir);
  if (!f.drawn) {
    fmt::print(stderr, "spinxbar: gnuplot is missing or failed; the scripts are in {}\n", dir);
    return 1;
  }
  fmt::print("drew {} in {}\n", figure_list(f), dir);
  return 0;
}

int cmd_agree(const std::string& a, const std::string& b) {
  auto g = spx::mlp::compare_runs(a, b);
  fmt::print("{} images in both runs: same class on {} ({:.2f} %), largest output difference {:.3e} V (image {}), "
             "largest relative energy difference {:.3e}\n",
             g.images, g.same_prediction, 100.0 * g.same_prediction / g.images, g.max_output_diff, g.worst_image,
             g.max_energy_rel);
  return 0;
}

/// An integer option's check: in [low, high], with a plain message ("must be >= 1, got 0").
CLI::Validator int_in(long long low, long long high = std::numeric_limits<int>::max()) {
  return CLI::Validator(
      [low, high](std::string& text) -> std::string {
        long long v = 0;
        auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc() || p != text.data() + text.size()) return fmt::format("'{}' is not an integer", spx::clip(text));
        if (v < low) return fmt::format("must be >= {}, got {}", low, v);
        if (v > high) return fmt::format("must be <= {}, got {}", high, v);
        return {};
      },
      high == std::numeric_limits<int>::max() ? fmt::format("INT >= {}", low) : fmt::format("INT in [{}, {}]", low, high));
}

/// A path option's check: an empty name is not "the default".
CLI::Validator non_empty(const char* what) {
  return CLI::Validator(
      [what](std::string& text) -> std::string { return text.empty() ? fmt::format("empty {} name", what) : std::string(); },
      "PATH");
}

/// A work limit option's check: a positive finite number.
CLI::Validator positive_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        auto v = spx::devices::parse_spice_number(text);
        if (!v || !(*v >= 1)) return fmt::format("must be a number >= 1, got '{}'", spx::clip(text));
        text = fmt::format("{:.17g}", std::floor(*v));  // engineering notation in, a plain number for the option
        return {};
      },
      "NUMBER >= 1");
}

/// Large heaps on transparent huge pages. glibc's malloc asks the kernel for them only when told at
/// start-up (GLIBC_TUNABLES=glibc.malloc.hugetlb=1, glibc 2.35 and later; older ones ignore it), and
/// building and solving circuits of millions of elements otherwise spends a third of its time in page
/// faults on virtual machines (the MNIST job 2.9 -> 2.4 s, a 512x512 netlist 6.0 -> 3.8 s). So the
/// process restarts itself once with the tunable added, when the kernel offers huge pages on request;
/// SPINXBAR_NO_HUGEPAGES=1 turns this off. Results do not depend on it.
void use_huge_pages(char** argv) {
  if (std::getenv("SPINXBAR_NO_HUGEPAGES")) return;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  std::string value = tunables ? tunables : "";
  if (value.find("glibc.malloc.hugetlb") != std::string::npos) return;  // set by the user, or restarted already
  std::ifstream mode("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  if (!std::getline(mode, line) || line.find("[never]") != std::string::npos) return;
  value += value.empty() ? "glibc.malloc.hugetlb=1" : ":glibc.malloc.hugetlb=1";
  if (setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  // Not restarted (no /proc): go on as we are.
}

}  // namespace

int main(int argc, char** argv) {
  use_huge_pages(argv);
  CLI::App app{"spinxbar: circuit-level simulator for spintronic in-memory computing"};
  app.set_version_flag("--version", std::string("spinxbar ") + SPX_VERSION);
  app.require_subcommand(1);
  spx::WorkLimits& limits = spx::work_limits();
  app.add_option("--max-elements", limits.elements, "Largest circuit (elements after expansion) a job may build")
      ->transform(positive_number())->capture_default_str();
  app.add_option("--max-points", limits.points, "Most time points of a transient window or points of a sweep")
      ->transform(positive_number())->capture_default_str();
  double max_bytes = static_cast<double>(limits.bytes);
  app.add_option("--max-bytes", max_bytes, "Largest input file (or inflated dataset) read into memory, bytes")
      ->transform(positive_number())->capture_default_str();

  std::string file, backend = "native", format = "json";
  auto* sim = app.add_subcommand("simulate", "Run the analyses (.op, .tran, .dc) of a SPICE netlist");
  sim->add_option("file", file, "Netlist (.cir)")->required();
  sim->add_option("--backend", backend, "native | ngspice")->check(CLI::IsMember({"native", "ngspice"}));
  sim->add_option("--format", format, "json | table")->check(CLI::IsMember({"json", "table"}));

  std::string cfile;
  auto* cmp = app.add_subcommand("compare", "Run a netlist on both backends and print their agreement");
  cmp->add_option("file", cfile, "Netlist (.cir)")->required();

  std::string ncfg, nout, dialect = "ngspice";
  int nimages = 0;
  bool hierarchical = false;
  auto* net = app.add_subcommand("netlist", "Write the SPICE netlist of a crossbar network described by a TOML config");
  net->add_option("config", ncfg, "Configuration (.toml)")->required();
  net->add_option("-o,--output", nout, "Netlist file (default: CONFIG's name with .cir, here)")->check(non_empty("file"));
  net->add_option("--dialect", dialect, "ngspice | hspice")->check(CLI::IsMember({"ngspice", "hspice"}));
  net->add_flag("--hierarchical", hierarchical,
                "Subcircuits per tile, difference amplifier and neuron, with a comment per layer and tile");
  auto amplifier_keys = spx::devices::amplifier_table();
  std::erase_if(amplifier_keys, [](const auto& p) { return p.name == "gain"; });  // per layer: network.gains
  std::vector<std::string> nset, tset;
  const char* set_help = "Override a config key: section.key=value (repeatable), e.g. interconnect.resistance=false";
  net->add_option("--set", nset, set_help);
  net->add_option("--images", nimages, "Images (more than one: one PWL time window per image)")->check(int_in(1));
  net->footer("\nPhysical configuration keys (SI units; strings like \"8.49k\" accepted), with defaults:\n" +
              spx::devices::describe(spx::devices::mtj_table(), spx::devices::MtjParams{}, "mtj") +
              spx::devices::describe(spx::devices::wire_table(), spx::devices::WireTech{}, "interconnect") +
              spx::devices::describe(amplifier_keys, spx::devices::AmplifierParams{}, "amplifier") +
              "  network.gains                                 one difference-amplifier gain per layer (default 30)\n" +
              spx::devices::describe(spx::devices::adc_table(), spx::devices::AdcParams{}, "adc") +
              spx::devices::describe(spx::devices::sot_converter_table(), spx::devices::SotConverterParams{}, "sot_converter") +
              "  conversion.mode, bits, range, offset, noise, inl, samples, seed, quantile: partial-sum conversion per layer\n" +
              "Other sections and keys: see examples/small/small.toml and mlp/config.hpp.\n");

  std::string tcfg, tout;
  int tepochs = 0, tthreads = 0, tlimit = -1;
  auto* tr = app.add_subcommand("train", "Train a network (software or crossbar model) on an image dataset");
  tr->add_option("config", tcfg, "Configuration (.toml) with [network], [input] and [train]")->required();
  tr->add_option("--out", tout, "Output directory (default: out/<config name>)")->check(non_empty("directory"));
  tr->add_option("--epochs", tepochs, "Epochs (overrides train.epochs)")->check(int_in(1));
  tr->add_option("--threads", tthreads, "Threads (overrides train.threads)")->check(int_in(1, 1024));
  tr->add_option("--set", tset, set_help);
  tr->add_option("--limit", tlimit, "Use at most N training and N test images")->check(int_in(1));

  std::string rcfg, ranalysis, rbackend = "native";
  spx::mlp::RunOptions ropt;
  std::vector<std::string> rset;
  auto* run = app.add_subcommand("run", "Simulate a network at circuit level over a dataset: accuracy, energy, latency");
  run->add_option("config", rcfg, "Configuration (.toml) with [network] weights and [input]")->required();
  run->add_option("--backend", rbackend, "native | ngspice")->check(CLI::IsMember({"native", "ngspice"}));
  run->add_option("--analysis", ranalysis, "op | tran (overrides run.analysis)")->check(CLI::IsMember({"op", "tran"}));
  run->add_option("--images", ropt.images, "Images (default: all from --first on)")->check(int_in(1));
  run->add_option("--first", ropt.first, "First image (default: input.first)")->check(int_in(0));
  run->add_option("--out", ropt.out, "Results directory (default: out/<config name>-run)")->check(non_empty("directory"));
  run->add_option("--set", rset, set_help);
  run->add_flag("--resume", ropt.resume, "Continue the run in --out where it stopped");
  run->add_option("--threads", ropt.threads, "Threads (overrides run.threads)")->check(int_in(1, 1024));
  run->add_option("--stop-after", ropt.stop_after, "Simulate at most N images now; continue later with --resume")
      ->check(int_in(0));

  std::string scfg, sshapes = "784-256-10,784-256-128-64-10", sstates = "5,11", slengths = "100,200,300,400,500";
  spx::sc::TableOptions sopt;
  std::vector<std::string> sset;
  std::string sout;
  auto* table = app.add_subcommand("sc-table", "Train and evaluate quantized SC-MLPs over shapes, states and bitstream lengths, with and without SC");
  table->add_option("config", scfg, "Stochastic-computing configuration (.toml) with [sc], [input] and [train]")->required();
  table->add_option("--out", sout, "Output directory (default: out/<config name>-table)")->check(non_empty("directory"));
  table->add_option("--shapes", sshapes, "Network sizes, comma-separated shapes of dash-separated sizes")->capture_default_str();
  table->add_option("--states", sstates, "Hidden activation states, comma-separated")->capture_default_str();
  table->add_option("--lengths", slengths, "Bitstream lengths L, comma-separated")->capture_default_str();
  table->add_option("--seeds", sopt.seeds, "Device seeds per evaluation")->check(int_in(1, 100))->capture_default_str();
  table->add_option("--epochs", sopt.epochs, "Epochs of the first training, with and without SC")->check(int_in(1, 1000))->capture_default_str();
  table->add_option("--tune-epochs", sopt.tune_epochs, "Epochs of tuning at each L with SC (and of the continuation without SC)")
      ->check(int_in(0, 1000))->capture_default_str();
  table->add_option("--limit", sopt.limit, "Use at most N training and N test images")->check(int_in(1));
  table->add_option("--threads", sopt.threads, "Threads")->check(int_in(1, 1024))->capture_default_str();
  table->add_option("--set", sset, set_help);

  std::string ccfg, cout, crows;
  std::vector<std::string> cset;
  spx::study::ConversionTableOptions copt;
  int cseeds = 3;
  auto* ctable = app.add_subcommand("conversion-table",
                                    "Compare partial-sum conversions (analog, ADC 1-8 bits, stochastic SOT-MTJ 1-16 samples, "
                                    "inhomogeneous): accuracy, energy, latency, area, EDP against the 8-bit ADC");
  ctable->add_option("config", ccfg, "Crossbar network configuration (.toml; MLP, or [cnn] with CPU conv layers) with trained weights and [train]")->required();
  ctable->add_option("--out", cout, "Output directory (default: out/<config name>-conversion)")->check(non_empty("directory"));
  ctable->add_option("--epochs", copt.epochs, "Fine-tuning epochs per row through its conversion")->check(int_in(0, 1000))
      ->capture_default_str();
  ctable->add_option("--seeds", cseeds, "Converter seeds per row (inference runs)")->check(int_in(1, 100))->capture_default_str();
  ctable->add_option("--images", copt.images, "Test images per run (default: all)")->check(int_in(1));
  ctable->add_option("--limit", copt.train_limit, "Use at most N training images")->check(int_in(1));
  ctable->add_option("--rows", crows, "Only these rows, comma-separated (e.g. analog,adc-8,stochastic-4)");
  ctable->add_option("--threads", copt.threads, "Threads")->check(int_in(1, 1024))->capture_default_str();
  ctable->add_option("--set", cset, set_help);

  std::string ppreset = spx::devices::pbit_presets().front().name, pout;
  std::vector<std::string> pset;
  spx::sc::PbitCurveOptions popt;
  popt.ngspice_bits = 200;
  auto* pbit = app.add_subcommand("pbit", "Characterize the s-MTJ p-bit read circuit: probability, correlation, bit rate, energy per bit");
  pbit->add_option("--preset", ppreset, "Device preset")->capture_default_str();
  pbit->add_option("--set", pset, "Override a p-bit parameter: smtj.key=value (repeatable), e.g. smtj.clock=3n");
  pbit->add_option("--points", popt.points, "Input currents")->check(int_in(2, 1001))->capture_default_str();
  pbit->add_option("--span", popt.logit_span, "Logit range around p = 0.5")->capture_default_str();
  pbit->add_option("--bits", popt.bits, "Clock periods per current (native transient)")->check(int_in(10))->capture_default_str();
  pbit->add_option("--ngspice-bits", popt.ngspice_bits, "Clock periods per current on ngspice (0: none)")->check(int_in(0))
      ->capture_default_str();
  pbit->add_option("--seed", popt.seed, "Telegraph seed")->capture_default_str();
  pbit->add_option("--out", pout, "Output directory (default: out/pbit)")->check(non_empty("directory"));
  {
    std::string keys;
    for (const auto& preset : spx::devices::pbit_presets()) keys += fmt::format("  {:<10} {}\n", preset.name, preset.source);
    pbit->footer("\nPresets:\n" + keys + "\nParameters (defaults of the first preset):\n" +
                 spx::devices::describe(spx::devices::pbit_table(), spx::devices::PbitParams{}, "smtj"));
  }

  std::string swfile;
  spx::study::SweepOptions swopt;
  auto* sweep = app.add_subcommand("sweep", "Run a study: config keys swept over axes, Monte Carlo seeds, one tidy table and figures");
  sweep->add_option("study", swfile, "Study file (.toml) with [study] and [[axis]] tables")->required();
  sweep->add_option("--out", swopt.out, "Results directory (default: out/<study name>)")->check(non_empty("directory"));
  sweep->add_flag("--force", swopt.force, "Start again, replacing an earlier study in --out");
  sweep->add_option("--images", swopt.images, "Test images per run (overrides study.images)")->check(int_in(1));
  sweep->add_option("--threads", swopt.threads, "Threads per run (overrides run.threads)")->check(int_in(1, 1024));

  std::string plot_dir;
  auto* plot = app.add_subcommand("plot", "Redraw the figures of a study or run directory from its results");
  plot->add_option("dir", plot_dir, "Study (spinxbar sweep) or run (spinxbar run) directory")->required();

  std::string agree_a, agree_b;
  auto* agree = app.add_subcommand("agree", "Compare the images.csv of two runs (e.g. native and ngspice)");
  agree->add_option("a", agree_a, "Results directory")->required();
  agree->add_option("b", agree_b, "Results directory")->required();

  // The command is the first word that is not an option (or an option's value).
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) names.push_back(sub->get_name());
  const std::string commands = fmt::format("{}", fmt::join(names, ", "));
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const std::string_view name = a.substr(0, a.find('='));
    const bool global = name == "--max-elements" || name == "--max-points" || name == "--max-bytes";
    if (global && name == a) {  // its value follows
      ++i;
      continue;
    }
    if (a.starts_with("-") && !global && a != "-h" && a != "--help" && a != "--version") {
      fmt::print(stderr, "spinxbar: unknown option '{}' (options before the command: --help, --version, "
                         "--max-elements, --max-points, --max-bytes)\n", spx::clip(a));
      return 2;
    }
    if (a.starts_with("-")) continue;
    if (std::find(names.begin(), names.end(), a) == names.end()) {
      fmt::print(stderr, "spinxbar: unknown command '{}' (commands: {})\n", spx::clip(a), commands);
      return 2;
    }
    break;
  }
  try {
    app.parse(argc, argv);
    // Clamped: a double at or above 2^64 has no uintmax_t value.
    limits.bytes = max_bytes >= 0x1p64 ? UINTMAX_MAX : static_cast<std::uintmax_t>(max_bytes);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::RequiredError& e) {
    if (app.get_subcommands().empty()) {
      fmt::print(stderr, "spinxbar: a command is required ({}; --help describes them)\n", commands);
      return 2;
    }
    fmt::print(stderr, "spinxbar: {}\n", spx::one_line(e.what()));
    return 2;
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "spinxbar: {}\n", spx::one_line(e.what()));
    return 2;
  }
  catch_interrupts();
  try {
    if (sim->parsed()) return cmd_simulate(file, backend, format);
    if (cmp->parsed()) return cmd_compare(cfile);
    if (net->parsed()) return cmd_netlist(ncfg, nset, nout, dialect, nimages, hierarchical);
    if (tr->parsed()) return cmd_train(tcfg, tset, tout, tepochs, tthreads, tlimit);
    if (agree->parsed()) return cmd_agree(agree_a, agree_b);
    if (sweep->parsed()) return cmd_sweep(swfile, swopt);
    if (plot->parsed()) return cmd_plot(plot_dir);
    if (pbit->parsed()) return cmd_pbit(ppreset, pset, pout, popt);
    if (table->parsed()) return cmd_sc_table(scfg, sset, sout, sshapes, sstates, slengths, sopt);
    if (ctable->parsed()) return cmd_conversion_table(ccfg, cset, cout, copt, cseeds, crows);
    if (run->parsed()) {
      ropt.backend = rbackend == "ngspice" ? spx::mlp::Backend::ngspice : spx::mlp::Backend::native;
      return cmd_run(rcfg, rset, ropt, ranalysis);
    }
  } catch (const spx::InputError& e) {
    std::fprintf(stderr, "spinxbar: %s\n", e.what());
    return 2;
  } catch (const std::filesystem::filesystem_error& e) {
    // Paths come from the user (--out, -o, config paths): a path that cannot be made or written is
    // bad input.
    fmt::print(stderr, "spinxbar: {}: {}\n", spx::clip(e.path1().string(), 200), spx::one_line(e.code().message()));
    return 2;
  } catch (const spx::Interrupted&) {
    fmt::print(stderr, "spinxbar: interrupted\n");
    return 130;
  } catch (const SimulationFailure& e) {
    std::fprintf(stderr, "spinxbar: simulation failed: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "spinxbar: {}\n", spx::one_line(e.what()));
    return 1;
  }
  return 0;
}
