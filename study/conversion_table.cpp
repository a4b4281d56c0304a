// The partial-sum conversion comparison (conversion_table.hpp).
#include "study/conversion_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "devices/error.hpp"
#include "devices/files.hpp"
#include "mlp/run.hpp"
#include "mlp/system.hpp"
#include "mlp/train.hpp"
#include "mlp/weights.hpp"
#include "sc/plot.hpp"

namespace spx::study {
namespace fs = std::filesystem;

std::vector<ConversionSetting> conversion_settings(int layers) {
  std::vector<ConversionSetting> rows;
  auto all = [&](devices::ConversionSpec c) { return std::vector<devices::ConversionSpec>(static_cast<size_t>(layers), c); };
  rows.push_back({"analog", all({})});
  for (int bits = 1; bits <= 8; ++bits) {
    devices::ConversionSpec c;
    c.mode = devices::ConversionMode::adc;
    c.bits = bits;
    rows.push_back({fmt::format("adc-{}", bits), all(c)});
  }
  for (int s : {1, 2, 4, 8, 16}) {
    devices::ConversionSpec c;
    c.mode = devices::ConversionMode::stochastic;
    c.samples = s;
    rows.push_back({fmt::format("stochastic-{}", s), all(c)});
  }
  devices::ConversionSpec c;
  c.mode = devices::ConversionMode::stochastic;
  c.samples = 4;
  ConversionSetting inh{"inhomogeneous", all(c)};
  inh.layers.back().samples = 16;
  rows.push_back(inh);
  return rows;
}

namespace {

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? NAN : s / static_cast<double>(v.size());
}
double stddev(const std::vector<double>& v) {
  if (v.size() < 2 || std::all_of(v.begin(), v.end(), [&](double x) { return x == v.front(); })) return 0;
  const double m = mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

/// Accuracy of a run with exact ties among the largest outputs broken at random: an image whose label
/// is among k tied classes counts 1/k (the run itself counts a tie as an error). From images.csv.
double tie_split_accuracy(const fs::path& csv, int classes) {
  std::istringstream in(mlp::read_file(csv));
  std::string line;
  std::getline(in, line);  // header
  double credit = 0;
  int rows = 0;
  while (std::getline(in, line)) {
    std::vector<double> f;
    std::istringstream cells(line);
    for (std::string c; std::getline(cells, c, ',');) f.push_back(c.empty() ? NAN : std::strtod(c.c_str(), nullptr));
    if (f.size() < static_cast<size_t>(4 + classes)) fail("{}: a row with {} fields", csv.string(), f.size());
    const int label = static_cast<int>(f[1]);
    const double best = *std::max_element(f.begin() + 4, f.begin() + 4 + classes);
    int tied = 0;
    bool has_label = false;
    for (int j = 0; j < classes; ++j)
      if (f[4 + j] == best) {
        ++tied;
        has_label = has_label || j == label;
      }
    credit += has_label ? 1.0 / tied : 0.0;
    ++rows;
  }
  return rows ? credit / rows : NAN;
}

/// A row's configuration: the config with the setting's conversion (offset, noise, INL and given
/// ranges kept from the config's own [conversion]).
mlp::Config with_setting(const mlp::Config& base, const ConversionSetting& s) {
  mlp::Config c = base;
  c.spec.conversion = s.layers;
  for (size_t l = 0; l < s.layers.size(); ++l) {
    auto& cv = c.spec.conversion[l];
    const auto given = netlist::conversion_of(base.spec, static_cast<int>(l) + 1);
    cv.range = base.conversion_range_given && given.converts() ? given.range : 0.0;
    if (cv.mode == devices::ConversionMode::adc) {
      cv.offset = given.offset;
      cv.noise = given.noise;
      cv.inl = given.inl;
    }
  }
  c.conversion_range_given = false;
  return c;
}

}  // namespace

nlohmann::json conversion_table(const mlp::Config& config, const ConversionTableOptions& opt) {
  const std::string name = config.file.string();
  if (config.train.model != mlp::LayerModel::crossbar)
    fail("{}: train.model: the conversion table trains the crossbar model (partitions), got \"software\"", name);
  if (config.sc.enabled) fail("{}: the conversion table takes a crossbar network (no [sc])", name);
  if (opt.epochs < 0) fail("--epochs: must be >= 0, got {}", opt.epochs);
  if (opt.seeds.empty()) fail("--seeds: needs at least one seed");
  std::error_code ec;
  if (fs::exists(opt.out, ec) && !fs::is_empty(opt.out, ec))
    fail("--out: {} exists and is not empty; choose another directory or remove it", opt.out.string());
  const int layers = static_cast<int>(config.sizes.size()) - 1;
  auto settings = conversion_settings(layers);
  if (!opt.only.empty()) {
    for (const auto& o : opt.only)
      if (std::none_of(settings.begin(), settings.end(), [&](const auto& s) { return s.name == o; }))
        fail("--rows: no row '{}' (rows: analog, adc-1 .. adc-8, stochastic-1/2/4/8/16, inhomogeneous)", o);
    std::erase_if(settings, [&](const auto& s) { return std::find(opt.only.begin(), opt.only.end(), s.name) == opt.only.end(); });
  }
  auto log = [&](const std::string& s) {
    if (opt.log) opt.log(s);
  };
  const mlp::Samples train_set = mlp::load_samples(config, mlp::Split::train, opt.train_limit);

  nlohmann::json rows = nlohmann::json::array();
  for (const auto& setting : settings) {
    const fs::path dir = opt.out / setting.name;
    mlp::Config c = with_setting(config, setting);
    // 1. Fine-tune through the conversion.
    mlp::ModelSpec spec = mlp::model_spec(c);
    mlp::Network net = mlp::from_weights(config.weights, spec, config.cnn.model);
    mlp::TrainOptions to = c.train.options;
    to.epochs = opt.epochs;
    if (opt.epochs > 0) {
      auto logs = mlp::train(net, train_set, to);
      log(fmt::format("{:<14} trained {} epochs: validation {:.2f} %", setting.name, logs.size(), 100 * logs.back().validation_accuracy));
    } else {
      mlp::calibrate_ranges(net, train_set.x.topRows(std::min<Eigen::Index>(2048, train_set.x.rows())));
    }
    mlp::export_network(net, dir / "weights");
    // 2. Circuit-level inference per seed.
    std::vector<double> acc, split, ties, energy, latency;
    nlohmann::json summary;
    mlp::Config rc = c;
    rc.weights_dir = dir / "weights";
    rc.weights_format = "csv";
    if (rc.cnn.enabled) rc.cnn.model = rc.weights_dir / "model.json";
    for (size_t l = 0; l < rc.spec.conversion.size(); ++l) rc.spec.conversion[l].range = 0;
    // Without stochastic converters or ADC noise the seed changes nothing: one run stands for all.
    const bool random = std::any_of(rc.spec.conversion.begin(), rc.spec.conversion.end(), [](const auto& cv) {
      return cv.mode == devices::ConversionMode::stochastic || (cv.mode == devices::ConversionMode::adc && cv.noise > 0);
    });
    for (uint64_t seed : opt.seeds) {
      if (!random && !acc.empty()) {
        acc.push_back(acc.back());
        split.push_back(split.back());
        ties.push_back(ties.back());
        energy.push_back(energy.back());
        latency.push_back(latency.back());
        continue;
      }
      rc.spec.conversion_seed = seed;
      mlp::load_network(rc);
      mlp::RunOptions ro;
      ro.out = dir / fmt::format("seed{}", seed);
      ro.images = opt.images;
      ro.threads = opt.threads;
      ro.transient = false;
      auto outcome = mlp::run_network(rc, ro);
      summary = outcome.summary;
      acc.push_back(summary["accuracy"].get<double>());
      split.push_back(tie_split_accuracy(ro.out / "images.csv", config.sizes.back()));
      ties.push_back(summary["ties"].get<double>());
      energy.push_back(summary["energy_j"]["mean"].get<double>());
      latency.push_back(summary["latency_s"]["mean"].get<double>());
      log(fmt::format("{:<14} seed {}: accuracy {:.2f} %, {:.4g} nJ, {:.4g} ns per inference", setting.name, seed, 100 * acc.back(),
                      1e9 * energy.back(), 1e9 * latency.back()));
    }
    // 3. Per conversion: the converter model over the network's conversions.
    double conversions = 0, conv_energy = 0, conv_latency = 0, conv_area = 0, converters = 0;
    for (const auto& cc : mlp::conversion_cost(rc)) {
      conversions += cc.conversions;
      conv_energy += cc.energy();
      conv_latency += cc.latency;
      conv_area += cc.area();
      converters += cc.converters;
    }
    nlohmann::json row;
    row["row"] = setting.name;
    row["setting"] = nlohmann::json::array();
    for (const auto& cv : rc.spec.conversion) {
      std::string s = devices::to_string(cv.mode);
      if (cv.mode == devices::ConversionMode::adc) s += fmt::format(" {} b", cv.bits);
      if (cv.mode == devices::ConversionMode::stochastic) s += fmt::format(" S={}", cv.samples);
      if (cv.converts()) s += fmt::format(" +-{:.4g} V", cv.range);
      row["setting"].push_back(s);
    }
    row["accuracy_mean"] = mean(acc);
    row["accuracy_std"] = stddev(acc);
    row["ties"] = mean(ties);
    row["accuracy_tie_split"] = mean(split);
    row["reference_accuracy"] = summary["reference"].is_null() ? nlohmann::json(nullptr) : summary["reference"]["accuracy"];
    row["seeds"] = opt.seeds.size();
    row["seed_runs"] = random ? opt.seeds.size() : size_t{1};
    row["images"] = summary["images"];
    row["energy_j"] = mean(energy);
    row["latency_s"] = mean(latency);
    row["area_m2"] = summary["area_m2"]["network"]["total"];
    row["conversions"] = conversions;
    row["conversion_energy_j"] = conv_energy;
    row["conversion_latency_s"] = conv_latency;
    row["conversion_area_m2"] = conv_area;
    row["energy_per_conversion_j"] = conversions > 0 ? conv_energy / conversions : 0.0;
    row["latency_per_conversion_s"] = conv_latency / layers;
    row["converters"] = converters;
    row["area_per_converter_m2"] = converters > 0 ? conv_area / converters : 0.0;
    row["run"] = (dir / fmt::format("seed{}", opt.seeds.front())).string();
    rows.push_back(std::move(row));
  }

  // Ratios against the 8-bit ADC (baseline / row: above 1, the row is better).
  const auto base = std::find_if(rows.begin(), rows.end(), [](const auto& r) { return r["row"] == "adc-8"; });
  for (auto& r : rows) {
    auto ratio = [&](const char* key) -> nlohmann::json {
      if (base == rows.end()) return nullptr;
      const double b = (*base)[key].get<double>(), v = r[key].get<double>();
      return v > 0 ? nlohmann::json(b / v) : nlohmann::json(nullptr);
    };
    r["energy_ratio"] = ratio("energy_j");
    r["latency_ratio"] = ratio("latency_s");
    r["area_ratio"] = ratio("area_m2");
    r["edp_ratio"] = base == rows.end() ? nlohmann::json(nullptr)
                                        : nlohmann::json((*base)["energy_j"].get<double>() * (*base)["latency_s"].get<double>() /
                                                         (r["energy_j"].get<double>() * r["latency_s"].get<double>()));
    r["conversion_energy_ratio"] = ratio("energy_per_conversion_j");
    r["conversion_latency_ratio"] = ratio("latency_per_conversion_s");
    r["conversion_area_ratio"] = ratio("area_per_converter_m2");
    const bool conv = base != rows.end() && r["energy_per_conversion_j"].get<double>() > 0;
    r["conversion_edp_ratio"] = conv ? nlohmann::json((*base)["energy_per_conversion_j"].get<double>() *
                                                      (*base)["latency_per_conversion_s"].get<double>() /
                                                      (r["energy_per_conversion_j"].get<double>() * r["latency_per_conversion_s"].get<double>()))
                                     : nlohmann::json(nullptr);
  }

  // CSV, JSON and the figure.
  const char* cols[] = {"row", "accuracy_mean", "accuracy_std", "ties", "accuracy_tie_split", "energy_j", "latency_s", "area_m2", "conversions",
                        "converters", "conversion_energy_j", "conversion_latency_s", "conversion_area_m2",
                        "energy_per_conversion_j", "latency_per_conversion_s", "area_per_converter_m2", "energy_ratio",
                        "latency_ratio", "area_ratio", "edp_ratio", "conversion_energy_ratio", "conversion_latency_ratio",
                        "conversion_area_ratio", "conversion_edp_ratio"};
  std::string csv;
  for (const char* k : cols) csv += fmt::format("{}{}", csv.empty() ? "" : ",", k);
  csv += ",setting\n";
  std::string dat = "# row edp_js accuracy_mean accuracy_std family(0 analog, 1 adc, 2 stochastic, 3 inhomogeneous) energy_j latency_s\n";
  for (const auto& r : rows) {
    std::string line;
    for (const char* k : cols) {
      const auto& v = r[k];
      line += line.empty() ? "" : ",";
      line += v.is_string() ? v.get<std::string>() : v.is_null() ? std::string() : fmt::format("{:.6g}", v.get<double>());
    }
    std::string setting;
    for (const auto& s : r["setting"]) setting += (setting.empty() ? "" : "; ") + s.get<std::string>();
    csv += line + ",\"" + setting + "\"\n";
    const std::string n = r["row"].get<std::string>();
    const int family = n == "analog" ? 0 : n.rfind("adc", 0) == 0 ? 1 : n.rfind("stochastic", 0) == 0 ? 2 : 3;
    dat += fmt::format("{} {:.6e} {:.4f} {:.4f} {} {:.6e} {:.6e}\n", n,
                       r["energy_j"].get<double>() * r["latency_s"].get<double>(), 100 * r["accuracy_mean"].get<double>(),
                       100 * r["accuracy_std"].get<double>(), family, r["energy_j"].get<double>(), r["latency_s"].get<double>());
  }
  nlohmann::json out = {{"config", name}, {"epochs", opt.epochs}, {"seeds", opt.seeds}, {"rows", rows},
                        {"baseline", "adc-8"},
                        {"ratios", "baseline / row: above 1, the row is better than the 8-bit ADC"}};
  std::string gp;
  for (const char* ext : {"png", "svg"})
    gp += fmt::format("set terminal {} size 820,520\nset output 'conversion.{}'\n"
                      "set title 'partial-sum conversion: accuracy against energy-delay product per inference'\n"
                      "set logscale x\nset format x '%.0e'\nset xlabel 'energy x latency per inference (J s)'\n"
                      "set ylabel 'test accuracy (%, ties as errors)'\nset grid\nunset key\n"
                      "set palette defined (0 '#222222', 1 '#3b6ea8', 2 '#d0772a', 3 '#3a9a4a')\nset cbrange [0:3]\nunset colorbox\n"
                      "plot 'conversion.dat' using 2:3:4:5 with yerrorbars pt 7 lc palette, "
                      "'' using 2:3:1 with labels left offset 0.6,0 font ',8'\n",
                      std::string(ext) == "png" ? "pngcairo" : "svg", ext);
  mlp::write_files_atomic({{opt.out / "conversion.csv", csv},
                           {opt.out / "conversion.json", out.dump(1) + "\n"},
                           {opt.out / "conversion.dat", dat},
                           {opt.out / "conversion.gp", gp}});
  out["figure"] = sc::run_gnuplot(opt.out, "conversion.gp");
  return out;
}

}  // namespace spx::study
