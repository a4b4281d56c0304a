// The quantized SC-MLP study (table.hpp).
#include "sc/table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>

#include "devices/error.hpp"
#include "devices/files.hpp"
#include "devices/interrupt.hpp"
#include "devices/synapse.hpp"
#include "mlp/weights.hpp"
#include "sc/cost.hpp"
#include "sc/model.hpp"
#include "sc/plot.hpp"

namespace spx::sc {

namespace fs = std::filesystem;

namespace {

std::string shape_name(const std::vector<int>& s) { return fmt::format("{}", fmt::join(s, "-")); }

/// The configuration for one shape, state count, length and training mode.
mlp::Config variant(const mlp::Config& base, const std::vector<int>& shape, int states, int length, bool with_sc) {
  mlp::Config c = base;
  c.sizes = shape;
  c.gains.assign(shape.size() - 1, base.gains.empty() ? 1.0 : base.gains.front());
  c.sc.states = states;
  // Weights and activations share the state count (5-level weights with 5 activation states, ...).
  if (devices::supported_levels(states)) {
    c.spec.synapse.levels = states;
    c.train.levels = -1;
  }
  c.sc.length = length;
  c.sc.train_sc = with_sc;
  return c;
}

/// Accuracy of a network on the SC engine for device seeds first_seed .. first_seed + seeds - 1, into
/// r.accuracy; the first seed's run gives r's energy and latency.
void evaluate(const mlp::Config& c, const mlp::Network& net, const mlp::Samples& test, uint64_t first_seed, int seeds,
              int threads, TableRow& r) {
  const ScModel model = build_model(net, c.spec.synapse.r_low, c.spec.synapse.r_high);
  const ScCostParams cost = cost_of(c.sc);
  ScSettings st = settings_of(c.sc);
  for (int s = 0; s < seeds; ++s) {
    st.seed = first_seed + static_cast<uint64_t>(s);
    // Samples rows are row-major floats in [0, 1]: the engine reads them in place.
    auto res = run_sc(model, st, test.x.data(), static_cast<int>(test.y.size()), 0, threads);
    int ok = 0;
    for (size_t k = 0; k < res.size(); ++k) ok += res[k].predicted == test.y[k];
    r.accuracy.push_back(static_cast<double>(ok) / static_cast<double>(res.size()));
    if (s > 0) continue;
    double e = 0, eb = 0;
    for (const auto& image : res) {
      e += sc_energy(model, st, cost, image).total();
      eb += baseline_energy(model, st, cost, image).total();
    }
    r.energy = e / static_cast<double>(res.size());
    r.baseline_energy = eb / static_cast<double>(res.size());
    r.latency = sc_latency(model, st);
    r.baseline_latency = baseline_latency(model, st, cost);
  }
}

void finish_stats(TableRow& r) {
  const double n = static_cast<double>(r.accuracy.size());
  double s = 0;
  for (double a : r.accuracy) s += a;
  r.mean = s / n;
  double v = 0;
  for (double a : r.accuracy) v += (a - r.mean) * (a - r.mean);
  r.std = n > 1 ? std::sqrt(v / (n - 1)) : 0.0;
  // Student t quantile (two-sided 95 %) for n - 1 degrees of freedom.
  static const double t975[] = {0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228};
  const size_t dof = r.accuracy.size() - 1;
  const double t = dof == 0 ? 0.0 : dof <= 10 ? t975[dof] : 1.96;
  r.ci95 = n > 1 ? t * r.std / std::sqrt(n) : 0.0;
}

std::string csv(const std::vector<TableRow>& rows) {
  std::string s =
      "shape,hidden_layers,states,length,training,seeds,accuracy_mean,accuracy_std,accuracy_ci95,energy_j,latency_s,"
      "baseline_energy_j,baseline_latency_s,energy_ratio,latency_ratio\n";
  for (const auto& r : rows)
    s += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", r.shape, r.hidden, r.states, r.length,
                     r.with_sc ? "sc" : "plain", r.accuracy.size(), r.mean, r.std, r.ci95, r.energy, r.latency,
                     r.baseline_energy, r.baseline_latency, r.baseline_energy / r.energy, r.baseline_latency / r.latency);
  return s;
}

std::string markdown(const std::vector<TableRow>& rows, int seeds) {
  std::string s = fmt::format(
      "| hidden layers | states | L | accuracy with SC (%) | accuracy without SC (%) | energy (nJ) | latency (us) | "
      "baseline energy / SC | baseline latency / SC |\n|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& a : rows) {
    if (!a.with_sc) continue;
    const TableRow* b = nullptr;
    for (const auto& r : rows)
      if (!r.with_sc && r.shape == a.shape && r.states == a.states && r.length == a.length) b = &r;
    if (!b) continue;
    s += fmt::format("| {} ({}) | {} | {} | {:.2f} +- {:.2f} | {:.2f} +- {:.2f} | {:.1f} | {:.2f} | {:.2f}x | {:.2f}x |\n",
                     a.hidden, a.shape, a.states, a.length, 100 * a.mean, 100 * a.std, 100 * b->mean, 100 * b->std,
                     a.energy * 1e9, a.latency * 1e6, a.baseline_energy / a.energy, a.baseline_latency / a.latency);
  }
  s += fmt::format("\nmean +- std over {} device seeds on the test images\n", seeds);
  return s;
}

std::string plot_script(const std::vector<std::vector<int>>& shapes, const std::vector<int>& states,
                        const std::vector<TableRow>& rows) {
  std::string data, body;
  body += fmt::format("set multiplot layout 1,{}\n", shapes.size());
  const char* colors[] = {"#1b9e77", "#d95f02", "#7570b3", "#e7298a"};
  int block = 0;
  for (const auto& shape : shapes) {
    body += fmt::format("set title '{} ({} hidden)'\n", shape_name(shape), shape.size() - 2);
    std::string plots;
    int c = 0;
    for (int st : states) {
      for (bool sc : {true, false}) {
        // One data block per curve: L, accuracy (%), std (%).
        data += fmt::format("$curve{} << EOD\n", block);
        for (const auto& r : rows)
          if (r.shape == shape_name(shape) && r.states == st && r.with_sc == sc)
            data += fmt::format("{} {} {}\n", r.length, 100 * r.mean, 100 * r.std);
        data += "EOD\n";
        plots += fmt::format("{}$curve{} using 1:2:3 with yerrorlines lc rgb '{}' dt {} pt 7 ps 0.6 title '{} states, {}'",
                             plots.empty() ? "plot " : ", \\\n     ", block, colors[c % 4], sc ? 1 : 2, st,
                             sc ? "with SC" : "without SC");
        ++block;
      }
      ++c;
    }
    body += plots + "\n";
  }
  body += "unset multiplot\n";
  // One length: an explicit x range (gnuplot cannot autoscale a single x value).
  std::string x_range;
  if (!rows.empty() && std::all_of(rows.begin(), rows.end(), [&](const TableRow& r) { return r.length == rows.front().length; }))
    x_range = fmt::format("set xrange [{}:{}]\n", rows.front().length * 0.5, rows.front().length * 1.5);
  const std::string head =
      "# Accuracy of the quantized SC-MLPs against the bitstream length (spinxbar sc-table): mean and std over\n"
      "# device seeds, from table.csv. Restyle and rerun: gnuplot accuracy.gp\n" +
      data +
      "set key bottom right\nset grid\nset offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05\n"
      "set xlabel 'bitstream length L (clocks)'\nset ylabel 'test accuracy (%)'\n" + x_range;
  return head + fmt::format("set terminal pngcairo size {},480 font ',10'\nset output 'accuracy.png'\n", 560 * shapes.size()) +
         body + fmt::format("set terminal svg size {},480 font ',10'\nset output 'accuracy.svg'\n", 560 * shapes.size()) +
         body;
}

}  // namespace

std::vector<TableRow> run_table(const mlp::Config& cfg, const TableOptions& o) {
  if (!cfg.sc.enabled) fail("{}: sc-table needs a stochastic-computing configuration ([sc] section)", cfg.file.string());
  if (o.shapes.empty()) fail("sc-table: --shapes: no network shapes");
  for (const auto& s : o.shapes) {
    if (s.size() < 3) fail("sc-table: --shapes: '{}' has no hidden layer", shape_name(s));
    if (s.front() != cfg.sizes.front() || s.back() != cfg.sizes.back())
      fail("sc-table: --shapes: '{}' must start with {} inputs and end with {} outputs (network.sizes)", shape_name(s),
           cfg.sizes.front(), cfg.sizes.back());
  }
  if (o.seeds < 1) fail("sc-table: --seeds: must be >= 1, got {}", o.seeds);
  for (int L : o.lengths)
    if (L < 1 || L > 1000000) fail("sc-table: --lengths: must be in [1, 1000000], got {}", L);
  for (int k : o.states)
    if (!devices::supported_states(k)) fail("sc-table: --states: must be 0, 2, 3, 5 or 11, got {}", k);
  const fs::path csv_path = o.out / "table.csv";
  OutputDir out(o.out, "--out");
  std::error_code ec;
  if (fs::exists(csv_path, ec)) fail("{}: holds an earlier table; choose another --out", o.out.string());
  auto say = [&](const std::string& s) {
    if (o.log) o.log(s);
  };
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  const mlp::Samples train_set = mlp::load_samples(cfg, mlp::Split::train, o.limit);
  const mlp::Samples test_set = mlp::load_samples(cfg, mlp::Split::test, o.limit);
  std::vector<TableRow> rows;
  for (const auto& shape : o.shapes) {
    for (int states : o.states) {
      const std::string tag = fmt::format("{}_k{}", shape_name(shape), states);
      mlp::Config plain_cfg = variant(cfg, shape, states, o.lengths.front(), false);
      mlp::Config base_sc_cfg = variant(cfg, shape, states, o.lengths.front(), true);
      mlp::TrainOptions opt = cfg.train.options;
      opt.epochs = o.epochs;
      mlp::TrainOptions tune = opt;
      tune.epochs = o.tune_epochs;
      tune.learning_rate = opt.learning_rate * std::pow(opt.lr_decay, o.epochs);
      // Without SC: trained deterministically, then continued for the tuning epochs.
      mlp::Network plain = mlp::init_network(mlp::model_spec(plain_cfg), opt.seed);
      mlp::train(plain, train_set, opt);
      if (o.tune_epochs > 0) mlp::train(plain, train_set, tune);
      mlp::export_network(plain, o.out / "models" / (tag + "_plain"));
      out.keep();
      // With SC: trained with the sampling noise of the shortest stream, then tuned at each L.
      mlp::Network sc_base = mlp::init_network(mlp::model_spec(base_sc_cfg), opt.seed);
      mlp::train(sc_base, train_set, opt);
      say(fmt::format("[{:6.0f} s] {}: trained with and without SC ({} + {} epochs)", elapsed(), tag, o.epochs, o.tune_epochs));
      for (int L : o.lengths) {
        mlp::Config sc_cfg = variant(cfg, shape, states, L, true);
        mlp::Network tuned = sc_base;
        tuned.spec = mlp::model_spec(sc_cfg);
        if (o.tune_epochs > 0) mlp::train(tuned, train_set, tune);
        mlp::export_network(tuned, o.out / "models" / fmt::format("{}_L{}_sc", tag, L));
        for (bool with_sc : {true, false}) {
          TableRow r;
          r.shape = shape_name(shape);
          r.hidden = static_cast<int>(shape.size()) - 2;
          r.states = states;
          r.length = L;
          r.with_sc = with_sc;
          const mlp::Config c = variant(cfg, shape, states, L, with_sc);
          evaluate(c, with_sc ? tuned : plain, test_set, cfg.sc.seed, o.seeds, o.threads, r);
          finish_stats(r);
          rows.push_back(r);
        }
        const TableRow& a = rows[rows.size() - 2];
        const TableRow& b = rows.back();
        say(fmt::format("[{:6.0f} s] {} L {}: with SC {:.2f} +- {:.2f} %, without {:.2f} +- {:.2f} %", elapsed(), tag, L,
                        100 * a.mean, 100 * a.std, 100 * b.mean, 100 * b.std));
      }
    }
  }
  mlp::write_file_atomic(o.out / "table.md", markdown(rows, o.seeds));
  mlp::write_file_atomic(o.out / "accuracy.gp", plot_script(o.shapes, o.states, rows));
  mlp::write_file_atomic(csv_path, csv(rows));
  out.keep();
  if (!run_gnuplot(o.out, "accuracy.gp")) say("gnuplot failed or is missing: table.csv is complete; draw with accuracy.gp");
  return rows;
}

}  // namespace spx::sc
