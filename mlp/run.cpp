// Circuit-level inference over a dataset (run.hpp).
#include "mlp/run.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <limits>

#include "devices/error.hpp"
#include "devices/files.hpp"
#include "devices/limits.hpp"
#include "devices/interrupt.hpp"
#include "mlp/generate.hpp"
#include "mlp/weights.hpp"
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

/// Driver groups for the energy breakdown.
enum Group { inputs_group, supply_group, neurons_group, groups };
const char* const group_names[groups] = {"inputs", "supply", "neurons"};


/// One image's results.
struct Row {
  int index = 0, label = -1, prediction = -1, reference = -1;
  std::vector<double> outputs;
  double power = 0, energy = 0;
  double energy_by[groups] = {0, 0, 0};
  double latency = NAN;
};

/// The network circuit and what a run reads from it.
struct Bench {
  Circuit circuit;
  netlist::MlpPorts ports;
  std::vector<ElementId> drivers;
  std::vector<Group> group;
};

Bench make_bench(const Config& cfg, const std::vector<double>& x0) {
  Bench b;
  Generated g = generate(cfg, {x0});
  b.circuit = std::move(g.circuit);
  b.ports = std::move(g.ports);
  for (ElementId id : b.ports.input_sources) {
    b.drivers.push_back(id);
    b.group.push_back(inputs_group);
  }
  b.drivers.push_back(b.ports.supply);
  b.group.push_back(supply_group);
  for (size_t i = 0; i < b.circuit.elements.size(); ++i) {
    const auto& e = b.circuit.elements[i];
    if (e.kind == netlist::ElementKind::behavioral_v && e.origin.role == netlist::Role::neuron) {
      b.drivers.push_back(static_cast<ElementId>(i));
      b.group.push_back(neurons_group);
    }
  }
  return b;
}

/// Largest output, -1 on an exact tie.
int argmax(const std::vector<double>& v) {
  int best = 0;
  bool tie = false;
  for (int j = 1; j < static_cast<int>(v.size()); ++j) {
    if (v[j] > v[best]) {
      best = j;
      tie = false;
    } else if (v[j] == v[best]) {
      tie = true;
    }
  }
  return tie ? -1 : best;
}

std::string vname(const Circuit& c, NodeId n) { return "v(" + c.node_name(n) + ")"; }
std::string iname(const Circuit& c, ElementId e) { return "i(" + c.elements[e].name + ")"; }

/// Reads the outputs and the drivers' power from a full solve's vectors; returns the power at point p.
double power_at(const Bench& b, const std::map<std::string, std::vector<double>>& v, size_t p, double* by_group) {
  auto volt = [&](NodeId n) { return n == netlist::ground ? 0.0 : v.at(vname(b.circuit, n))[p]; };
  double total = 0;
  for (size_t d = 0; d < b.drivers.size(); ++d) {
    const auto& e = b.circuit.elements[b.drivers[d]];
    double pw = -(volt(e.a) - volt(e.b)) * v.at(iname(b.circuit, b.drivers[d]))[p];
    if (by_group) by_group[b.group[d]] += pw;
    total += pw;
  }
  return total;
}

/// Energy of a transient window by driver group (trapezoid rule over the time points), its total and
/// the mean power.
void integrate_window(const Bench& b, const solver::AnalysisResult& res, Row& r) {
  const auto& t = res.scale;
  double prev[groups] = {0, 0, 0};
  power_at(b, res.vectors, 0, prev);
  for (size_t p = 1; p < t.size(); ++p) {
    double now[groups] = {0, 0, 0};
    power_at(b, res.vectors, p, now);
    for (int g = 0; g < groups; ++g) r.energy_by[g] += 0.5 * (t[p] - t[p - 1]) * (now[g] + prev[g]);
    std::copy(now, now + groups, prev);
  }
  r.energy = 0;
  for (double e : r.energy_by) r.energy += e;
  r.power = r.energy / (t.back() - t.front());
}

/// Time from the window's start until every output stays within `band` of its final value.
double settling_time(const Bench& b, const solver::AnalysisResult& res, double band) {
  const auto& t = res.scale;
  size_t settled = 0;  // first point from which every output stays in its band
  for (NodeId n : b.ports.outputs) {
    const auto& v = res.vectors.at(vname(b.circuit, n));
    for (size_t p = v.size(); p-- > 0;)
      if (std::fabs(v[p] - v.back()) > band) {
        settled = std::max(settled, p + 1);
        break;
      }
  }
  return t[std::min(settled, t.size() - 1)] - t.front();
}

/// Vectors a full solve must keep.
std::vector<std::string> saved_vectors(const Bench& b) {
  std::vector<std::string> s;
  auto add = [&](std::string n) {
    if (std::find(s.begin(), s.end(), n) == s.end()) s.push_back(std::move(n));
  };
  for (NodeId n : b.ports.outputs) add(vname(b.circuit, n));
  for (ElementId d : b.drivers) {
    const auto& e = b.circuit.elements[d];
    if (e.a != netlist::ground) add(vname(b.circuit, e.a));
    if (e.b != netlist::ground) add(vname(b.circuit, e.b));
    add(iname(b.circuit, d));
  }
  return s;
}

/// Simulates images; each call fills rows[k] (outputs, power, energy, latency) for images k0..k1-1.
class Simulator {
 public:
  Simulator(const Config& cfg, const InputSet& im, Backend backend, bool transient, int threads)
      : cfg_(cfg), im_(im), backend_(backend), transient_(transient), threads_(threads),
        bench_(make_bench(cfg, std::vector<double>(im.x.begin(), im.x.begin() + im.inputs))) {
    auto t0 = std::chrono::steady_clock::now();
    step_ = time_step(cfg);
    if (backend == Backend::native && !transient) {
      // Outputs, then the terminals of the neuron drivers (the sources' voltages are known), then
      // every driver's current.
      std::vector<NodeId> nodes = bench_.ports.outputs;
      for (size_t d = 0; d < bench_.drivers.size(); ++d) {
        if (bench_.group[d] != neurons_group) continue;
        nodes.push_back(bench_.circuit.elements[bench_.drivers[d]].a);
        nodes.push_back(bench_.circuit.elements[bench_.drivers[d]].b);
      }
      reduced_.emplace(bench_.circuit, bench_.ports.input_sources, nodes, bench_.drivers);
      reduced_width_ = static_cast<int>(nodes.size() + bench_.drivers.size());
    }
    save_ = saved_vectors(bench_);
    setup_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

  double setup_seconds() const { return setup_seconds_; }
  /// Images per batch between writes to disk.
  int batch() const { return reduced_ ? std::max(64, 128 * threads_) : 1; }

  void simulate(int k0, int k1, std::vector<Row>& rows) {
    if (reduced_) return reduced(k0, k1, rows);
    for (int k = k0; k < k1; ++k) full(k, rows[k - k0]);
  }

 private:
  const double* image(int k) const { return k < 0 ? im_.before.data() : im_.x.data() + static_cast<size_t>(k) * im_.inputs; }

  void reduced(int k0, int k1, std::vector<Row>& rows) {
    const int count = k1 - k0, m = static_cast<int>(bench_.ports.outputs.size());
    const int nd = static_cast<int>(bench_.drivers.size()), width = reduced_width_;
    std::vector<double> out(static_cast<size_t>(count) * width);
    auto reps = reduced_->solve_many(std::span<const double>(image(k0), static_cast<size_t>(count) * im_.inputs),
                                     out, count, threads_);
    for (int k = 0; k < count; ++k) {
      if (!reps[k].ok) throw std::runtime_error(fmt::format("image {}: native op: {}", im_.first + k0 + k, reps[k].detail));
      const double* o = out.data() + static_cast<size_t>(k) * width;
      const double* x = image(k0 + k);
      const double* terminals = o + m;              // a, b of each neuron driver
      const double* amps = o + width - nd;          // every driver's current
      Row& r = rows[k];
      r.outputs.assign(o, o + m);
      r.power = 0;
      for (int d = 0, input = 0; d < nd; ++d) {
        double v = 0;
        switch (bench_.group[d]) {
          case inputs_group: v = x[input++]; break;
          case supply_group: v = cfg_.spec.vdd; break;
          default: v = terminals[0] - terminals[1]; terminals += 2; break;
        }
        double pw = -v * amps[d];
        r.energy_by[bench_.group[d]] += pw * cfg_.input.window;
        r.power += pw;
      }
      r.energy = r.power * cfg_.input.window;
    }
  }

  void full(int k, Row& r) {
    Circuit c = bench_.circuit;
    const double* x = image(k);
    const double* prev = image(k - 1);
    netlist::Analysis a;
    for (int i = 0; i < im_.inputs; ++i) {
      auto& w = c.elements[bench_.ports.input_sources[i]].wave;
      w = devices::Waveform{};
      if (transient_) {
        w.kind = devices::WaveKind::pwl;
        w.args = {0, prev[i], cfg_.input.edge, x[i]};
      } else {
        w.dc = x[i];
        w.dc_given = true;
      }
    }
    if (transient_) {
      a.kind = netlist::AnalysisKind::tran;
      a.tstep = step_;
      a.tmax = step_;
      a.tstop = cfg_.input.window;
    }
    c.analyses = {a};
    solver::AnalysisResult res;
    const int index = im_.first + k;
    if (backend_ == Backend::native) {
      solver::SolverOptions o;
      o.save = save_;
      auto results = solver::simulate_native(c, o);
      if (results.empty() || !results[0].report.ok())
        throw std::runtime_error(fmt::format("image {}: native {}: {}", index, transient_ ? "tran" : "op",
                                             results.empty() ? "no result" : results[0].report.detail));
      res = std::move(results[0]);
    } else {
      auto run = solver::ngspice_session().run(c);
      if (!run.ok) throw std::runtime_error(fmt::format("image {}: ngspice: {}", index, run.error));
      res = std::move(run.analyses.at(0));
    }
    for (const auto& name : save_)
      if (!res.vectors.count(name)) throw std::runtime_error(fmt::format("image {}: no vector {} in the results", index, name));
    const size_t points = res.vectors.at(save_.front()).size();
    if (points == 0) throw std::runtime_error(fmt::format("image {}: empty results", index));
    r.outputs.clear();
    for (NodeId n : bench_.ports.outputs) r.outputs.push_back(res.vectors.at(vname(c, n)).back());
    if (!transient_) {
      r.power = power_at(bench_, res.vectors, 0, r.energy_by);
      for (double& e : r.energy_by) e *= cfg_.input.window;
      r.energy = r.power * cfg_.input.window;
      return;
    }
    integrate_window(bench_, res, r);
    r.latency = settling_time(bench_, res, cfg_.run.tolerance * cfg_.spec.vdd);
  }

  const Config& cfg_;
  const InputSet& im_;
  Backend backend_;
  bool transient_;
  int threads_;
  Bench bench_;
  double step_ = 0;
  std::optional<solver::PortReducedNetwork> reduced_;
  int reduced_width_ = 0;  // values per image from the reduced network
  std::vector<std::string> save_;
  double setup_seconds_ = 0;
};

// ---- images.csv ----

std::string csv_header(int classes) {
  std::string h = "index,label,prediction,reference";
  for (int j = 0; j < classes; ++j) h += fmt::format(",out_{}", j);
  h += ",power_w,energy_j";
  for (const char* g : group_names) h += fmt::format(",energy_{}_j", g);
  return h + ",latency_s\n";
}

std::string csv_row(const Row& r) {
  std::string s = fmt::format("{},{},{},{}", r.index, r.label, r.prediction, r.reference);
  for (double v : r.outputs) s += fmt::format(",{}", v);
  s += fmt::format(",{},{}", r.power, r.energy);
  for (double e : r.energy_by) s += fmt::format(",{}", e);
  s += std::isnan(r.latency) ? std::string(",") : fmt::format(",{}", r.latency);
  return s + "\n";
}

/// Parses the complete rows of images.csv; a partly written last line is cut off the file.
std::vector<Row> read_rows(const fs::path& path, int classes, int first, bool repair) {
  std::string text = read_file(path);
  const std::string header = csv_header(classes);
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
    const size_t want = 4 + classes + 2 + groups + 1;
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
    for (int g = 0; g < groups; ++g) r.energy_by[g] = num(6 + classes + g);
    r.latency = num(6 + classes + groups);
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
  std::vector<double> power, energy, latency, by[groups];
  for (const Row& r : rows) {
    power.push_back(r.power);
    energy.push_back(r.energy);
    latency.push_back(r.latency);
    for (int g = 0; g < groups; ++g) by[g].push_back(r.energy_by[g]);
  }
  j["power_w"] = stats(power);
  j["energy_j"] = stats(energy);
  j["energy_basis"] = manifest["analysis"] == "op" ? "static power x input.window" : "supply power integrated over the window";
  for (int g = 0; g < groups; ++g) j["energy_by_driver_j"][group_names[g]] = stats(by[g])["mean"];
  j["latency_s"] = stats(latency);
  j["wall_seconds"] = wall;
  j["setup_seconds"] = setup;
  j["simulated_now"] = simulated;
  return j;
}

}  // namespace

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
    int classes = 0;
    while (header.find(fmt::format(",out_{},", classes)) != std::string::npos) ++classes;
    if (classes == 0) fail("{}:1: not an images.csv header", csv.string());
    const nlohmann::json* first = m.is_object() && m.contains("first") ? &m["first"] : nullptr;
    if (!first || !first->is_number_integer() || first->get<int64_t>() < 0 ||
        first->get<int64_t>() > std::numeric_limits<int>::max())
      fail("{}: first: not a run description (no valid first image)", man.string());
    return read_rows(csv, classes, first->get<int>(), false);
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
  uint64_t h = 1469598103934665603ull;
  auto add = [&](const std::string& bytes) {
    for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  };
  add(read_file(cfg.file));
  for (const auto& f : weights) add(read_file(f));
  if (!cfg.input.dataset.empty()) add(read_file(cfg.input.dataset));
  if (!cfg.input.labels.empty()) add(read_file(cfg.input.labels));
  return fmt::format("{:016x}", h);
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
  InputSet im = load_input_set(cfg, first, opt.images);
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
  if (transient) {
    check_points(cfg.input.window / time_step(cfg), cfg.file.string() + ": run.step",
                 "time points per image window (input.window / run.step)");
    manifest["edge"] = cfg.input.edge;
    manifest["step"] = time_step(cfg);
    manifest["tolerance"] = cfg.run.tolerance;
  }
  RunDirectory dir(opt.out, manifest, opt.resume);
  std::vector<Row> rows;
  if (fs::exists(dir.csv())) rows = read_rows(dir.csv(), classes, first, true);
  if (static_cast<int>(rows.size()) > total)
    fail("{}: {} rows for a run of {} images", dir.csv().string(), rows.size(), total);

  // The software reference: the crossbar's closed form (no transistor-level neurons).
  std::vector<int> reference(total, -1);
  bool have_reference = cfg.spec.neuron.kind != netlist::NeuronKind::transistor;
  if (have_reference) {
    Config c = cfg;
    c.train.model = LayerModel::crossbar;
    c.train.levels = -1;
    ModelSpec spec = model_spec(c);
    spec.features.clear();  // the inputs are the CNN's features already (load_input_set)
    Network net = from_weights(cfg.weights, spec);
    MatrixF x(total, im.inputs);
    for (int k = 0; k < total; ++k)
      for (int i = 0; i < im.inputs; ++i) x(k, i) = static_cast<float>(im.x[static_cast<size_t>(k) * im.inputs + i]);
    reference = classify(net, x);
  }

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
  }
  if (sim || done >= total) {
    std::vector<Row> batch;
    done = dir.run_batches(done, total, sim ? sim->batch() : 1, csv_header(classes), opt, t0, outcome.simulated, [&](int from, int n) {
      batch.assign(n, Row{});
      sim->simulate(from, from + n, batch);
      std::string text;
      for (int k = 0; k < n; ++k) {
        Row& r = batch[k];
        r.index = first + from + k;
        r.label = im.labels[from + k];
        r.prediction = argmax(r.outputs);
        r.reference = reference[from + k];
        text += csv_row(r);
        rows.push_back(std::move(r));
      }
      return text;
    });
  }
  outcome.done = done;
  if (done < total) return outcome;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  outcome.summary = summarize(cfg, opt, manifest, rows, classes, wall, setup, outcome.simulated, have_reference);
  outcome.complete = true;
  dir.complete(outcome.summary);
  return outcome;
}

}  // namespace spx::mlp
