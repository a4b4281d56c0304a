// Studies: sweeps and Monte Carlo over config keys (sweep.hpp).
#include "study/sweep.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>

#include "devices/error.hpp"
#include "devices/files.hpp"
#include "devices/hash.hpp"
#include "devices/interrupt.hpp"
#include "mlp/weights.hpp"
#include "sc/run.hpp"
#include "study/figures.hpp"

namespace spx::study {
namespace fs = std::filesystem;

namespace {

int line_of(const toml::node& n) { return static_cast<int>(n.source().begin.line); }

/// A TOML value as the text of a --set override, and as a label for tables and figures.
struct ValueText {
  std::string toml, label;
  std::optional<double> number;
};

ValueText value_text(const toml::node& n, const std::string& where) {
  if (auto v = n.value_exact<int64_t>()) return {fmt::format("{}", *v), fmt::format("{}", *v), static_cast<double>(*v)};
  if (auto v = n.value_exact<double>()) {
    if (!std::isfinite(*v)) fail("{}: must be a finite number, got {}", where, *v);
    return {fmt::format("{}", *v), fmt::format("{}", *v), *v};
  }
  if (auto v = n.value_exact<bool>()) return {*v ? "true" : "false", *v ? "true" : "false", std::nullopt};
  if (auto v = n.value_exact<std::string>()) {
    std::string q = "\"";
    for (char c : *v) {
      if (c == '"' || c == '\\') q += '\\';
      if (static_cast<unsigned char>(c) < 0x20) fail("{}: control characters in a string value", where);
      q += c;
    }
    return {q + "\"", *v, std::nullopt};
  }
  if (const toml::array* a = n.as_array()) {
    if (a->empty()) fail("{}: an empty array is not a value", where);
    ValueText t{"[", "", std::nullopt};
    for (size_t k = 0; k < a->size(); ++k) {
      const ValueText e = value_text(*a->get(k), where);
      t.toml += (k ? ", " : "") + e.toml;
      t.label += (k ? "x" : "") + e.label;
    }
    t.toml += "]";
    return t;
  }
  fail("{}: expected a number, string, boolean or array", where);
}

/// Checks that a key names "section.key" (the config decides whether it exists).
void check_key(const std::string& key, const std::string& where) {
  const size_t dot = key.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == key.size() || key.find('.', dot + 1) != std::string::npos ||
      key.find_first_of("= \t") != std::string::npos)
    fail("{}: key: expected section.key (a config key such as interconnect.resistance_scale), got '{}'", where, clip(key));
}

Axis read_axis(const toml::table& t, const std::string& file, int index) {
  Axis a;
  a.line = line_of(t);
  const std::string at = fmt::format("{}:{}: axis {}", file, a.line, index + 1);
  for (const auto& [k, v] : t) {
    const std::string key(k.str());
    if (key != "key" && key != "name" && key != "values" && key != "from" && key != "to" && key != "steps" && key != "scale")
      fail("{}:{}: axis.{}: unknown key (known: key, name, values, from, to, steps, scale)", file, line_of(v), clip(key));
  }
  const toml::node* key = t.get("key");
  if (!key || !key->is_string()) fail("{}: key: missing (the config key this axis varies, e.g. \"partition.tile\")", at);
  a.key = *key->value<std::string>();
  check_key(a.key, fmt::format("{}:{}: axis {}", file, line_of(*key), index + 1));
  if (a.key.rfind("train.", 0) == 0)
    fail("{}:{}: axis {}: a sweep runs the config's weights, so train.* keys change nothing (train each setting with "
         "spinxbar train, then sweep network.weights over the results)", file, line_of(*key), a.key);
  a.name = a.key;
  if (const toml::node* n = t.get("name")) {
    if (!n->is_string() || n->value<std::string>()->empty())
      fail("{}:{}: axis.name: must be a non-empty string", file, line_of(*n));
    a.name = *n->value<std::string>();
    if (a.name.find_first_of(",\"\n\r") != std::string::npos)
      fail("{}:{}: axis.name: must not hold commas, quotes or line breaks", file, line_of(*n));
  }
  const toml::node* values = t.get("values");
  const bool ranged = t.contains("from") || t.contains("to") || t.contains("steps") || t.contains("scale");
  if (values && ranged) fail("{}: give values or a range (from, to, steps, scale), not both", at);
  std::vector<ValueText> texts;
  if (values) {
    const toml::array* arr = values->as_array();
    if (!arr) fail("{}:{}: axis.values: must be an array of values", file, line_of(*values));
    if (arr->empty()) fail("{}:{}: axis.values: empty (an axis needs at least one value)", file, line_of(*values));
    for (const auto& e : *arr) {
      const int ln = line_of(e) > 0 ? line_of(e) : line_of(*values);
      texts.push_back(value_text(e, fmt::format("{}:{}: axis.values", file, ln)));
      a.lines.push_back(ln);
    }
  } else if (ranged) {
    auto num = [&](const char* k) {
      const toml::node* n = t.get(k);
      if (!n) fail("{}: {}: missing (a range needs from, to and steps)", at, k);
      auto v = n->value<double>();
      if (!v || !std::isfinite(*v)) fail("{}:{}: axis.{}: must be a finite number", file, line_of(*n), k);
      return *v;
    };
    const double from = num("from"), to = num("to");
    const toml::node* sn = t.get("steps");
    if (!sn) fail("{}: steps: missing (a range needs from, to and steps)", at);
    auto steps = sn->value_exact<int64_t>();
    if (!steps || *steps < 1 || *steps > 10000) fail("{}:{}: axis.steps: must be an integer in [1, 10000]", file, line_of(*sn));
    std::string scale = "linear";
    if (const toml::node* n = t.get("scale")) {
      auto s = n->value<std::string>();
      if (!s || (*s != "linear" && *s != "log")) fail("{}:{}: axis.scale: must be linear or log", file, line_of(*n));
      scale = *s;
    }
    a.log = scale == "log";
    if (a.log && !(from > 0 && to > 0)) fail("{}: a log range needs from > 0 and to > 0, got {} and {}", at, from, to);
    if (*steps > 1 && from == to) fail("{}: from = to = {} with {} steps: every value is the same", at, from, *steps);
    for (int64_t k = 0; k < *steps; ++k) {
      const double f = *steps == 1 ? 0 : static_cast<double>(k) / static_cast<double>(*steps - 1);
      double v = a.log ? from * std::pow(to / from, f) : from + (to - from) * f;
      if (k + 1 == *steps) v = to;
      texts.push_back({fmt::format("{}", v), fmt::format("{:.6g}", v), v});
      a.lines.push_back(a.line);
    }
  } else {
    fail("{}: no values: give values = [...] or a range (from, to, steps)", at);
  }
  std::set<std::string> seen;
  for (size_t k = 0; k < texts.size(); ++k) {
    if (!seen.insert(texts[k].toml).second)
      fail("{}:{}: axis {}: the value {} is listed twice", file, a.lines[k], a.key, clip(texts[k].toml));
    a.values.push_back(texts[k].toml);
    a.labels.push_back(texts[k].label);
  }
  if (std::all_of(texts.begin(), texts.end(), [](const ValueText& v) { return v.number.has_value(); })) {
    for (const auto& v : texts) a.numeric.push_back(*v.number);
    const auto [lo, hi] = std::minmax_element(a.numeric.begin(), a.numeric.end());
    if (!a.log && *lo > 0 && *hi >= 100 * *lo) a.log = true;
  }
  return a;
}

}  // namespace

Study load_study(const fs::path& file) {
  Study s;
  s.file = file;
  const std::string name = file.string();
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) fail("{}: {}", name, fs::exists(file, ec) ? "not a study file (a directory?)" : "cannot open");
  s.text = read_input_file(file);
  toml::table root;
  try {
    root = toml::parse(s.text, name);
  } catch (const toml::parse_error& e) {
    fail("{}:{}: {}", name, e.source().begin.line, e.description());
  }
  for (const auto& [k, v] : root) {
    const std::string key(k.str());
    if (key != "study" && key != "axis")
      fail("{}:{}: unknown section [{}] (a study has [study] and [[axis]] tables)", name, line_of(v), clip(key));
  }
  const toml::table* st = root["study"].as_table();
  if (!st) fail("{}: [study]: missing (it names the base config: config = \"...\")", name);
  s.name = file.stem().string();
  for (const auto& [k, v] : *st) {
    const std::string key(k.str());
    const std::string at = fmt::format("{}:{}: study.{}", name, line_of(v), key);
    if (key == "config") {
      auto p = v.value<std::string>();
      if (!p || p->empty()) fail("{}: must be a file name", at);
      s.config = file.parent_path() / *p;
      if (const std::string why = unreadable(s.config); !why.empty()) fail("{}: {}: cannot open ({})", at, clip(*p), why);
    } else if (key == "name") {
      auto p = v.value<std::string>();
      if (!p || p->empty() || p->find_first_of("/\\") != std::string::npos || *p == "." || *p == "..")
        fail("{}: must be a non-empty name without slashes", at);
      s.name = *p;
    } else if (key == "set") {
      const toml::array* a = v.as_array();
      if (!a) fail("{}: must be an array of \"section.key=value\" strings", at);
      for (const auto& e : *a) {
        auto o = e.value<std::string>();
        if (!o || o->find('=') == std::string::npos) fail("{}: must be an array of \"section.key=value\" strings", at);
        check_key(o->substr(0, o->find('=')), at);
        s.set.push_back(*o);
      }
      s.set_line = line_of(v);
    } else if (key == "combine") {
      auto c = v.value<std::string>();
      if (!c || (*c != "cross" && *c != "zip")) fail("{}: must be cross or zip", at);
      s.zip = *c == "zip";
    } else if (key == "seeds") {
      s.seeds_line = line_of(v);
      s.seeds.clear();
      if (auto n = v.value_exact<int64_t>()) {
        if (*n < 1 || *n > 100000) fail("{}: must be a count in [1, 100000] or a list of seeds >= 1, got {}", at, *n);
        for (int64_t i = 1; i <= *n; ++i) s.seeds.push_back(static_cast<uint64_t>(i));
      } else if (const toml::array* a = v.as_array()) {
        if (a->empty()) fail("{}: empty (give a count, or a list of seeds >= 1)", at);
        for (const auto& e : *a) {
          auto x = e.value_exact<int64_t>();
          if (!x || *x < 1) fail("{}: every seed must be an integer >= 1", at);
          if (std::find(s.seeds.begin(), s.seeds.end(), static_cast<uint64_t>(*x)) != s.seeds.end())
            fail("{}: seed {} is listed twice", at, *x);
          s.seeds.push_back(static_cast<uint64_t>(*x));
        }
      } else {
        fail("{}: must be a count or a list of seeds", at);
      }
    } else if (key == "seed_keys") {
      const toml::array* a = v.as_array();
      if (!a || a->empty()) fail("{}: must be a non-empty array of config keys", at);
      for (const auto& e : *a) {
        auto o = e.value<std::string>();
        if (!o) fail("{}: must be an array of config keys", at);
        check_key(*o, at);
        s.seed_keys.push_back(*o);
      }
    } else if (key == "images" || key == "first") {
      auto n = v.value_exact<int64_t>();
      const int64_t lo = key == "images" ? 1 : 0;
      if (!n || *n < lo || *n > 100'000'000) fail("{}: must be an integer >= {}", at, lo);
      (key == "images" ? s.images : s.first) = static_cast<int>(*n);
    } else if (key == "backend") {
      auto b = v.value<std::string>();
      if (!b || (*b != "native" && *b != "ngspice")) fail("{}: must be native or ngspice", at);
      s.backend = *b == "native" ? mlp::Backend::native : mlp::Backend::ngspice;
    } else {
      fail("{}: unknown key (known: config, name, set, combine, seeds, seed_keys, images, first, backend)", at);
    }
  }
  if (s.config.empty()) fail("{}:{}: study.config: missing (the base configuration file)", name, line_of(*st));
  if (const toml::node* axes = root.get("axis")) {
    const toml::array* a = axes->as_array();
    if (!a || !a->is_array_of_tables()) fail("{}:{}: axis: write each axis as an [[axis]] table", name, line_of(*axes));
    for (size_t k = 0; k < a->size(); ++k) s.axes.push_back(read_axis(*a->get(k)->as_table(), name, static_cast<int>(k)));
  }
  if (s.axes.empty() && s.seeds.size() < 2)
    fail("{}: no [[axis]] and one seed: a study varies something (add an axis, or seeds = N for Monte Carlo)", name);
  std::set<std::string> keys;
  for (const auto& a : s.axes)
    if (!keys.insert(a.key).second) fail("{}:{}: axis {}: this key has an axis already", name, a.line, a.key);
  std::set<std::string> names;
  for (const auto& a : s.axes)
    if (!names.insert(a.name).second) fail("{}:{}: axis name '{}' is used twice", name, a.line, a.name);
  if (s.zip)
    for (const auto& a : s.axes)
      if (a.values.size() != s.axes.front().values.size())
        fail("{}:{}: axis {}: {} values, but combine = \"zip\" needs as many as the first axis ({})", name, a.line, a.key,
             a.values.size(), s.axes.front().values.size());
  for (const auto& sk : s.seed_keys)
    if (keys.count(sk)) fail("{}: study.seed_keys: {} is also an axis", name, sk);
  return s;
}

std::vector<Point> study_points(const Study& s) {
  std::vector<Point> pts;
  const size_t na = s.axes.size();
  size_t count = 1;
  if (s.zip) count = na ? s.axes.front().values.size() : 1;
  else
    for (const auto& a : s.axes) count *= a.values.size();
  for (size_t p = 0; p < count; ++p) {
    Point pt;
    pt.index = static_cast<int>(p);
    pt.at.assign(na, 0);
    size_t rest = p;
    for (size_t k = na; k-- > 0;) {
      if (s.zip) pt.at[k] = static_cast<int>(p);
      else {
        pt.at[k] = static_cast<int>(rest % s.axes[k].values.size());
        rest /= s.axes[k].values.size();
      }
    }
    pt.overrides = s.set;
    for (size_t k = 0; k < na; ++k) pt.overrides.push_back(s.axes[k].key + "=" + s.axes[k].values[pt.at[k]]);
    pts.push_back(std::move(pt));
  }
  return pts;
}

std::vector<std::string> run_overrides(const Study& s, const Point& p, uint64_t seed) {
  std::vector<std::string> o = p.overrides;
  for (const auto& k : s.seed_keys) o.push_back(fmt::format("{}={}", k, seed));
  return o;
}

double t975(int df) {
  // Student t 0.975 quantiles (standard tables, e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2); beyond 30
  // degrees of freedom the Cornish-Fisher expansion around the normal quantile (Abramowitz and Stegun
  // 26.7.5), within 1e-4 there.
  static const double table[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                 2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                 2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (df < 1) return std::nan("");
  if (df <= 30) return table[df - 1];
  const double z = 1.959963984540054, n = df;
  const double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
  return z + (z3 + z) / (4 * n) + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n) +
         (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * n * n * n);
}

Stats stats_of(const std::vector<double>& v) {
  Stats s;
  s.n = static_cast<int>(v.size());
  if (v.empty()) return s;
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / s.n;
  if (std::all_of(v.begin(), v.end(), [&](double x) { return x == v.front(); })) s.mean = v.front();  // exact, not rounded
  s.low = s.high = s.mean;
  if (s.n < 2) return s;
  double ss = 0;
  for (double x : v) ss += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(ss / (s.n - 1));
  const double half = t975(s.n - 1) * s.std / std::sqrt(static_cast<double>(s.n));
  s.low = s.mean - half;
  s.high = s.mean + half;
  return s;
}

namespace {

/// The quantities of one run, from its summary.json (circuit or stochastic-computing runs).
struct Metrics {
  std::map<std::string, double> values;  ///< accuracy, reference_accuracy, energy_j, latency_s, area_m2, energy_<part>_j
};

std::optional<double> number_at(const nlohmann::json& j) {
  if (j.is_number()) return j.get<double>();
  if (j.is_object() && j.contains("mean") && j["mean"].is_number()) return j["mean"].get<double>();
  return std::nullopt;
}

Metrics metrics_of(const nlohmann::json& s) {
  Metrics m;
  auto put = [&](const std::string& k, const nlohmann::json& j) {
    if (auto v = number_at(j)) m.values[k] = *v;
  };
  if (s.contains("accuracy")) put("accuracy", s["accuracy"]);
  if (s.contains("reference") && s["reference"].is_object() && s["reference"].contains("accuracy"))
    put("reference_accuracy", s["reference"]["accuracy"]);
  if (s.contains("energy_j")) put("energy_j", s["energy_j"]);
  if (s.contains("latency_s")) put("latency_s", s["latency_s"]);
  if (s.contains("area_m2") && s["area_m2"].contains("network")) put("area_m2", s["area_m2"]["network"]["total"]);
  if (s.contains("energy_by_part_j"))
    for (const auto& [k, v] : s["energy_by_part_j"].items()) put("energy_" + k + "_j", v);
  if (s.contains("ties")) put("ties", s["ties"]);
  return m;
}

/// What one (point, seed) run gave.
struct RunResult {
  bool done = false, failed = false;
  std::string reason;
  Metrics metrics;
};

std::string run_name(const Point& p, uint64_t seed) { return fmt::format("p{:03}-s{}", p.index, seed); }

std::string fingerprint(const Study& s) {
  Fnv1a h;
  for (const std::string& part : {s.text, mlp::read_file(s.config)}) {
    h.add(part);
    h.add("\xff");  // a separator: the same bytes split differently differ
  }
  return h.hex();
}

/// A CSV field: quoted when it holds a comma or a quote.
std::string field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c == '\n' ? ' ' : c;
  }
  return q + "\"";
}

std::string num(double v) { return fmt::format("{}", v); }

/// Rethrows a config error of one point as an error at the study file line that caused it.
[[noreturn]] void point_error(const Study& s, const Point& p, uint64_t seed, const std::string& what) {
  const std::string file = s.file.string();
  for (size_t k = 0; k < s.axes.size(); ++k) {
    const std::string o = "--set " + s.axes[k].key + "=" + s.axes[k].values[p.at[k]] + ": ";
    if (what.rfind(o, 0) == 0)
      fail("{}:{}: axis {} = {}: {}", file, s.axes[k].lines[p.at[k]], s.axes[k].key, clip(s.axes[k].values[p.at[k]]),
           what.substr(o.size()));
  }
  for (const auto& o : s.set)
    if (what.rfind("--set " + o + ": ", 0) == 0) fail("{}:{}: study.set {}: {}", file, s.set_line, clip(o), what.substr(o.size() + 8));
  for (const auto& k : s.seed_keys) {
    const std::string o = fmt::format("--set {}={}: ", k, seed);
    if (what.rfind(o, 0) == 0) fail("{}: study.seed_keys: {} = {}: {}", file, k, seed, what.substr(o.size()));
  }
  std::string values;
  for (size_t k = 0; k < s.axes.size(); ++k) values += fmt::format("{}{} = {}", k ? ", " : "", s.axes[k].key, s.axes[k].labels[p.at[k]]);
  fail("{}: point {}{}: {}", file, p.index, values.empty() ? "" : " (" + values + ")", what);
}

/// What a run directory holds: a failure, a complete run, or nothing yet (a summary torn by a kill is
/// removed: the run continues).
void load_result(const fs::path& rd, RunResult& r) {
  std::error_code ec;
  if (fs::exists(rd / "failed.json", ec)) {
    r.done = r.failed = true;
    try {
      r.reason = nlohmann::json::parse(mlp::read_file(rd / "failed.json")).value("reason", "");
    } catch (const std::exception&) {
      r.reason = "failed (failed.json unreadable)";
    }
  } else if (fs::exists(rd / "summary.json", ec)) {
    try {
      r.metrics = metrics_of(nlohmann::json::parse(mlp::read_file(rd / "summary.json")));
      r.done = true;
    } catch (const nlohmann::json::exception&) {
      fs::remove(rd / "summary.json", ec);
    }
  }
}

/// One invocation of a study, step by step.
class Sweep {
 public:
  Sweep(const Study& study, const SweepOptions& opt)
      : s_(study), opt_(opt), points_(study_points(study)), lead_(opt.rank == 0),
        out_(opt.out.empty() ? fs::path("out") / study.name : opt.out), manifest_file_(out_ / "study.json"),
        results_(points_.size(), std::vector<RunResult>(study.seeds.size())) {
    outcome_.out = out_;
    outcome_.runs = static_cast<int>(points_.size() * s_.seeds.size());
  }

  SweepOutcome run() {
    check();
    prepare();
    if (opt_.barrier) opt_.barrier();  // the directory is ready for every process
    run_mine();
    if (opt_.barrier) opt_.barrier();  // every process's runs are on disk
    if (!lead_) return outcome_;       // the lead collects them and writes the tables
    collect();
    if (outcome_.done < outcome_.runs) return outcome_;
    write_tables();
    outcome_.complete = true;
    return outcome_;
  }

 private:
  void say(const std::string& line) const {
    if (opt_.log) opt_.log(line);
  }
  fs::path run_dir(const Point& p, uint64_t seed) const { return out_ / "runs" / run_name(p, seed); }
  /// Whether this process runs seed si of point p: run j goes to rank j mod ranks.
  bool mine(const Point& p, size_t si) const {
    return (p.index * s_.seeds.size() + si) % static_cast<size_t>(std::max(1, opt_.ranks)) == static_cast<size_t>(opt_.rank);
  }

  /// Every run's config is loaded (and its weights read) before anything runs: bad input costs nothing.
  void check() {
    // The base config decides the default seed keys.
    const mlp::Config base = mlp::load_config(s_.config, s_.set);
    if (s_.seed_keys.empty()) {
      s_.seed_keys.push_back("network.seed");
      if (!base.conversion_at.empty()) s_.seed_keys.push_back("conversion.seed");
      if (base.sc.enabled) s_.seed_keys.push_back("sc.seed");
    }
    bool random = false;  // some point draws from its seed
    for (const auto& p : points_)
      for (size_t si = 0; si < s_.seeds.size(); ++si) {
        try {
          mlp::Config c = mlp::load_config(s_.config, run_overrides(s_, p, s_.seeds[si]));
          if (!c.sc.enabled) mlp::load_network(c);
          random = random || c.sc.enabled ||
                   (c.spec.synapse.variation != devices::Variation::none && c.spec.synapse.variation_fraction > 0);
          for (const auto& cv : c.spec.conversion)
            random = random || cv.mode == devices::ConversionMode::stochastic || (cv.converts() && cv.noise > 0);
          // Kept for this process's run, so it is not loaded (and characterized) twice.
          if (mine(p, si) && checked_.size() < kKeptConfigs) checked_.emplace(std::pair{p.index, si}, std::move(c));
        } catch (const InputError& e) {
          point_error(s_, p, s_.seeds[si], e.what());
        }
        if (s_.seeds.size() > 8) break;  // the seed changes no key's type or range: the first few stand for all
      }
    if (s_.seeds.size() > 1 && !random)
      fail("{}:{}: study.seeds: {} seeds, but no point draws from them (synapse.variation is none, and no stochastic or "
           "noisy conversion, no [sc]): every seed would give the same run", s_.file.string(), s_.seeds_line, s_.seeds.size());
  }

  /// The lead makes, checks and locks the directory, and writes study.json; with --force it removes
  /// what an earlier study wrote.
  void prepare() {
    manifest_ = {{"study", s_.name},
                 {"file", fs::absolute(s_.file).lexically_normal().string()},
                 {"config", fs::absolute(s_.config).lexically_normal().string()},
                 {"fingerprint", fingerprint(s_)},
                 {"text", s_.text},
                 {"seeds", s_.seeds},
                 {"seed_keys", s_.seed_keys},
                 {"combine", s_.zip ? "zip" : "cross"},
                 {"complete", false}};
    manifest_["axes"] = nlohmann::json::array();
    for (const auto& a : s_.axes)
      manifest_["axes"].push_back({{"key", a.key}, {"name", a.name}, {"labels", a.labels}, {"values", a.values},
                                   {"numeric", a.numeric}, {"log", a.log}});
    for (const auto& p : points_) manifest_["points"].push_back({{"point", p.index}, {"at", p.at}, {"set", p.overrides}});
    if (!lead_) return;
    std::error_code ec;
    const bool had_study = fs::exists(manifest_file_, ec);
    if (fs::exists(out_, ec) && !fs::is_directory(out_, ec)) fail("{}: --out: exists and is not a directory", out_.string());
    if (!had_study && fs::is_directory(out_, ec) && !fs::is_empty(out_, ec))
      fail("{}: --out: holds other files and no study (study.json); choose another directory", out_.string());
    dir_.emplace(out_, "--out");
    lock_.emplace(out_);
    if (lock_->created()) dir_->made(lock_->file());
    if (had_study) {
      nlohmann::json old;
      try {
        old = nlohmann::json::parse(mlp::read_file(manifest_file_));
      } catch (const nlohmann::json::exception& e) {
        fail("{}: not a study description ({}); use --force to start again", manifest_file_.string(), e.what());
      }
      if (!old.is_object()) fail("{}: not a study description; use --force to start again", manifest_file_.string());
      if (opt_.force) {
        fs::remove_all(out_ / "runs", ec);
        if (old.contains("outputs") && old["outputs"].is_array())
          for (const auto& f : old["outputs"])
            if (f.is_string() && f.get<std::string>().find('/') == std::string::npos) fs::remove(out_ / f.get<std::string>(), ec);
        fs::remove(manifest_file_, ec);
      } else if (old.value("fingerprint", "") != manifest_["fingerprint"]) {
        fail("{}: the study file or its base config changed since this study started; use --force to start again, or "
             "another --out", manifest_file_.string());
      }
    }
    if (!fs::exists(manifest_file_, ec)) {
      dir_->made(manifest_file_);
      mlp::write_file_atomic(manifest_file_, manifest_.dump(1) + "\n");
    }
    fs::create_directories(out_ / "runs", ec);
    dir_->keep();
    // Runs complete before this invocation (the lead counts them for every process).
    if (opt_.ranks > 1)
      for (const auto& p : points_)
        for (uint64_t seed : s_.seeds) {
          RunResult r;
          load_result(run_dir(p, seed), r);
          done_before_ += r.done;
        }
  }

  /// This process's share of the runs (all of them for one process): run j goes to rank j mod ranks.
  void run_mine() {
    for (const auto& p : points_)
      for (size_t si = 0; si < s_.seeds.size(); ++si) {
        if (!mine(p, si)) continue;
        RunResult& r = results_[p.index][si];
        load_result(run_dir(p, s_.seeds[si]), r);
        if (r.done || (opt_.interrupt && opt_.interrupt->load())) continue;
        const auto t0 = std::chrono::steady_clock::now();
        if (!run_one(p, si, r)) continue;  // interrupted: resumable
        ++outcome_.now;
        report(p, si, r, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
  }

  /// Runs one point with one seed into its directory; false when interrupted. A simulation that fails
  /// is recorded (failed.json); bad input is thrown.
  bool run_one(const Point& p, size_t si, RunResult& r) {
    const uint64_t seed = s_.seeds[si];
    const fs::path rd = run_dir(p, seed);
    mlp::RunOptions ro;
    ro.backend = s_.backend;
    ro.first = s_.first;
    ro.images = opt_.images > 0 ? opt_.images : s_.images;
    ro.threads = opt_.threads;
    ro.out = rd;
    ro.resume = true;
    ro.interrupt = opt_.interrupt;
    ro.version = opt_.version;
    try {
      mlp::Config c;
      if (auto it = checked_.find({p.index, si}); it != checked_.end()) {
        c = std::move(it->second);
        checked_.erase(it);
      } else {
        c = mlp::load_config(s_.config, run_overrides(s_, p, seed));
        if (!c.sc.enabled) mlp::load_network(c);
      }
      const mlp::RunOutcome o = c.sc.enabled ? sc::run_sc_network(c, ro) : mlp::run_network(c, ro);
      if (!o.complete) return false;
      r.metrics = metrics_of(o.summary);
      r.done = true;
    } catch (const Interrupted&) {
      return false;
    } catch (const InputError&) {
      throw;
    } catch (const std::exception& e) {
      r.done = r.failed = true;
      r.reason = one_line(e.what());
      std::error_code ec;
      fs::create_directories(rd, ec);
      mlp::write_file_atomic(rd / "failed.json", nlohmann::json{{"reason", r.reason}}.dump(1) + "\n");
    }
    return true;
  }

  void report(const Point& p, size_t si, const RunResult& r, double seconds) const {
    std::string what;
    for (size_t k = 0; k < s_.axes.size(); ++k) what += fmt::format("{}{} = {}", k ? ", " : "", s_.axes[k].name, s_.axes[k].labels[p.at[k]]);
    if (s_.seeds.size() > 1) what += fmt::format("{}seed {}", what.empty() ? "" : ", ", s_.seeds[si]);
    std::string got;
    if (r.failed) got = "failed: " + r.reason;
    else {
      const auto& v = r.metrics.values;
      if (v.count("accuracy")) got += fmt::format("accuracy {:.2f} %", 100 * v.at("accuracy"));
      if (v.count("energy_j")) got += fmt::format(", {:.4g} nJ", 1e9 * v.at("energy_j"));
      if (v.count("latency_s")) got += fmt::format(", {:.4g} ns", 1e9 * v.at("latency_s"));
    }
    say(fmt::format("[{}/{}] {}: {} ({:.1f} s)", p.index * s_.seeds.size() + si + 1, outcome_.runs, what, got, seconds));
  }

  /// The lead reads the other processes' runs from disk and counts.
  void collect() {
    if (opt_.ranks > 1)
      for (const auto& p : points_)
        for (size_t si = 0; si < s_.seeds.size(); ++si)
          if (!results_[p.index][si].done) load_result(run_dir(p, s_.seeds[si]), results_[p.index][si]);
    for (const auto& row : results_)
      for (const auto& r : row) {
        outcome_.done += r.done;
        outcome_.failed += r.failed;
      }
    if (opt_.ranks > 1) outcome_.now = outcome_.done - done_before_;
  }

  /// The quantities some complete run has, in a fixed order (energy parts alphabetically).
  std::vector<std::string> quantities() const {
    std::vector<std::string> q = {"accuracy", "reference_accuracy", "energy_j", "latency_s", "area_m2"};
    std::set<std::string> parts;
    for (const auto& row : results_)
      for (const auto& r : row)
        for (const auto& [k, v] : r.metrics.values)
          if (k.rfind("energy_", 0) == 0 && k != "energy_j") parts.insert(k);
    q.insert(q.end(), parts.begin(), parts.end());
    q.push_back("ties");
    std::erase_if(q, [&](const std::string& name) {
      for (const auto& row : results_)
        for (const auto& r : row)
          if (!r.failed && r.metrics.values.count(name)) return false;
      return true;
    });
    return q;
  }

  /// results.csv, seeds.csv, study.json with the results, and the figures.
  void write_tables() {
    const std::vector<std::string> qs = quantities();
    std::string axes_header;
    for (const auto& a : s_.axes) axes_header += field(a.name) + ",";
    std::string seeds_csv = "point," + axes_header + "seed,status";
    for (const auto& q : qs) seeds_csv += "," + q;
    seeds_csv += ",reason\n";
    std::string results_csv = "point," + axes_header + "seeds,completed,failed";
    for (const auto& q : qs) results_csv += fmt::format(",{0}_mean,{0}_std,{0}_ci95_low,{0}_ci95_high", q);
    results_csv += ",reason\n";
    nlohmann::json jresults = nlohmann::json::array();
    for (const auto& p : points_) {
      std::string axes_fields;
      nlohmann::json values = nlohmann::json::object();
      for (size_t k = 0; k < s_.axes.size(); ++k) {
        axes_fields += field(s_.axes[k].labels[p.at[k]]) + ",";
        values[s_.axes[k].name] = s_.axes[k].labels[p.at[k]];
      }
      std::string reason;
      int completed = 0;
      for (size_t si = 0; si < s_.seeds.size(); ++si) {
        const RunResult& r = results_[p.index][si];
        seeds_csv += fmt::format("{},{}{},{}", p.index, axes_fields, s_.seeds[si], r.failed ? "failed" : "ok");
        for (const auto& q : qs) {
          auto it = r.metrics.values.find(q);
          seeds_csv += "," + (r.failed || it == r.metrics.values.end() ? std::string() : num(it->second));
        }
        seeds_csv += "," + field(r.reason) + "\n";
        if (r.failed && reason.empty()) reason = fmt::format("seed {}: {}", s_.seeds[si], r.reason);
        completed += !r.failed;
      }
      results_csv += fmt::format("{},{}{},{},{}", p.index, axes_fields, s_.seeds.size(), completed, s_.seeds.size() - completed);
      nlohmann::json jp = {{"point", p.index}, {"values", values}, {"at", p.at}, {"completed", completed},
                           {"failed", static_cast<int>(s_.seeds.size()) - completed}, {"reason", reason}};
      for (const auto& q : qs) {
        std::vector<double> v;
        for (const auto& r : results_[p.index])
          if (!r.failed && r.metrics.values.count(q)) v.push_back(r.metrics.values.at(q));
        const Stats st = stats_of(v);
        if (st.n == 0) results_csv += ",,,,";
        else if (st.n == 1) results_csv += fmt::format(",{},,,", num(st.mean));
        else results_csv += fmt::format(",{},{},{},{}", num(st.mean), num(st.std), num(st.low), num(st.high));
        if (st.n > 0) jp["stats"][q] = {{"n", st.n}, {"mean", st.mean}, {"std", st.std}, {"low", st.low}, {"high", st.high}};
      }
      results_csv += "," + field(reason) + "\n";
      jresults.push_back(jp);
    }
    manifest_["warnings"] = inert_axes();
    mlp::write_file_atomic(out_ / "seeds.csv", seeds_csv);
    mlp::write_file_atomic(out_ / "results.csv", results_csv);
    manifest_["results"] = jresults;
    manifest_["quantities"] = qs;
    manifest_["complete"] = true;
    manifest_["outputs"] = {"results.csv", "seeds.csv", "run.lock"};
    mlp::write_file_atomic(manifest_file_, manifest_.dump(1) + "\n");
    const Figures figs = draw_study(out_);
    for (const auto& f : figs.files) manifest_["outputs"].push_back(f);
    mlp::write_file_atomic(manifest_file_, manifest_.dump(1) + "\n");
    outcome_.figures = figs.drawn;
  }

  /// Axes along which no result changed, for any values of the others and any seed (crossed studies).
  nlohmann::json inert_axes() const {
    nlohmann::json warnings = nlohmann::json::array();
    for (size_t a = 0; a < s_.axes.size() && !s_.zip; ++a) {
      if (s_.axes[a].values.size() < 2) continue;
      bool same = true;
      for (const auto& p : points_) {
        if (p.at[a] == 0) continue;
        size_t first = 0;  // the point with this axis at its first value (the last axis varies fastest)
        for (size_t k = 0; k < s_.axes.size(); ++k) first = first * s_.axes[k].values.size() + static_cast<size_t>(k == a ? 0 : p.at[k]);
        for (size_t si = 0; si < s_.seeds.size() && same; ++si) {
          const auto& x = results_[p.index][si];
          const auto& y = results_[first][si];
          same = !x.failed && !y.failed && x.metrics.values == y.metrics.values;
        }
        if (!same) break;
      }
      if (!same) continue;
      const std::string w = fmt::format("axis {} changed no result: every value gave the same accuracy, energy, latency and area",
                                        s_.axes[a].key);
      warnings.push_back(w);
      say("warning: " + w);
    }
    return warnings;
  }

  Study s_;
  const SweepOptions& opt_;
  const std::vector<Point> points_;
  const bool lead_;  // the process that owns the study directory and writes the tables
  const fs::path out_, manifest_file_;
  std::vector<std::vector<RunResult>> results_;  // [point][seed]
  nlohmann::json manifest_;
  std::optional<OutputDir> dir_;
  std::optional<RunLock> lock_;
  int done_before_ = 0;
  SweepOutcome outcome_;
  static constexpr size_t kKeptConfigs = 256;          // configs kept from the checks (memory bound)
  std::map<std::pair<int, size_t>, mlp::Config> checked_;  // [point, seed index], loaded by check()
};

}  // namespace

SweepOutcome run_sweep(const Study& study, const SweepOptions& opt) { return Sweep(study, opt).run(); }

}  // namespace spx::study
