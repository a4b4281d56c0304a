// SC inference over a dataset (run.hpp).
#include "sc/run.hpp"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cmath>

#include "devices/error.hpp"
#include "devices/files.hpp"
#include "devices/interrupt.hpp"
#include "mlp/weights.hpp"
#include "sc/cost.hpp"
#include "sc/model.hpp"

namespace spx::sc {

namespace fs = std::filesystem;

namespace {

struct Row {
  int index = 0, label = -1, prediction = -1;
  std::vector<double> outputs;
  std::vector<double> energy;  // per part
  double total = 0, baseline = 0, latency = 0;
};

std::string header(int classes) {
  std::string h = "index,label,prediction";
  for (int j = 0; j < classes; ++j) h += fmt::format(",out_{}", j);
  h += ",energy_j";
  for (const auto& p : energy_parts()) h += fmt::format(",energy_{}_j", p);
  return h + ",baseline_energy_j,latency_s\n";
}

std::string line(const Row& r) {
  std::string s = fmt::format("{},{},{}", r.index, r.label, r.prediction);
  for (double v : r.outputs) s += fmt::format(",{}", v);
  s += fmt::format(",{}", r.total);
  for (double v : r.energy) s += fmt::format(",{}", v);
  return s + fmt::format(",{},{}\n", r.baseline, r.latency);
}

/// The complete rows of images.csv; a partly written last line is cut off.
std::vector<Row> read_rows(const fs::path& path, int classes, int first) {
  std::string text = mlp::read_file(path);
  const std::string h = header(classes);
  if (text.compare(0, h.size(), h) != 0) fail("{}:1: not the header of this run's images.csv; use another --out", path.string());
  const size_t end = text.rfind('\n') + 1;
  if (end < text.size()) fs::resize_file(path, end);
  std::vector<Row> rows;
  const size_t parts = energy_parts().size(), want = 3 + static_cast<size_t>(classes) + 1 + parts + 2;
  size_t pos = h.size();
  int ln = 1;
  while (pos < end) {
    const size_t nl = text.find('\n', pos);
    std::vector<double> f;
    ++ln;
    for (size_t a = pos; a <= nl;) {
      size_t b = std::min(text.find(',', a), nl);
      double v = 0;
      auto [p, ec] = std::from_chars(text.data() + a, text.data() + b, v);
      if (ec != std::errc() || p != text.data() + b) fail("{}:{}: '{}' is not a number", path.string(), ln, clip(text.substr(a, b - a)));
      f.push_back(v);
      a = b + 1;
    }
    pos = nl + 1;
    if (f.size() != want) fail("{}:{}: {} fields, expected {}", path.string(), ln, f.size(), want);
    Row r;
    auto integer = [&](double v, double lo, double hi) {
      if (!(v >= lo && v <= hi && v == std::floor(v))) fail("{}:{}: '{}' is not an index or class", path.string(), ln, v);
      return static_cast<int>(v);
    };
    r.index = integer(f[0], 0, 2e9);
    if (r.index != first + static_cast<int>(rows.size()))
      fail("{}:{}: image {} where {} was expected", path.string(), ln, r.index, first + rows.size());
    r.label = integer(f[1], -1, classes - 1);
    r.prediction = integer(f[2], -1, classes - 1);
    r.outputs.assign(f.begin() + 3, f.begin() + 3 + classes);
    r.total = f[3 + static_cast<size_t>(classes)];
    r.energy.assign(f.begin() + 4 + classes, f.begin() + 4 + classes + static_cast<ptrdiff_t>(parts));
    r.baseline = f[want - 2];
    r.latency = f[want - 1];
    rows.push_back(std::move(r));
  }
  return rows;
}

/// The files a run reads its network from: model.json when the weights directory holds one (what
/// load_sc_network reads), else the W<k>/B<k> files.
std::vector<fs::path> network_files(const mlp::Config& cfg) {
  const fs::path json = cfg.weights_dir / "model.json";
  std::error_code ec;
  if (fs::exists(json, ec)) return {json};
  return mlp::weight_files(cfg);
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

nlohmann::json summarize(const mlp::Config& cfg, const mlp::RunOptions& opt, const nlohmann::json& manifest,
                         const std::vector<Row>& rows, int classes, const ScModel& model, const ScSettings& st,
                         const ScCostParams& cost, double wall, int simulated) {
  nlohmann::json j;
  j["complete"] = true;
  j["config"] = {{"file", cfg.file.string()}, {"text", mlp::read_file(cfg.file)}, {"set", cfg.overrides}};
  j["run"] = manifest;
  j["versions"] = {{"spinxbar", opt.version}, {"compiler", __VERSION__}};
  int labelled = 0, correct = 0, ties = 0;
  std::vector<std::vector<int>> confusion(static_cast<size_t>(classes), std::vector<int>(static_cast<size_t>(classes) + 1, 0));
  std::vector<double> energy, baseline;
  std::vector<std::vector<double>> by(energy_parts().size());
  for (const Row& r : rows) {
    if (r.prediction < 0) ++ties;
    energy.push_back(r.total);
    baseline.push_back(r.baseline);
    for (size_t p = 0; p < by.size(); ++p) by[p].push_back(r.energy[p]);
    if (r.label < 0) continue;
    ++labelled;
    if (r.prediction == r.label) ++correct;
    ++confusion[static_cast<size_t>(r.label)][static_cast<size_t>(r.prediction < 0 ? classes : r.prediction)];
  }
  j["images"] = rows.size();
  j["labelled"] = labelled;
  j["correct"] = correct;
  j["ties"] = ties;
  j["accuracy"] = labelled ? nlohmann::json(correct / static_cast<double>(labelled)) : nlohmann::json();
  j["confusion"] = {{"rows", "label"}, {"columns", "prediction 0..classes-1, then ties"}, {"counts", confusion}};
  const double e = mean(energy), eb = mean(baseline);
  const double lat = sc_latency(model, st), lat_b = baseline_latency(model, st, cost);
  j["energy_j"] = {{"mean", e}};
  for (size_t p = 0; p < by.size(); ++p) j["energy_by_part_j"][energy_parts()[p]] = mean(by[p]);
  j["latency_s"] = lat;
  j["energy_basis"] = "clock-by-clock activity x device and peripheral energies (sc/cost.hpp)";
  j["baseline"] = {{"model", fmt::format("the same network with {}-bit analog hidden activations (p-bit averaged over {} clocks)",
                                         cost.analog_bits, (1 << cost.analog_bits) - 1)},
                   {"energy_j", eb},
                   {"latency_s", lat_b},
                   {"energy_ratio", e > 0 ? eb / e : 0.0},
                   {"latency_ratio", lat > 0 ? lat_b / lat : 0.0}};
  const auto& pb = st.pbit;
  const double i_half = pb.current_for(0.5);
  j["sc"] = {{"length", st.length},
             {"states", st.states},
             {"stream", st.stream == StreamKind::telegraph ? "telegraph" : "bernoulli"},
             {"readout", st.readout == ScReadout::integrate ? "integrate" : "count"},
             {"seed", st.seed},
             {"preset", cfg.sc.preset},
             {"levels", cfg.spec.synapse.levels}};
  std::vector<double> betas;
  for (const auto& l : model.layers) betas.push_back(l.beta);
  j["sc"]["neuron_gain"] = betas;
  j["pbit"] = {{"clock_s", pb.clock},
               {"current_p50_a", i_half},
               {"current_per_logit_a", pb.current_per_logit()},
               {"tau_corr_p50_s", pb.tau_corr(i_half)},
               {"rho_p50", pb.rho(i_half)},
               {"energy_per_bit_p50_j", pb.energy_per_bit(i_half)}};
  j["wall_seconds"] = wall;
  j["simulated_now"] = simulated;
  return j;
}

}  // namespace

mlp::RunOutcome run_sc_network(const mlp::Config& cfg, const mlp::RunOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  const int classes = cfg.sizes.back();
  const int threads = opt.threads > 0 ? opt.threads : cfg.run.threads;
  const int first = opt.first >= 0 ? opt.first : cfg.input.first;
  if (!cfg.input.idx_dataset.empty() && (cfg.input.preprocess.low != 0 || cfg.input.preprocess.high != 1))
    fail("{}: input.low: stochastic computing reads inputs as probabilities: needs low = 0 and high = 1, got {} and {}",
         cfg.file.string(), cfg.input.preprocess.low, cfg.input.preprocess.high);
  const mlp::Network net = load_sc_network(cfg);
  const ScModel model = build_model(net, cfg.spec.synapse.r_low, cfg.spec.synapse.r_high);
  const ScSettings st = settings_of(cfg.sc);  // checked by run_sc
  const ScCostParams cost = cost_of(cfg.sc);
  mlp::InputSet im = mlp::load_input_set(cfg, first, opt.images);
  for (size_t k = 0; k < im.x.size(); ++k)
    if (!(im.x[k] >= 0 && im.x[k] <= 1))
      fail("{}: image {}, input {}: {} is not a probability in [0, 1]", im.source, first + static_cast<int>(k) / im.inputs,
           static_cast<int>(k) % im.inputs, im.x[k]);
  const int total = im.count();
  nlohmann::json manifest = {{"config", fs::absolute(cfg.file).lexically_normal().string()},
                             {"fingerprint", mlp::run_fingerprint(cfg, network_files(cfg))},
                             {"set", cfg.overrides},
                             {"backend", "sc"},
                             {"dataset", im.source},
                             {"first", first},
                             {"images", total}};
  mlp::RunDirectory dir(opt.out, manifest, opt.resume);
  std::vector<Row> rows;
  if (fs::exists(dir.csv())) rows = read_rows(dir.csv(), classes, first);
  if (static_cast<int>(rows.size()) > total) fail("{}: {} rows for a run of {} images", dir.csv().string(), rows.size(), total);
  mlp::RunOutcome outcome;
  outcome.total = total;
  const double latency = sc_latency(model, st);
  const std::vector<float> xf(im.x.begin(), im.x.end());
  const int done = dir.run_batches(static_cast<int>(rows.size()), total, 1000, header(classes), opt, t0, outcome.simulated,
                                   [&](int from, int n) {
    auto res = run_sc(model, st, xf.data() + static_cast<size_t>(from) * im.inputs, n, first + from, threads);
    std::string text;
    for (int k = 0; k < n; ++k) {
      const ScImage& sr = res[static_cast<size_t>(k)];
      Row r;
      r.index = first + from + k;
      r.label = im.labels[static_cast<size_t>(from + k)];
      r.prediction = sr.predicted;
      r.outputs = sr.outputs;
      const ScEnergy e = sc_energy(model, st, cost, sr);
      r.energy = parts(e);
      r.total = e.total();
      r.baseline = baseline_energy(model, st, cost, sr).total();
      r.latency = latency;
      text += line(r);
      rows.push_back(std::move(r));
    }
    return text;
  });
  outcome.done = done;
  if (done < total) return outcome;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  outcome.summary = summarize(cfg, opt, manifest, rows, classes, model, st, cost, wall, outcome.simulated);
  outcome.complete = true;
  dir.complete(outcome.summary);
  return outcome;
}

}  // namespace spx::sc
