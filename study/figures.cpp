// Figures of studies and runs through gnuplot (figures.hpp).
#include "study/figures.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "devices/error.hpp"
#include "mlp/run.hpp"
#include "mlp/weights.hpp"
#include "sc/plot.hpp"

namespace spx::study {
namespace fs = std::filesystem;

namespace {

/// A string inside a gnuplot single-quoted string.
std::string quoted(const std::string& s) {
  std::string q;
  for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
  return "'" + q + "'";
}

/// A label as one whitespace-free-safe field of a data file (double-quoted).
std::string data_label(const std::string& s) {
  std::string q = "\"";
  for (char c : s) q += c == '"' ? '\'' : c;
  return q + "\"";
}

/// Writes STEM.dat and STEM.gp (the settings and plot command drawn on the PNG and SVG terminals)
/// into `dir` and runs gnuplot on it.
class Drawer {
 public:
  explicit Drawer(fs::path dir) : dir_(std::move(dir)) {}
  void figure(const std::string& stem, const std::string& data, const std::string& body, int width = 800, int height = 480) {
    mlp::write_file_atomic(dir_ / (stem + ".dat"), data);
    std::string gp = fmt::format("# {0}.png and {0}.svg from {0}.dat; restyle here, then run: gnuplot {0}.gp\n", stem);
    gp += fmt::format("set terminal pngcairo size {},{} noenhanced font ',10'\nset output '{}.png'\n", width, height, stem);
    gp += body;
    gp += fmt::format("set terminal svg size {},{} noenhanced font 'sans,10'\nset output '{}.svg'\nreplot\n", width, height, stem);
    mlp::write_file_atomic(dir_ / (stem + ".gp"), gp);
    for (const char* ext : {".dat", ".gp", ".png", ".svg"}) out_.files.push_back(stem + ext);
    scripts_.push_back(stem + ".gp");
  }
  Figures draw() {
    out_.drawn = true;
    for (const auto& s : scripts_) out_.drawn = sc::run_gnuplot(dir_, s.c_str()) && out_.drawn;
    return out_;
  }

 private:
  fs::path dir_;
  std::vector<std::string> scripts_;
  Figures out_;
};

nlohmann::json read_json(const fs::path& file, const char* what) {
  std::error_code ec;
  if (!fs::exists(file, ec)) fail("{}: missing ({})", file.string(), what);
  try {
    return nlohmann::json::parse(mlp::read_file(file));
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not JSON ({})", file.string(), e.what());
  }
}

std::string slug(const std::string& s) {
  std::string o;
  for (char c : s) o += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return o;
}

double stat(const nlohmann::json& point, const std::string& q, const char* which) {
  if (!point.contains("stats") || !point["stats"].contains(q)) return std::nan("");
  return point["stats"][q][which].get<double>();
}

/// The figures of one study (study.json).
class StudyFigures {
 public:
  StudyFigures(const fs::path& dir, nlohmann::json study)
      : st(std::move(study)), axes(st["axes"]), results(st["results"]), name(st.value("study", std::string("study"))), d(dir) {}

  Figures draw() {
    const bool accuracy = std::any_of(results.begin(), results.end(), [](const auto& p) {
      return p.contains("stats") && p["stats"].contains("accuracy");
    });
    if (accuracy) {
      accuracy_figures();
      pareto();
    }
    energy_parts();
    return d.draw();
  }

 private:
  /// "axis value, axis value" of a point, leaving out axis `skip` (-1: none).
  std::string point_label(const nlohmann::json& p, int skip) const {
    std::string l;
    for (size_t k = 0; k < axes.size(); ++k)
      if (static_cast<int>(k) != skip)
        l += fmt::format("{}{} {}", l.empty() ? "" : ", ", axes[k]["name"].get<std::string>(),
                         axes[k]["labels"][p["at"][k].get<int>()].get<std::string>());
    return l;
  }

  void accuracy_figures() {
    for (size_t a = 0; a < axes.size(); ++a) {
      const auto& ax = axes[a];
      const bool numeric = !ax["numeric"].empty();
      std::map<std::vector<int>, std::vector<const nlohmann::json*>> series;
      for (const auto& p : results) {
        std::vector<int> others;
        if (st.value("combine", "cross") == "cross")
          for (size_t k = 0; k < axes.size(); ++k)
            if (k != a) others.push_back(p["at"][k].get<int>());
        series[others].push_back(&p);
      }
      std::string data, plot;
      int block = 0;
      for (auto& [key, pts] : series) {
        std::sort(pts.begin(), pts.end(), [&](auto* x, auto* y) { return (*x)["at"][a] < (*y)["at"][a]; });
        const std::string title = series.size() == 1 ? "circuit" : point_label(*pts.front(), static_cast<int>(a));
        data += fmt::format("# {}\n# x label accuracy_% ci95_low ci95_high reference_%\n", title);
        for (const auto* p : pts) {
          const int i = (*p)["at"][a].get<int>();
          const double m = stat(*p, "accuracy", "mean");
          if (std::isnan(m)) continue;
          data += fmt::format("{} {} {} {} {} {}\n", numeric ? ax["numeric"][i].get<double>() : static_cast<double>(i),
                              data_label(ax["labels"][i].get<std::string>()), 100 * m, 100 * stat(*p, "accuracy", "low"),
                              100 * stat(*p, "accuracy", "high"), 100 * stat(*p, "reference_accuracy", "mean"));
        }
        data += "\n\n";
        plot += fmt::format("{}'{}.dat' index {} using 1:3:4:5{} with yerrorlines lw 2 pt 7 title {}", block ? ", \\\n     " : "",
                            "accuracy_" + slug(ax["name"].get<std::string>()), block, numeric ? "" : ":xtic(2)", quoted(title));
        ++block;
      }
      const std::string stem = "accuracy_" + slug(ax["name"].get<std::string>());
      if (series.size() == 1)
        plot += fmt::format(", \\\n     '{}.dat' index 0 using 1:6 with lines dt 2 lw 2 lc rgb '#555555' title 'software reference (no parasitics, nominal devices)'", stem);
      std::string body = fmt::format("set title {}\nset xlabel {}\nset ylabel 'accuracy (%)'\nset grid\n{}",
                                     quoted(fmt::format("{}: accuracy against {}", name, ax["name"].get<std::string>())),
                                     quoted(ax["key"].get<std::string>()),
                                     series.size() == 1 ? "set key bottom left\n" : "set key outside right\n");
      if (numeric && ax.value("log", false)) body += "set logscale x\n";
      if (!numeric) body += fmt::format("set xrange [-0.5:{}]\n", ax["labels"].size() - 0.5);
      else body += "set offsets graph 0.03, graph 0.03, 0, 0\n";
      body += "plot " + plot + "\n";
      d.figure(stem, data, body, 880, 480);
    }
  }

  /// Accuracy against energy per inference, and the Pareto front.
  void pareto() {
    {
      struct P {
        double e, acc;
        std::string label;
      };
      std::vector<P> ps;
      for (const auto& p : results) {
        const double e = stat(p, "energy_j", "mean"), acc = stat(p, "accuracy", "mean");
        if (!std::isnan(e) && !std::isnan(acc)) ps.push_back({e, acc, point_label(p, -1)});
      }
      if (!ps.empty()) {
        std::sort(ps.begin(), ps.end(), [](const P& x, const P& y) { return x.e != y.e ? x.e < y.e : x.acc > y.acc; });
        std::string data = "# energy_nJ accuracy_% label\n";
        for (const auto& p : ps) data += fmt::format("{} {} {}\n", 1e9 * p.e, 100 * p.acc, data_label(p.label));
        data += "\n\n# Pareto front\n";
        double best = -1;
        for (const auto& p : ps)
          if (p.acc > best) {
            best = p.acc;
            data += fmt::format("{} {} {}\n", 1e9 * p.e, 100 * p.acc, data_label(p.label));
          }
        const bool spread = ps.back().e > 10 * ps.front().e;
        std::string body = fmt::format("set title {}\nset xlabel 'energy per inference (nJ)'\nset ylabel 'accuracy (%)'\nset grid\n"
                                       "set key bottom right\nset offsets graph 0.05, graph 0.3, graph 0.05, graph 0.05\n{}",
                                       quoted(name + ": accuracy against energy"), spread ? "set logscale x\n" : "");
        body += "plot 'pareto.dat' index 0 using 1:2 with points pt 7 ps 1.2 lc rgb '#3b6ea8' title 'points', \\\n"
                "     'pareto.dat' index 1 using 1:2 with linespoints lw 2 pt 6 ps 2 lc rgb '#a83b3b' title 'Pareto front'";
        body += ", \\\n     'pareto.dat' index 1 using 1:2:3 with labels left offset 1,-0.6 font ',8' notitle";
        body += "\n";
        d.figure("pareto", data, body, 880, 560);
      }
    }
  }

  /// Energy per inference by part, stacked per point.
  void energy_parts() {
    std::vector<std::string> parts;
    for (const auto& q : st["quantities"]) {
      const std::string s = q.get<std::string>();
      if (s.rfind("energy_", 0) == 0 && s != "energy_j") parts.push_back(s);
    }
    if (!parts.empty()) {
      std::string data = "point";
      for (const auto& p : parts) data += " " + p.substr(7, p.size() - 9);
      data += "\n";
      int rows = 0;
      for (const auto& p : results) {
        if (!p.contains("stats")) continue;
        std::string label = point_label(p, -1);
        data += data_label(label.empty() ? fmt::format("point {}", p["point"].get<int>()) : label);
        for (const auto& q : parts) {
          const double v = stat(p, q, "mean");
          data += fmt::format(" {}", std::isnan(v) ? 0.0 : 1e9 * v);
        }
        data += "\n";
        ++rows;
      }
      if (rows > 0) {
        std::string body = fmt::format(
            "set title {}\nset ylabel 'energy per inference (nJ)'\nset style data histograms\nset style histogram rowstacked\n"
            "set style fill solid 0.85 border -1\nset boxwidth 0.7\nset grid ytics\nset key outside right\n"
            "set xtics rotate by -40 left\nset bmargin 9\n"
            "plot for [i=2:{}] 'energy_parts.dat' using i:xtic(1) title columnheader(i)\n",
            quoted(name + ": energy per inference by part (mean over seeds)"), parts.size() + 1);
        d.figure("energy_parts", data, body, std::max(720, 60 * rows + 300), 520);
      }
    }
  }

  const nlohmann::json st;
  const nlohmann::json& axes;
  const nlohmann::json& results;
  const std::string name;
  Drawer d;
};

}  // namespace

Figures draw_study(const fs::path& dir) {
  nlohmann::json st = read_json(dir / "study.json", "not a study directory: spinxbar sweep writes it");
  if (!st.value("complete", false) || !st.contains("results"))
    fail("{}: the study is not complete (rerun spinxbar sweep to finish it)", (dir / "study.json").string());
  return StudyFigures(dir, std::move(st)).draw();
}

namespace {

/// Energy per inference by part.
void run_energy(Drawer& d, const nlohmann::json& s) {
  if (s.contains("energy_by_part_j")) {
    std::string data = "# part energy_J (mean per inference)\n";
    for (const auto& [k, v] : s["energy_by_part_j"].items()) data += fmt::format("{} {:.6e}\n", data_label(k), v.get<double>());
    double e = s["energy_j"].is_object() ? s["energy_j"]["mean"].get<double>() : s["energy_j"].get<double>();
    const auto& l = s["latency_s"];
    const double lat = l.is_object() ? l["mean"].get<double>() : l.get<double>();
    d.figure("energy", data,
             fmt::format("set title {}\nset style data histograms\nset style fill solid 0.8 border -1\nset logscale y\n"
                         "set ylabel 'J'\nset grid ytics\nset boxwidth 0.6\nunset key\n"
                         "plot 'energy.dat' using 2:xtic(1) lc rgb '#3b6ea8'\n",
                         quoted(fmt::format("energy per inference by part ({:.4g} nJ in all; latency {:.4g} ns)", 1e9 * e, 1e9 * lat))),
             720, 420);
  }
}

/// CPU only against CPU-IMAC (CNN configs).
void run_cpu_imac(Drawer& d, const nlohmann::json& s) {
  if (s.contains("cpu_imac")) {
    std::string rows = "# network cpu_only_J cpu_imac_J\n";
    for (const auto& r : s["cpu_imac"]["rows"])
      rows += fmt::format("{} {:.6e} {:.6e}\n", data_label(r["network"].get<std::string>().substr(0, 40)),
                          r["cpu_only"]["energy_j"].get<double>(), r["cpu_imac"]["energy_j"].get<double>());
    d.figure("cpu_imac", rows,
             "set title 'energy per inference: CPU only vs CPU-IMAC'\nset style data histograms\nset style histogram clustered gap 1\n"
             "set style fill solid 0.8 border -1\nset logscale y\nset ylabel 'J'\nset grid ytics\nset format y '%.0e'\nset key top left\n"
             "set xtics rotate by -20 left\nset bmargin 6\n"
             "plot 'cpu_imac.dat' using 2:xtic(1) title 'CPU only' lc rgb '#a83b3b', '' using 3 title 'CPU-IMAC' lc rgb '#3b6ea8'\n",
             820, 460);
  }
}

/// Histogram of the output voltages from images.csv: the winning output of each image apart.
void run_outputs(Drawer& d, const fs::path& dir) {
  const mlp::ImagesTable t = mlp::read_images_table(dir / "images.csv");
  std::vector<int> outs;
  const int pred = t.column("prediction");
  for (size_t k = 0; k < t.names.size(); ++k)
    if (t.names[k].rfind("out_", 0) == 0) outs.push_back(static_cast<int>(k));
  if (!outs.empty() && pred >= 0) {
    std::vector<double> win, other;
    for (size_t r = 0; r < t.rows; ++r) {
      const int p = static_cast<int>(t.columns[static_cast<size_t>(pred)][r]);
      for (size_t k = 0; k < outs.size(); ++k) (static_cast<int>(k) == p ? win : other).push_back(t.columns[static_cast<size_t>(outs[k])][r]);
    }
    double lo = INFINITY, hi = -INFINITY;
    for (const auto* v : {&win, &other})
      for (double x : *v) lo = std::min(lo, x), hi = std::max(hi, x);
    if (std::isfinite(lo)) {
      if (hi <= lo) hi = lo + 1e-3;
      const int bins = 60;
      const double w = (hi - lo) / bins;
      std::vector<int> cw(bins), co(bins);
      for (double x : win) ++cw[std::min(bins - 1, static_cast<int>((x - lo) / w))];
      for (double x : other) ++co[std::min(bins - 1, static_cast<int>((x - lo) / w))];
      std::string data = "# bin_centre_V winning_outputs other_outputs\n";
      for (int b = 0; b < bins; ++b) data += fmt::format("{} {} {}\n", lo + (b + 0.5) * w, cw[b], co[b]);
      d.figure("outputs", data,
               fmt::format("set title {}\nset xlabel 'output (V)'\nset ylabel 'outputs'\nset style fill solid 0.6 border -1\n"
                           "set boxwidth {} absolute\nset logscale y\nset yrange [0.8:*]\nset grid\nset key top center\n"
                           "plot 'outputs.dat' using 1:($3 > 0 ? $3 : 1/0) with boxes lc rgb '#999999' title 'other outputs', \\\n"
                           "     '' using 1:($2 > 0 ? $2 : 1/0) with boxes lc rgb '#3b6ea8' title 'winning output of each image'\n",
                           quoted(fmt::format("output voltages over {} images", win.size())), w),
               760, 440);
    }
  }
}

/// The confusion matrix (label against prediction, ties last).
void run_confusion(Drawer& d, const nlohmann::json& s) {
  if (s.contains("confusion") && s["confusion"].contains("counts")) {
    const auto& c = s["confusion"]["counts"];
    const int n = static_cast<int>(c.size());
    if (n > 0) {
      const int cols = static_cast<int>(c[0].size());
      std::string data = "# rows: label 0..; columns: prediction 0.., then ties\n";
      for (const auto& row : c) {
        for (size_t k = 0; k < row.size(); ++k) data += fmt::format("{}{}", k ? " " : "", row[k].get<int64_t>());
        data += "\n";
      }
      std::string tics;
      for (int k = 0; k < cols; ++k) tics += fmt::format("{}'{}' {}", k ? ", " : "", k + 1 == cols && cols == n + 1 ? "tie" : std::to_string(k), k);
      d.figure("confusion", data,
               fmt::format("set title 'confusion: label (rows) against prediction'\nset xlabel 'prediction'\nset ylabel 'label'\n"
                           "set xtics ({})\nset ytics 1\nset yrange [{}:-0.5]\nset xrange [-0.5:{}]\nset logscale cb\n"
                           "set cbrange [1:*]\nset palette defined (0 '#f7fbff', 1 '#6baed6', 2 '#08306b')\nunset key\n"
                           "plot 'confusion.dat' matrix using 1:2:($3 > 0 ? $3 : 1/0) with image, \\\n"
                           "     '' matrix using 1:2:($3 > 0 ? sprintf('%d', $3) : '') with labels font ',8'\n",
                           tics, n - 0.5, cols - 0.5),
               640, 560);
    }
  }
}

}  // namespace

Figures draw_run(const fs::path& dir) {
  const nlohmann::json s = read_json(dir / "summary.json", "not a complete run directory: spinxbar run writes it when done");
  Drawer d(dir);
  run_energy(d, s);
  run_cpu_imac(d, s);
  run_outputs(d, dir);
  run_confusion(d, s);
  return d.draw();
}

}  // namespace spx::study
