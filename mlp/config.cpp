// TOML configuration loading (config.hpp).
#include "mlp/config.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <toml++/toml.h>

#include "devices/error.hpp"
#include "devices/files.hpp"
#include "devices/limits.hpp"
#include "devices/units.hpp"
#include "mlp/neuron_curve.hpp"
#include "mlp/weights.hpp"

namespace spx::mlp {
namespace fs = std::filesystem;

namespace {

constexpr int64_t max_layer_size = 1'000'000;  ///< inputs or neurons of one layer, tile rows or columns
constexpr int64_t max_image_side = 65'536;     ///< pixels, crop and resize
constexpr int64_t max_threads = 1024;

/// Reads one section's keys with positions for messages.
class Section {
 public:
  /// `set`: where each command-line override's node comes from ("--set section.key=value").
  Section(const toml::table& t, std::string name, std::string file, const std::map<const toml::node*, std::string>& set)
      : t_(t), name_(std::move(name)), file_(std::move(file)), set_(set) {}

  std::string where(const toml::node& n) const {
    if (auto it = set_.find(&n); it != set_.end()) return it->second;
    if (n.source().begin.line == 0) return "--set";  // an element of an overriding array
    return fmt::format("{}:{}", file_, n.source().begin.line);
  }
  [[noreturn]] void bad(const toml::node& n, std::string_view key, const std::string& msg) const {
    fail("{}: {}.{}: {}", where(n), name_, key, msg);
  }

  /// A finite number (TOML float or integer, or a string in SPICE notation such as "8.49k").
  double number(const toml::node& n, std::string_view key) const {
    if (auto v = n.value<double>()) {
      if (!std::isfinite(*v)) bad(n, key, fmt::format("must be a finite number, got {}", *v));
      return *v;
    }
    if (auto s = n.value<std::string>()) {
      if (auto v = devices::parse_spice_number(*s)) return *v;
      bad(n, key, devices::looks_numeric(*s) ? fmt::format("'{}' is out of range", clip(*s))
                                             : fmt::format("'{}' is not a number", clip(*s)));
    }
    bad(n, key, "must be a number");
  }
  int64_t integer(const toml::node& n, std::string_view key) const {
    if (auto v = n.value_exact<int64_t>()) return *v;
    bad(n, key, "must be an integer");
  }
  /// An integer in [lo, hi], checked in 64 bits before it is narrowed to int.
  int count(const toml::node& n, std::string_view key, int64_t lo, int64_t hi = std::numeric_limits<int>::max()) const {
    hi = std::min<int64_t>(hi, std::numeric_limits<int>::max());
    const int64_t v = integer(n, key);
    if (v < lo) bad(n, key, fmt::format("must be >= {}, got {}", lo, v));
    if (v > hi) bad(n, key, fmt::format("must be <= {}, got {}", hi, v));
    return static_cast<int>(v);
  }
  /// A finite number > 0.
  double positive(const toml::node& n, std::string_view key) const {
    const double v = number(n, key);
    if (!(v > 0)) bad(n, key, fmt::format("must be > 0, got {}", v));
    return v;
  }
  bool boolean(const toml::node& n, std::string_view key) const {
    if (auto v = n.value_exact<bool>()) return *v;
    bad(n, key, "must be true or false");
  }
  std::string string(const toml::node& n, std::string_view key) const {
    if (auto v = n.value_exact<std::string>()) return *v;
    bad(n, key, "must be a string");
  }
  std::string choice(const toml::node& n, std::string_view key, std::initializer_list<const char*> options) const {
    std::string s = string(n, key);
    std::string list;
    for (const char* o : options) {
      if (s == o) return s;
      list += (list.empty() ? "" : ", ") + std::string(o);
    }
    bad(n, key, fmt::format("must be one of {}, got '{}'", list, s));
  }
  std::vector<double> numbers(const toml::node& n, std::string_view key) const {
    const toml::array* a = n.as_array();
    if (!a) bad(n, key, "must be an array of numbers");
    std::vector<double> out;
    for (const auto& e : *a) out.push_back(number(e, key));
    return out;
  }
  /// Integers, each in [lo, hi] (checked before narrowing).
  std::vector<int> integers(const toml::node& n, std::string_view key, int64_t lo,
                            int64_t hi = std::numeric_limits<int>::max()) const {
    const toml::array* a = n.as_array();
    if (!a) bad(n, key, "must be an array of integers");
    std::vector<int> out;
    for (const auto& e : *a) out.push_back(count(e, key, lo, hi));
    return out;
  }

  /// Calls the handler of each key; unknown keys are errors.
  void each(const std::map<std::string, std::function<void(const toml::node&, std::string_view)>>& handlers) const {
    for (auto&& [k, v] : t_) {
      auto it = handlers.find(std::string(k.str()));
      if (it == handlers.end()) {
        std::string known;
        for (auto& [name, h] : handlers) known += (known.empty() ? "" : ", ") + name;
        fail("{}: unknown key '{}.{}' (known: {})", where(v), name_, k.str(), known);
      }
      it->second(v, k.str());
    }
  }

  /// Handlers for every row of a parameter table, range-checked as they are read.
  template <typename T>
  void table_keys(std::map<std::string, std::function<void(const toml::node&, std::string_view)>>& h, T& target,
                  const std::vector<devices::ParamSpec<T>>& table) const {
    for (const auto& p : table) {
      h[std::string(p.name)] = [this, &target, p](const toml::node& n, std::string_view key) {
        double v = number(n, key);
        if (std::string e = devices::check(p, v, name_); !e.empty()) fail("{}: {}", where(n), e);
        target.*(p.member) = v;
      };
    }
  }

 private:
  const toml::table& t_;
  std::string name_;
  std::string file_;
  const std::map<const toml::node*, std::string>& set_;
};

/// Completes and checks a stochastic-computing configuration: the p-bit from its preset and keys,
/// and the settings an SC network cannot combine with.
void sc_finish(Config& cfg, const std::string& name, const std::string& preset_at,
               const std::vector<std::pair<double devices::PbitParams::*, double>>& given, bool neuron_model_given,
               bool train_model_given, bool activation_given) {
  auto& c = cfg.sc;
  const std::string preset = c.preset.empty() ? devices::pbit_presets().front().name : c.preset;
  c.pbit = devices::pbit_preset(preset, (preset_at.empty() ? name : preset_at) + ": smtj.preset").params;
  c.preset = preset;
  for (const auto& [member, v] : given) c.pbit.*member = v;
  try {
    devices::validate(c.pbit, "smtj");
  } catch (const InputError& e) {
    fail("{}: {}", name, e.what());
  }
  if (neuron_model_given)
    fail("{}: neuron.model: the neurons of a stochastic-computing network are s-MTJ p-bits ([smtj]); remove neuron.model or [sc]", name);
  if (train_model_given && cfg.train.model == LayerModel::crossbar)
    fail("{}: train.model: a stochastic-computing network trains the software model of its p-bits; remove train.model = \"crossbar\" or [sc]", name);
  if (activation_given && cfg.train.activation != Activation::sigmoid)
    fail("{}: train.activation: p-bit neurons are sigmoids; remove train.activation or [sc]", name);
  if (cfg.run.transient)
    fail("{}: run.analysis: a stochastic-computing network runs clock by clock, not as a transient; remove run.analysis = \"tran\" or [sc]", name);
  cfg.train.model = LayerModel::software;
  cfg.train.activation = Activation::sigmoid;
}

/// One feature layer from its text: "conv OUT K [stride=S] [pad=P]", "pool max|average SIZE
/// [stride=S]" (stride defaults to SIZE) or "relu". Errors are returned as text ("" when fine).
std::string parse_feature(const std::string& text, nn::FeatureLayer& f) {
  std::vector<std::string> tok;
  for (size_t a = 0; a < text.size();) {
    size_t b = text.find_first_of(" \t", a);
    if (b == std::string::npos) b = text.size();
    if (b > a) tok.push_back(text.substr(a, b - a));
    a = b + 1;
  }
  auto integer = [](const std::string& s, int lo, int& out) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > 4096) return false;
    out = static_cast<int>(v);
    return true;
  };
  const std::string usage = "expected \"conv OUT K [stride=S] [pad=P]\", \"pool max|average SIZE [stride=S]\" or \"relu\"";
  if (tok.empty()) return usage;
  // Named options after the positional values.
  auto options = [&](size_t from, std::map<std::string, int*> named) -> std::string {
    for (size_t k = from; k < tok.size(); ++k) {
      const size_t eq = tok[k].find('=');
      auto it = eq == std::string::npos ? named.end() : named.find(tok[k].substr(0, eq));
      if (it == named.end()) return fmt::format("'{}' is not an option of {} ({})", clip(tok[k]), tok[0], usage);
      const int lo = it->first == "pad" ? 0 : 1;
      if (!integer(tok[k].substr(eq + 1), lo, *it->second))
        return fmt::format("{} must be an integer in [{}, 4096], got '{}'", it->first, lo, clip(tok[k].substr(eq + 1)));
    }
    return "";
  };
  if (tok[0] == "relu") {
    f.kind = nn::FeatureLayer::Kind::relu;
    return tok.size() == 1 ? "" : "relu takes no values";
  }
  if (tok[0] == "conv") {
    f.kind = nn::FeatureLayer::Kind::conv;
    if (tok.size() < 3) return usage;
    if (!integer(tok[1], 1, f.conv.out_channels)) return fmt::format("conv channels must be an integer in [1, 4096], got '{}'", clip(tok[1]));
    if (!integer(tok[2], 1, f.conv.kernel)) return fmt::format("conv kernel must be an integer in [1, 4096], got '{}'", clip(tok[2]));
    return options(3, {{"stride", &f.conv.stride}, {"pad", &f.conv.pad}});
  }
  if (tok[0] == "pool") {
    f.kind = nn::FeatureLayer::Kind::pool;
    if (tok.size() < 3 || (tok[1] != "max" && tok[1] != "average")) return usage;
    f.pool.kind = tok[1] == "max" ? nn::PoolKind::max : nn::PoolKind::average;
    if (!integer(tok[2], 1, f.pool.size)) return fmt::format("pool size must be an integer in [1, 4096], got '{}'", clip(tok[2]));
    f.pool.stride = f.pool.size;
    return options(3, {{"stride", &f.pool.stride}});
  }
  return fmt::format("'{}' is not a layer kind ({})", clip(tok[0]), usage);
}

/// The "imac-sim" preset (README "IMAC-Sim's circuits"): the circuit of IMAC-Sim's partitioned
/// generator (mapIMACPartition_Separate_Files.py of its fork chekfung/IMAC-Sim): per-neuron 32-row
/// tiles cut by its partition rule, padded, a zero-weight bias pair in every tile but the last,
/// tiles summed by stacked sources, its difference amplifier (R1 = R2 = 1 kohm, R3 = R4 = gain R1
/// around one E source), 500 fF on every amplifier and neuron output; its neuron's own
/// MTJs (78 kohm, 202 kohm, -0.4 V level shift: its spice/neuron.sp) apply to the `sot` models.
toml::table imac_sim_preset(bool sot_neuron) {
  std::string text = R"([partition]
tile = [32, 1]
split = "imac"
pad = true
bias = "every"
merge = "sum"
readout = "loaded"
[amplifier]
r_in = 1e3
gbw = 0
r_out = 0
c_load = 500e-15
[interconnect]
resistance = true
[neuron]
c_load = 500e-15
)";
  if (sot_neuron) text += "r_in = 78e3\nr_feedback = 202e3\nv_shift = 0.4\n";
  return toml::parse(std::string_view(text), std::string_view("imac-sim preset"));
}

fs::path relative_to(const fs::path& base, const std::string& p) {
  fs::path path(p);
  return path.is_relative() ? base / path : path;
}

}  // namespace

Config load_config(const fs::path& file, const std::vector<std::string>& overrides) {
  Config cfg;
  cfg.file = file;
  cfg.overrides = overrides;
  const std::string name = file.string();
  const fs::path base = file.parent_path();
  toml::table root;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) fail("{}: {}", name, fs::exists(file, ec) ? "not a config file (a directory?)" : "cannot open");
  try {
    root = toml::parse(read_input_file(file), name);
  } catch (const toml::parse_error& e) {
    fail("{}:{}: {}", name, e.source().begin.line, e.description());
  }
  std::map<const toml::node*, std::string> set_where;
  std::map<std::string, std::string> set_sections;  // sections that only --set gives
  for (const auto& o : overrides) {
    const std::string where = "--set " + o;
    const size_t eq = o.find('='), dot = o.find('.');
    if (eq == std::string::npos || dot == std::string::npos || dot > eq)
      fail("{}: expected section.key=value, e.g. interconnect.resistance=false", where);
    const std::string section = o.substr(0, dot), key = o.substr(dot + 1, eq - dot - 1);
    toml::table value;
    try {
      value = toml::parse("v = " + o.substr(eq + 1), where);
    } catch (const toml::parse_error&) {
      try {  // a bare word is a string: --set neuron.model=sot
        value = toml::parse("v = \"" + o.substr(eq + 1) + "\"", where);
      } catch (const toml::parse_error& e) {
        fail("{}: {}", where, e.description());
      }
    }
    if (!root.contains(section)) {
      root.insert(section, toml::table{});
      set_sections.emplace(section, where);
    }
    toml::table* t = root[section].as_table();
    if (!t) fail("{}: '{}' is not a section", where, section);
    t->insert_or_assign(key, *value.get("v"));
    // Every node of the value (the elements of an array too) names this override in messages.
    std::vector<const toml::node*> todo{t->get(key)};
    while (!todo.empty()) {
      const toml::node* v = todo.back();
      todo.pop_back();
      set_where[v] = where;
      if (const toml::array* a = v->as_array())
        for (const auto& e : *a) todo.push_back(&e);
      if (const toml::table* tt = v->as_table())
        for (const auto& [kk, e] : *tt) todo.push_back(&e);
    }
  }
  // network.preset: values for the keys neither the file nor --set gives (an unknown preset is
  // reported by the [network] handler).
  if (const toml::table* net = root["network"].as_table()) {
    const toml::node* pn = net->get("preset");
    const std::string* preset = pn && pn->is_string() ? &pn->as_string()->get() : nullptr;
    if (preset && *preset == "imac-sim") {
      const std::string at = set_where.count(pn) ? set_where.at(pn) : fmt::format("{}:{}", name, pn->source().begin.line);
      const toml::node* model = root["neuron"]["model"].node();
      const bool sot = model && model->is_string() &&
                       (model->as_string()->get() == "sot" || model->as_string()->get() == "sot-transistor");
      const std::string from = fmt::format("{} (network.preset = \"imac-sim\")", at);
      for (auto&& [sec, keys] : imac_sim_preset(sot)) {
        const std::string section(sec.str());
        if (!root.contains(section)) {
          root.insert(section, toml::table{});
          set_sections.emplace(section, from);
        }
        toml::table* t = root[section].as_table();
        if (!t) continue;  // not a section: reported below
        for (auto&& [key, value] : *keys.as_table()) {
          if (t->contains(key.str())) continue;
          t->insert(key.str(), value);
          set_where[t->get(key.str())] = from;
        }
      }
    }
  }
  auto& s = cfg.spec;
  s.synapse.r_low = 0;  // 0 = from the MTJ
  s.synapse.r_high = 0;
  double variation_percent = 0;
  std::string variation = "none";
  int levels = 2;
  bool gains_given = false;
  std::filesystem::path curve_file;
  std::string curve_at, step_at, values_at;  // where neuron.curve, neuron.step and input.values were given
  std::string neuron_model = "ideal";
  std::string sot_given;  // where a transistor-neuron key was last given
  bool neuron_model_given = false, train_model_given = false, activation_given = false;
  std::optional<bool> mtj_c;
  std::vector<std::pair<double devices::NeuronDynamics::*, double>> dyn_given;
  std::string sizes_at, smtj_preset_at, cnn_input_at, cnn_layers_at, interconnect_at;
  // [conversion]: each key's values (one for all layers or one per layer) and where they were given.
  struct PerLayer {
    std::vector<double> v;
    std::string at;
  };
  std::map<std::string, PerLayer> conv;
  std::vector<devices::ConversionMode> conv_mode;
  std::vector<std::pair<double devices::PbitParams::*, double>> smtj_given;
  std::pair<double, double> sot_range{-1.5, 1.5};
  double sot_step = 2e-3, sot_tolerance = 0.2e-3;

  for (auto&& [key, node] : root) {
    const toml::table* t = node.as_table();
    std::string sec(key.str());
    const std::string at = set_sections.count(sec) ? set_sections.at(sec) : fmt::format("{}:{}", name, node.source().begin.line);
    if (!t) fail("{}: '{}' must be a section ([{}])", at, sec, sec);
    Section x(*t, sec, name, set_where);
    std::map<std::string, std::function<void(const toml::node&, std::string_view)>> h;
    if (sec == "network") {
      h["sizes"] = [&](const toml::node& n, std::string_view k) {
        cfg.sizes = x.integers(n, k, 1, max_layer_size);
        sizes_at = x.where(n);
      };
      h["weights"] = [&](const toml::node& n, std::string_view k) { cfg.weights_dir = relative_to(base, x.string(n, k)); };
      h["weights_format"] = [&](const toml::node& n, std::string_view k) { cfg.weights_format = x.choice(n, k, {"csv", "npy"}); };
      h["levels"] = [&](const toml::node& n, std::string_view k) {
        const int64_t v = x.integer(n, k);
        levels = v >= 0 && v <= 1000 ? static_cast<int>(v) : 0;
        if (!devices::supported_levels(levels)) x.bad(n, k, fmt::format("must be 2, 3, 5 or 11, got {}", v));
      };
      h["gains"] = [&](const toml::node& n, std::string_view k) {
        cfg.gains = n.is_array() ? x.numbers(n, k) : std::vector<double>{x.number(n, k)};
        for (double g : cfg.gains)
          if (!(g > 0)) x.bad(n, k, fmt::format("gains must be > 0, got {}", g));
        gains_given = true;
      };
      h["preset"] = [&](const toml::node& n, std::string_view k) { (void)x.choice(n, k, {"imac-sim"}); };
      h["vdd"] = [&](const toml::node& n, std::string_view k) {
        s.vdd = x.number(n, k);
        if (!(s.vdd > 0)) x.bad(n, k, fmt::format("must be > 0 V, got {}", s.vdd));
      };
      h["seed"] = [&](const toml::node& n, std::string_view k) {
        int64_t v = x.integer(n, k);
        if (v < 0) x.bad(n, k, "must be >= 0");
        s.seed = static_cast<uint64_t>(v);
      };
    } else if (sec == "partition") {
      h["tile"] = [&](const toml::node& n, std::string_view k) {
        const toml::array* a = n.as_array();
        if (!a || a->size() != 2) x.bad(n, k, "must be [rows, cols]");
        const int64_t rows = x.integer(*a->get(0), k), cols = x.integer(*a->get(1), k);
        if (rows < 2) x.bad(n, k, fmt::format("must be >= 2 rows, got {}", rows));
        if (cols < 1) x.bad(n, k, fmt::format("must be >= 1 column, got {}", cols));
        if (rows > max_layer_size) x.bad(n, k, fmt::format("must be <= {} rows, got {}", max_layer_size, rows));
        if (cols > max_layer_size) x.bad(n, k, fmt::format("must be <= {} columns, got {}", max_layer_size, cols));
        const int v[2] = {static_cast<int>(rows), static_cast<int>(cols)};
        s.tile_rows = v[0];
        s.tile_cols = v[1];
      };
      h["merge"] = [&](const toml::node& n, std::string_view k) {
        s.merge = x.choice(n, k, {"average", "sum"}) == "sum" ? netlist::MergeMode::sum : netlist::MergeMode::average;
      };
      h["split"] = [&](const toml::node& n, std::string_view k) {
        s.split = x.choice(n, k, {"even", "imac"}) == "imac" ? netlist::SplitRule::imac : netlist::SplitRule::even;
      };
      h["pad"] = [&](const toml::node& n, std::string_view k) { s.pad_tiles = x.boolean(n, k); };
      h["bias"] = [&](const toml::node& n, std::string_view k) { s.tile_bias = x.choice(n, k, {"last", "every"}) == "every"; };
      h["readout"] = [&](const toml::node& n, std::string_view k) {
        s.readout = x.choice(n, k, {"loaded", "virtual-ground"}) == "loaded" ? netlist::Readout::loaded
                                                                            : netlist::Readout::virtual_ground;
      };
    } else if (sec == "amplifier") {
      auto table = devices::amplifier_table();
      std::erase_if(table, [](const auto& p) { return p.name == "gain"; });  // per layer: network.gains
      x.table_keys(h, s.amplifier, table);
      h["ideal"] = [&](const toml::node& n, std::string_view k) { s.ideal_amplifier = x.boolean(n, k); };
    } else if (sec == "mtj") {
      x.table_keys(h, s.mtj, devices::mtj_table());
      h["bias_dependence"] = [&](const toml::node& n, std::string_view k) { s.mtj_bias_dependence = x.boolean(n, k); };
      h["capacitance"] = [&](const toml::node& n, std::string_view k) { mtj_c = x.boolean(n, k); };
    } else if (sec == "driver") {
      x.table_keys(h, s.driver, devices::driver_table());
    } else if (sec == "conversion") {
      // A scalar, or an array with one value per layer; checked value by value.
      auto per_layer = [&](const std::string& key, std::function<double(const toml::node&, std::string_view)> read) {
        h[key] = [&, key, read](const toml::node& n, std::string_view k) {
          PerLayer& pl = conv[key];
          pl.at = x.where(n);
          pl.v.clear();
          if (const toml::array* a = n.as_array()) {
            if (a->empty()) x.bad(n, k, "needs one value for all layers or one per layer, got an empty array");
            for (const auto& e : *a) pl.v.push_back(read(e, k));
          } else {
            pl.v.push_back(read(n, k));
          }
        };
      };
      h["mode"] = [&](const toml::node& n, std::string_view k) {
        conv_mode.clear();
        conv["mode"].at = x.where(n);
        auto one = [&](const toml::node& e) { return *devices::parse_conversion(x.choice(e, k, {"analog", "adc", "stochastic-mtj"})); };
        if (const toml::array* a = n.as_array()) {
          if (a->empty()) x.bad(n, k, "needs one mode for all layers or one per layer, got an empty array");
          for (const auto& e : *a) conv_mode.push_back(one(e));
        } else {
          conv_mode.push_back(one(n));
        }
      };
      per_layer("bits", [&](const toml::node& n, std::string_view k) { return static_cast<double>(x.count(n, k, 1, 16)); });
      per_layer("samples", [&](const toml::node& n, std::string_view k) { return static_cast<double>(x.count(n, k, 1, 4096)); });
      per_layer("range", [&](const toml::node& n, std::string_view k) {
        const double v = x.number(n, k);
        if (!(v > 0)) x.bad(n, k, fmt::format("must be > 0 V, got {}", v));
        return v;
      });
      per_layer("offset", [&](const toml::node& n, std::string_view k) {
        const double v = x.number(n, k);
        if (!(std::fabs(v) <= 65536)) x.bad(n, k, fmt::format("must be in [-65536, 65536] LSB, got {}", v));
        return v;
      });
      per_layer("inl", [&](const toml::node& n, std::string_view k) {
        const double v = x.number(n, k);
        if (!(std::fabs(v) <= 65536)) x.bad(n, k, fmt::format("must be in [-65536, 65536] LSB, got {}", v));
        return v;
      });
      per_layer("noise", [&](const toml::node& n, std::string_view k) {
        const double v = x.number(n, k);
        if (!(v >= 0 && v <= 65536)) x.bad(n, k, fmt::format("must be in [0, 65536] LSB rms, got {}", v));
        return v;
      });
      h["seed"] = [&](const toml::node& n, std::string_view k) {
        int64_t v = x.integer(n, k);
        if (v < 0) x.bad(n, k, "must be >= 0");
        s.conversion_seed = static_cast<uint64_t>(v);
      };
      h["quantile"] = [&](const toml::node& n, std::string_view k) {
        const double v = x.number(n, k);
        if (!(v > 0 && v <= 1)) x.bad(n, k, fmt::format("must be in (0, 1], got {}", v));
        cfg.conversion_quantile = v;
      };
    } else if (sec == "adc") {
      x.table_keys(h, cfg.adc, devices::adc_table());
    } else if (sec == "sot_converter") {
      x.table_keys(h, s.sot_converter, devices::sot_converter_table());
      h["law"] = [&](const toml::node& n, std::string_view k) {
        s.sot_converter.law = x.choice(n, k, {"thermal", "sigmoid"}) == "sigmoid" ? devices::SwitchingLaw::sigmoid
                                                                                 : devices::SwitchingLaw::thermal;
      };
    } else if (sec == "cpu") {
      x.table_keys(h, cfg.cpu, arch::cpu_table());
    } else if (sec == "synapse") {
      h["r_low"] = [&](const toml::node& n, std::string_view k) {
        s.synapse.r_low = x.number(n, k);
        if (!(s.synapse.r_low > 0)) x.bad(n, k, fmt::format("must be > 0 ohm, got {}", s.synapse.r_low));
      };
      h["r_high"] = [&](const toml::node& n, std::string_view k) {
        s.synapse.r_high = x.number(n, k);
        if (!(s.synapse.r_high > 0)) x.bad(n, k, fmt::format("must be > 0 ohm, got {}", s.synapse.r_high));
      };
      h["variation"] = [&](const toml::node& n, std::string_view k) { variation = x.choice(n, k, {"none", "uniform", "gaussian"}); };
      h["variation_percent"] = [&](const toml::node& n, std::string_view k) {
        variation_percent = x.number(n, k);
        if (!(variation_percent >= 0 && variation_percent <= 100)) x.bad(n, k, fmt::format("must be in [0, 100], got {}", variation_percent));
      };
    } else if (sec == "interconnect") {
      x.table_keys(h, s.wire, devices::wire_table());
      h["resistance"] = [&](const toml::node& n, std::string_view k) { s.wire_r = x.boolean(n, k); };
      h["capacitance"] = [&](const toml::node& n, std::string_view k) { s.wire_c = x.boolean(n, k); };
      h["coupling"] = [&](const toml::node& n, std::string_view k) {
        s.explicit_coupling = x.choice(n, k, {"ground", "explicit"}) == "explicit";
      };
    } else if (sec == "neuron") {
      h["model"] = [&](const toml::node& n, std::string_view k) {
        neuron_model = x.choice(n, k, {"ideal", "curve", "sot", "sot-transistor"});
        neuron_model_given = true;
        s.neuron.kind = neuron_model == "ideal" ? netlist::NeuronKind::ideal
                        : neuron_model == "sot-transistor" ? netlist::NeuronKind::transistor
                                                           : netlist::NeuronKind::curve;
      };
      h["range"] = [&](const toml::node& n, std::string_view k) {
        auto v = x.numbers(n, k);
        if (v.size() != 2 || !(v[1] > v[0])) x.bad(n, k, "must be [low, high] with low < high (V)");
        sot_range = {v[0], v[1]};
      };
      h["step"] = [&](const toml::node& n, std::string_view k) {
        sot_step = x.number(n, k);
        if (!(sot_step > 0)) x.bad(n, k, fmt::format("must be > 0 V, got {}", sot_step));
        step_at = x.where(n);
      };
      h["tolerance"] = [&](const toml::node& n, std::string_view k) {
        sot_tolerance = x.number(n, k);
        if (!(sot_tolerance > 0)) x.bad(n, k, fmt::format("must be > 0 V, got {}", sot_tolerance));
      };
      h["slope"] = [&](const toml::node& n, std::string_view k) {
        s.neuron.slope = x.number(n, k);
        if (!(s.neuron.slope > 0)) x.bad(n, k, fmt::format("must be > 0 V, got {}", s.neuron.slope));
      };
      h["offset"] = [&](const toml::node& n, std::string_view k) { s.neuron.offset = x.number(n, k); };
      for (const auto& p : devices::neuron_dynamics_table()) {
        h[std::string(p.name)] = [&x, &dyn_given, p](const toml::node& n, std::string_view key) {
          double v = x.number(n, key);
          if (std::string e = devices::check(p, v, "neuron"); !e.empty()) fail("{}: {}", x.where(n), e);
          dyn_given.emplace_back(p.member, v);
        };
      }
      // The transistor-level neuron's own devices (sot and sot-transistor models).
      for (const auto& p : devices::sot_neuron_table()) {
        h[std::string(p.name)] = [&x, &s, &sot_given, p](const toml::node& n, std::string_view key) {
          const double v = x.number(n, key);
          if (std::string e = devices::check(p, v, "neuron"); !e.empty()) fail("{}: {}", x.where(n), e);
          s.neuron.sot.*(p.member) = v;
          sot_given = fmt::format("{}: neuron.{}", x.where(n), key);
        };
      }
      h["curve"] = [&](const toml::node& n, std::string_view k) {
        curve_file = relative_to(base, x.string(n, k));
        curve_at = x.where(n);
      };
    } else if (sec == "input") {
      auto& in = cfg.input;
      h["values"] = [&](const toml::node& n, std::string_view k) {
        in.values = x.numbers(n, k);
        values_at = x.where(n);
      };
      h["dataset"] = [&](const toml::node& n, std::string_view k) {
        std::string v = x.string(n, k);
        if (v == "mnist" || v == "fashion-mnist") {
          in.idx_dataset = v;
        } else {
          fs::path p = relative_to(base, v);
          if (std::error_code ec; fs::is_directory(p, ec)) in.idx_dataset = p.string();
          else in.dataset = p;
        }
      };
      h["binarize"] = [&](const toml::node& n, std::string_view k) { in.preprocess.binarize = x.boolean(n, k); };
      h["high"] = [&](const toml::node& n, std::string_view k) { in.preprocess.high = x.number(n, k); };
      h["low"] = [&](const toml::node& n, std::string_view k) { in.preprocess.low = x.number(n, k); };
      h["crop"] = [&](const toml::node& n, std::string_view k) {
        in.preprocess.crop = x.count(n, k, 0, max_image_side);
      };
      h["resize"] = [&](const toml::node& n, std::string_view k) {
        in.preprocess.resize = x.count(n, k, 0, max_image_side);
      };
      h["threshold"] = [&](const toml::node& n, std::string_view k) {
        in.preprocess.threshold = x.number(n, k);
        if (!(in.preprocess.threshold >= 0 && in.preprocess.threshold < 1)) x.bad(n, k, "must be in [0, 1) of full scale");
      };
      h["labels"] = [&](const toml::node& n, std::string_view k) { in.labels = relative_to(base, x.string(n, k)); };
      h["first"] = [&](const toml::node& n, std::string_view k) {
        in.first = x.count(n, k, 0);
      };
      h["images"] = [&](const toml::node& n, std::string_view k) {
        in.images = x.count(n, k, 1);
      };
      h["window"] = [&](const toml::node& n, std::string_view k) {
        in.window = x.number(n, k);
        if (!(in.window > 0)) x.bad(n, k, fmt::format("must be > 0 s, got {}", in.window));
      };
      h["edge"] = [&](const toml::node& n, std::string_view k) {
        in.edge = x.number(n, k);
        if (!(in.edge > 0)) x.bad(n, k, fmt::format("must be > 0 s, got {}", in.edge));
      };
    } else if (sec == "train") {
      auto& t = cfg.train;
      auto& o = t.options;
      h["model"] = [&](const toml::node& n, std::string_view k) {
        t.model = x.choice(n, k, {"crossbar", "software"}) == "crossbar" ? LayerModel::crossbar : LayerModel::software;
        train_model_given = true;
      };
      h["weights"] = [&](const toml::node& n, std::string_view k) {
        std::string w = x.choice(n, k, {"float", "binary", "ternary", "5-level", "11-level"});
        t.levels = w == "float" ? 0 : w == "binary" ? 2 : w == "ternary" ? 3 : w == "5-level" ? 5 : 11;
      };
      h["activation"] = [&](const toml::node& n, std::string_view k) {
        t.activation = *parse_activation(x.choice(n, k, {"sigmoid", "reverse-sigmoid", "relu", "hardtanh", "curve"}));
        activation_given = true;
      };
      h["learn_scale"] = [&](const toml::node& n, std::string_view k) { t.learn_scale = x.boolean(n, k); };
      h["optimizer"] = [&](const toml::node& n, std::string_view k) {
        o.optimizer = x.choice(n, k, {"adam", "sgd"}) == "adam" ? Optimizer::adam : Optimizer::sgd;
      };
      h["learning_rate"] = [&](const toml::node& n, std::string_view k) { o.learning_rate = x.positive(n, k); };
      h["lr_decay"] = [&](const toml::node& n, std::string_view k) {
        o.lr_decay = x.positive(n, k);
        if (o.lr_decay > 1) x.bad(n, k, fmt::format("must be in (0, 1], got {}", o.lr_decay));
      };
      h["momentum"] = [&](const toml::node& n, std::string_view k) {
        o.momentum = x.number(n, k);
        if (!(o.momentum >= 0 && o.momentum < 1)) x.bad(n, k, fmt::format("must be in [0, 1), got {}", o.momentum));
      };
      h["batch"] = [&](const toml::node& n, std::string_view k) { o.batch = x.count(n, k, 1); };
      h["epochs"] = [&](const toml::node& n, std::string_view k) { o.epochs = x.count(n, k, 1); };
      h["patience"] = [&](const toml::node& n, std::string_view k) { o.patience = x.count(n, k, 0); };
      h["validation"] = [&](const toml::node& n, std::string_view k) {
        o.validation = x.number(n, k);
        if (!(o.validation >= 0 && o.validation < 1)) x.bad(n, k, fmt::format("must be in [0, 1), got {}", o.validation));
      };
      h["noise"] = [&](const toml::node& n, std::string_view k) {
        o.noise = x.number(n, k);
        if (!(o.noise >= 0)) x.bad(n, k, fmt::format("must be >= 0, got {}", o.noise));
      };
      h["seed"] = [&](const toml::node& n, std::string_view k) {
        const int64_t v = x.integer(n, k);
        if (v < 0) x.bad(n, k, fmt::format("must be >= 0, got {}", v));
        o.seed = static_cast<uint64_t>(v);
      };
      h["threads"] = [&](const toml::node& n, std::string_view k) { t.threads = x.count(n, k, 1, max_threads); };
      h["init"] = [&](const toml::node& n, std::string_view k) { t.init = relative_to(base, x.string(n, k)); };
      h["interconnect"] = [&](const toml::node& n, std::string_view k) {
        t.circuit_wires = x.choice(n, k, {"ideal", "circuit"}) == "circuit";
        interconnect_at = x.where(n);
      };
      h["refit"] = [&](const toml::node& n, std::string_view k) {
        t.refit_epochs = x.number(n, k);
        if (!(t.refit_epochs >= 0.001 && t.refit_epochs <= 1)) x.bad(n, k, fmt::format("must be in [0.001, 1] epochs, got {}", t.refit_epochs));
      };
    } else if (sec == "run") {
      auto& r = cfg.run;
      h["analysis"] = [&](const toml::node& n, std::string_view k) { r.transient = x.choice(n, k, {"op", "tran"}) == "tran"; };
      h["tolerance"] = [&](const toml::node& n, std::string_view k) {
        r.tolerance = x.number(n, k);
        if (!(r.tolerance > 0 && r.tolerance < 1)) x.bad(n, k, fmt::format("must be in (0, 1) of vdd, got {}", r.tolerance));
      };
      h["step"] = [&](const toml::node& n, std::string_view k) {
        r.step = x.number(n, k);
        if (!(r.step > 0)) x.bad(n, k, fmt::format("must be > 0 s, got {}", r.step));
      };
      h["threads"] = [&](const toml::node& n, std::string_view k) {
        r.threads = x.count(n, k, 1, max_threads);
      };
      h["amplifier_currents"] = [&](const toml::node& n, std::string_view k) { r.amplifier_currents = x.boolean(n, k); };
      h["interconnect"] = [&](const toml::node& n, std::string_view k) {
        r.reduce_interconnect = x.choice(n, k, {"reduced", "full"}) == "reduced";
      };
    } else if (sec == "sc") {
      auto& c = cfg.sc;
      c.enabled = true;
      h["length"] = [&](const toml::node& n, std::string_view k) { c.length = x.count(n, k, 1, 1'000'000); };
      h["states"] = [&](const toml::node& n, std::string_view k) {
        c.states = x.count(n, k, 0, 11);
        if (!devices::supported_states(c.states))
          x.bad(n, k, fmt::format("must be 0 (not quantized), 2, 3, 5 or 11, got {}", c.states));
      };
      h["stream"] = [&](const toml::node& n, std::string_view k) { c.telegraph = x.choice(n, k, {"telegraph", "bernoulli"}) == "telegraph"; };
      h["readout"] = [&](const toml::node& n, std::string_view k) { c.integrate = x.choice(n, k, {"integrate", "count"}) == "integrate"; };
      h["training"] = [&](const toml::node& n, std::string_view k) { c.train_sc = x.choice(n, k, {"sc", "plain"}) == "sc"; };
      h["seed"] = [&](const toml::node& n, std::string_view k) { c.seed = static_cast<uint64_t>(x.count(n, k, 0)); };
      h["v_row"] = [&](const toml::node& n, std::string_view k) {
        c.v_row = x.positive(n, k);
        if (c.v_row > 10) x.bad(n, k, fmt::format("must be <= 10 V, got {} V", c.v_row));
      };
      h["p_amplifier"] = [&](const toml::node& n, std::string_view k) {
        c.p_amplifier = x.number(n, k);
        if (!(c.p_amplifier >= 0 && c.p_amplifier <= 1)) x.bad(n, k, fmt::format("must be in [0, 1] W, got {} W", c.p_amplifier));
      };
      h["e_counter"] = [&](const toml::node& n, std::string_view k) {
        c.e_counter = x.number(n, k);
        if (!(c.e_counter >= 0 && c.e_counter <= 1e-9)) x.bad(n, k, fmt::format("must be in [0, 1e-09] J, got {} J", c.e_counter));
      };
      h["e_dac_bit"] = [&](const toml::node& n, std::string_view k) {
        c.e_dac_bit = x.number(n, k);
        if (!(c.e_dac_bit >= 0 && c.e_dac_bit <= 1e-9)) x.bad(n, k, fmt::format("must be in [0, 1e-09] J, got {} J", c.e_dac_bit));
      };
      h["analog_bits"] = [&](const toml::node& n, std::string_view k) { c.analog_bits = x.count(n, k, 1, 16); };
    } else if (sec == "cnn") {
      auto& c = cfg.cnn;
      c.enabled = true;
      h["input"] = [&](const toml::node& n, std::string_view k) {
        auto v = x.integers(n, k, 1, max_image_side);
        if (v.size() != 3) x.bad(n, k, "must be [channels, height, width]");
        c.input = {v[0], v[1], v[2]};
        cnn_input_at = x.where(n);
      };
      h["layers"] = [&](const toml::node& n, std::string_view k) {
        const toml::array* a = n.as_array();
        if (!a || a->empty()) x.bad(n, k, "must be a non-empty array of layer strings, e.g. [\"conv 6 5 pad=2\", \"relu\", \"pool max 2\"]");
        c.layers.clear();
        for (size_t i = 0; i < a->size(); ++i) {
          const toml::node& e = *a->get(i);
          auto text = e.value_exact<std::string>();
          if (!text) fail("{}: cnn.layers[{}]: must be a string", x.where(e), i);
          nn::FeatureLayer f;
          if (std::string err = parse_feature(*text, f); !err.empty()) fail("{}: cnn.layers[{}]: {}", x.where(e), i, err);
          c.layers.push_back(f);
        }
        cnn_layers_at = x.where(n);
      };
      h["model"] = [&](const toml::node& n, std::string_view k) { c.model = relative_to(base, x.string(n, k)); };
      h["dac_bits"] = [&](const toml::node& n, std::string_view k) { c.dac_bits = x.count(n, k, 0, 16); };
      h["dac_low"] = [&](const toml::node& n, std::string_view k) { c.dac_low = x.number(n, k); };
      h["dac_high"] = [&](const toml::node& n, std::string_view k) { c.dac_high = x.number(n, k); };
    } else if (sec == "smtj") {
      h["preset"] = [&](const toml::node& n, std::string_view k) {
        cfg.sc.preset = x.string(n, k);
        smtj_preset_at = x.where(n);
        (void)k;
      };
      for (const auto& p : devices::pbit_table()) {
        h[std::string(p.name)] = [&x, &smtj_given, p](const toml::node& n, std::string_view key) {
          double v = x.number(n, key);
          if (std::string e = devices::check(p, v, "smtj"); !e.empty()) fail("{}: {}", x.where(n), e);
          smtj_given.emplace_back(p.member, v);
        };
      }
    } else {
      fail("{}: unknown section [{}] (known: network, partition, conversion, adc, sot_converter, amplifier, driver, mtj, synapse, interconnect, neuron, input, cnn, cpu, train, run, sc, smtj)",
           at, clip(sec));
    }
    x.each(h);
  }

  if (sizes_at.empty()) fail("{}: network.sizes: missing", name);
  if (cfg.sizes.size() < 2)
    fail("{}: network.sizes: {}", sizes_at,
         cfg.cnn.enabled ? "a CNN needs FC layers on the crossbars after its features: give [features, ..., classes]"
                         : "needs at least two sizes (inputs and outputs)");
  if (!cfg.input.values.empty() && (!cfg.input.dataset.empty() || !cfg.input.idx_dataset.empty()))
    fail("{}: input.values: give values or a dataset, not both", values_at);
  size_t layers = cfg.sizes.size() - 1;
  if (!gains_given) cfg.gains.assign(layers, 30);
  if (cfg.gains.size() == 1 && layers > 1) cfg.gains.assign(layers, cfg.gains[0]);
  if (cfg.gains.size() != layers)
    fail("{}: network.gains: needs one gain per layer ({}), got {}", name, layers, cfg.gains.size());
  if (cfg.input.edge >= cfg.input.window)
    fail("{}: input.edge: must be shorter than input.window ({} s), got {} s", name, cfg.input.window, cfg.input.edge);
  s.mtj_c = mtj_c.value_or(s.wire_c);
  // Conversion per layer.
  if (!conv_mode.empty()) {
    auto expand = [&](const std::string& key, size_t given, const std::string& at) {
      if (given != 1 && given != layers)
        fail("{}: conversion.{}: needs one value for all layers or one per layer ({}), got {}", at, key, layers, given);
    };
    expand("mode", conv_mode.size(), conv["mode"].at);
    for (auto& [key, pl] : conv) if (key != "mode") expand(key, pl.v.size(), pl.at);
    auto value = [&](const std::string& key, size_t l, double def) {
      auto it = conv.find(key);
      if (it == conv.end()) return def;
      return it->second.v.size() == 1 ? it->second.v[0] : it->second.v[l];
    };
    s.conversion.assign(layers, {});
    for (size_t l = 0; l < layers; ++l) {
      auto& c = s.conversion[l];
      c.mode = conv_mode.size() == 1 ? conv_mode[0] : conv_mode[l];
      c.bits = static_cast<int>(value("bits", l, c.bits));
      c.samples = static_cast<int>(value("samples", l, c.samples));
      c.range = value("range", l, 0);
      c.offset = value("offset", l, 0);
      c.inl = value("inl", l, 0);
      c.noise = value("noise", l, 0);
      if (c.mode == devices::ConversionMode::stochastic && s.readout == netlist::Readout::virtual_ground)
        fail("{}: conversion.mode: stochastic-mtj needs partition.readout = \"loaded\" (its write path is the difference "
             "amplifier's output stage), got \"virtual-ground\"", conv["mode"].at);
    }
    cfg.conversion_at = conv["mode"].at;
    cfg.conversion_range_given = conv.count("range") > 0;
    if (netlist::converts_any(s, true)) {
      // Energy and latency per sample from the converter's own circuit (native transient).
      try {
        cfg.sot_sample = sot_sample_cost(s.sot_converter);
      } catch (const std::runtime_error& e) {
        fail("{}: sot_converter: {}", name, e.what());
      }
    }
  } else if (!conv.empty()) {
    fail("{}: conversion.{}: needs conversion.mode", conv.begin()->second.at, conv.begin()->first);
  }
  s.synapse.levels = levels;
  if (s.synapse.r_low == 0) s.synapse.r_low = s.mtj.r_parallel();
  if (s.synapse.r_high == 0) s.synapse.r_high = s.mtj.r_antiparallel(0);
  if (!(s.synapse.r_high > s.synapse.r_low))
    fail("{}: synapse.r_high: must be above r_low ({} ohm), got {} ohm", name, s.synapse.r_low, s.synapse.r_high);
  if (!smtj_given.empty() || !cfg.sc.preset.empty()) {
    if (!cfg.sc.enabled) fail("{}: [smtj]: s-MTJ p-bits are used by stochastic computing; add an [sc] section", name);
  }
  if (cfg.cnn.enabled) {
    auto& c = cfg.cnn;
    if (cnn_input_at.empty()) fail("{}: cnn.input: missing ([channels, height, width] of a preprocessed image)", name);
    if (cnn_layers_at.empty()) fail("{}: cnn.layers: missing (e.g. [\"conv 6 5 pad=2\", \"relu\", \"pool max 2\"])", name);
    if (!(c.dac_high > c.dac_low)) fail("{}: cnn.dac_high: must be above cnn.dac_low ({} V), got {} V", name, c.dac_low, c.dac_high);
    // Conv layers take their input channels from the shape before them; the shapes must chain. Every
    // feature map stays within max_layer_size values (counted in 64 bits).
    auto values = [](const nn::Shape& x) { return int64_t{x.channels} * x.height * x.width; };
    if (values(c.input) > max_layer_size)
      fail("{}: cnn.input: {} values per image, above {}", cnn_input_at, values(c.input), max_layer_size);
    nn::Shape shape = c.input;
    for (size_t k = 0; k < c.layers.size(); ++k) {
      auto& f = c.layers[k];
      if (f.kind == nn::FeatureLayer::Kind::conv) f.conv.in_channels = shape.channels;
      try {
        shape = nn::feature_shapes(shape, {f}).back();
      } catch (const InputError& e) {
        std::string what = e.what();
        fail("{}: cnn.layers[{}]: {}", cnn_layers_at, k, what.substr(what.find(": ") + 2));
      }
      if (values(shape) > max_layer_size)
        fail("{}: cnn.layers[{}]: {} values ({}), above {}", cnn_layers_at, k, values(shape), nn::to_string(shape), max_layer_size);
    }
    if (shape.size() != cfg.sizes.front())
      fail("{}: cnn.layers: the features give {} values ({}), network.sizes starts with {}; the crossbar FC layers take the flattened features",
           cnn_layers_at, shape.size(), nn::to_string(shape), cfg.sizes.front());
    if (c.model.empty() && !cfg.weights_dir.empty()) c.model = cfg.weights_dir / "model.json";
    if (cfg.sc.enabled) fail("{}: [cnn]: the CPU features feed crossbar FC layers; stochastic computing takes plain images (remove [cnn] or [sc])", name);
  }
  if (cfg.sc.enabled) sc_finish(cfg, name, smtj_preset_at, smtj_given, neuron_model_given, train_model_given, activation_given);
  if (cfg.train.circuit_wires) {
    if (cfg.train.model != LayerModel::crossbar)
      fail("{}: train.interconnect: \"circuit\" trains the crossbar model through its circuit; set train.model = \"crossbar\"",
           interconnect_at);
    if (neuron_model == "sot-transistor")
      fail("{}: train.interconnect: \"circuit\" needs a neuron law (ideal, curve or sot), not transistor-level neurons",
           interconnect_at);
    if (cfg.cnn.enabled || cfg.sc.enabled || !cfg.conversion_at.empty())
      fail("{}: train.interconnect: \"circuit\" trains analog crossbar MLPs (no [cnn], [sc] or [conversion])", interconnect_at);
  }
  // Keys that would change nothing (a study sweeping one would run the same circuit at every value).
  auto where_of = [&](const char* sec, const char* key) {
    const toml::node* n = root[sec][key].node();
    if (!n) return name;
    if (auto it = set_where.find(n); it != set_where.end()) return it->second;
    return fmt::format("{}:{}", name, n->source().begin.line);
  };
  if (variation == "none" && variation_percent > 0)
    fail("{}: synapse.variation_percent: {} % has no effect with synapse.variation = \"none\" (choose \"gaussian\" or "
         "\"uniform\")", where_of("synapse", "variation_percent"), variation_percent);
  if (!s.wire_r && s.wire.resistance_scale != 1)
    fail("{}: interconnect.resistance_scale: has no effect with interconnect.resistance = false",
         where_of("interconnect", "resistance_scale"));
  s.synapse.variation = variation == "uniform" ? devices::Variation::uniform
                        : variation == "gaussian" ? devices::Variation::gaussian : devices::Variation::none;
  s.synapse.variation_fraction = variation_percent / 100;
  s.neuron.dyn = devices::default_neuron_dynamics();
  if (!sot_given.empty() && neuron_model != "sot" && neuron_model != "sot-transistor")
    fail("{}: has no effect with neuron.model = \"{}\" (it sets the transistor-level neuron of \"sot\" and "
         "\"sot-transistor\")", sot_given, neuron_model);
  if (neuron_model == "sot") {
    if (sot_step >= sot_range.second - sot_range.first)
      fail("{}: neuron.step: must be smaller than neuron.range [{}, {}] V, got {}", step_at.empty() ? name : step_at,
           sot_range.first, sot_range.second, sot_step);
    check_points((sot_range.second - sot_range.first) / sot_step, name + ": neuron.step",
                 "points of the neuron characterization sweep (neuron.range / neuron.step)");
    // The macro-model of the transistor-level neuron, measured now in embedded ngspice.
    NeuronCurve c;
    try {
      c = characterize_neuron(s.neuron.sot, s.mtj, s.vdd, sot_range.first, sot_range.second, sot_step, sot_tolerance);
    } catch (const std::runtime_error& e) {
      fail("{}: neuron.model: {}", name, e.what());
    }
    s.neuron.curve_in = c.in;
    s.neuron.curve_out = c.out;
    s.neuron.curve_supply = c.supply;
    s.neuron.dyn.i_supply = c.supply_mean;
    // Output resistance and capacitance from transients of the same circuit.
    try {
      const NeuronDynamicsFit fit = fit_neuron_dynamics(s.neuron.sot, s.mtj, s.vdd, sot_range.first, sot_range.second);
      s.neuron.dyn.r_out = fit.r_out;
      s.neuron.dyn.c_out = fit.c_out;
    } catch (const std::runtime_error& e) {
      fail("{}: neuron.model: {}", name, e.what());
    }
  } else if (s.neuron.kind == netlist::NeuronKind::curve) {
    if (curve_file.empty()) fail("{}: neuron.curve: the curve model needs a curve file", name);
    Matrix m;
    try {
      m = read_csv(curve_file);
    } catch (const InputError& e) {
      fail("{}: neuron.curve: {}", curve_at, e.what());
    }
    if (m.cols != 2) fail("{}: neuron.curve: {}: needs two columns (input, output), got {}", curve_at, m.source, m.cols);
    for (int r = 0; r < m.rows; ++r) {
      for (int c = 0; c < 2; ++c)
        if (!std::isfinite(m.at(r, c)))
          fail("{}: neuron.curve: {}: value is {}", curve_at, m.where(r, c), std::isnan(m.at(r, c)) ? "NaN" : "inf");
      s.neuron.curve_in.push_back(m.at(r, 0));
      s.neuron.curve_out.push_back(m.at(r, 1));
    }
  }
  for (const auto& [member, v] : dyn_given) s.neuron.dyn.*member = v;
  if (!dyn_given.empty()) {
    // A given supply current replaces the characterized curve's.
    for (const auto& g : dyn_given)
      if (g.first == &devices::NeuronDynamics::i_supply) s.neuron.curve_supply.clear();
  }
  return cfg;
}

void use_weights(Config& cfg, NetworkWeights weights) {
  cfg.weights = std::move(weights);
  const NetworkWeights& nw = cfg.weights;
  auto& s = cfg.spec;
  s.layers.clear();
  for (size_t k = 0; k + 1 < cfg.sizes.size(); ++k) {
    netlist::LayerSpec l;
    l.inputs = cfg.sizes[k];
    l.outputs = cfg.sizes[k + 1];
    l.weights = to_levels(nw.w[k], s.synapse);
    l.biases = to_levels(nw.b[k], s.synapse);
    l.gain = cfg.gains[k];
    s.layers.push_back(std::move(l));
  }
}

void load_network(Config& cfg) {
  if (cfg.weights_dir.empty()) fail("{}: network.weights: missing (directory of W1/B1 ... files)", cfg.file.string());
  use_weights(cfg, read_weights(cfg.weights_dir, cfg.sizes, cfg.weights_format));
  auto& s = cfg.spec;
  // Converting layers without conversion.range take the range their weights were trained with.
  if (!cfg.conversion_range_given && netlist::converts_any(s)) {
    const fs::path model = cfg.weights_dir / "model.json";
    std::vector<double> ranges;
    std::error_code ec;
    if (fs::is_regular_file(model, ec)) ranges = read_conversion_ranges(model);
    for (size_t l = 0; l < s.conversion.size(); ++l) {
      if (!s.conversion[l].converts()) continue;
      if (l >= ranges.size() || !(ranges[l] > 0))
        fail("{}: conversion.range: missing for layer {} ({}): give the clipping range in V, or weights trained with "
             "[conversion] (their model.json holds it)", cfg.conversion_at, l + 1, to_string(s.conversion[l].mode));
      s.conversion[l].range = ranges[l];
    }
  }
  netlist::validate(s);
}

std::vector<int> read_labels(const fs::path& path, int classes) {
  Matrix m = read_csv(path);
  std::vector<int> out(m.rows);
  for (int r = 0; r < m.rows; ++r) {
    if (m.cols == 1) {
      double v = m.at(r, 0);
      if (!(v >= 0 && v < classes && v == std::floor(v)))
        fail("{}: label {} is not a class number 0..{}", m.where(r, 0), v, classes - 1);
      out[r] = static_cast<int>(v);
      continue;
    }
    if (m.cols != classes)
      fail("{}: {} values per row; labels are one-hot rows of {} (the network's outputs) or one class per row",
           m.source, m.cols, classes);
    int hot = -1;
    for (int c = 0; c < m.cols; ++c) {
      double v = m.at(r, c);
      if (v != 0 && v != 1) fail("{}: {} in a one-hot label row (only 0 and 1)", m.where(r, c), v);
      if (v == 1) {
        if (hot >= 0) fail("{}: a second 1 in a one-hot label row", m.where(r, c));
        hot = c;
      }
    }
    if (hot < 0) fail("{}:{}: a one-hot label row without a 1", m.source, r + 1);
    out[r] = hot;
  }
  return out;
}

namespace {

/// Up to `limit` preprocessed images of a split from image `from` on; `named` is the first image the
/// caller asked for (messages name it).
Samples samples_from(const Config& cfg, Split split, int from, int limit, int named) {
  const auto& in = cfg.input;
  if (in.idx_dataset.empty())
    fail("{}: input.dataset: training needs an image dataset (mnist, fashion-mnist or an IDX directory)", cfg.file.string());
  LabeledImages set = load_idx_dataset(in.idx_dataset, split);
  const int n = preprocessed_size(in.preprocess, set.images.rows, set.images.cols);
  if (n != input_size(cfg))
    fail("{}: input: {}x{} images preprocessed (crop {}, resize {}) give {} inputs, {} {}", cfg.file.string(),
         set.images.rows, set.images.cols, in.preprocess.crop, in.preprocess.resize, n,
         cfg.cnn.enabled ? "cnn.input holds" : "network.sizes starts with", input_size(cfg));
  // A label is an output index (a confusion-matrix row): it must name one of the network's outputs.
  const int classes = cfg.sizes.back();
  for (size_t k = 0; k < set.labels.size(); ++k)
    if (set.labels[k] >= classes)
      fail("{}: label {} is {}, expected 0..{} (the network's {} outputs)", set.labels_file, k, set.labels[k],
           classes - 1, classes);
  const int first = from;
  int count = set.images.count - first;
  if (limit >= 0) count = std::min(count, limit);
  if (count <= 0) fail("{}: input.first: {} is past the {} images of {}", cfg.file.string(), named, set.images.count, set.name);
  Samples s;
  s.x.resize(count, n);
  s.y.resize(count);
  for (int k = 0; k < count; ++k) {
    auto v = preprocess(set.images.image(first + k), set.images.rows, set.images.cols, in.preprocess);
    for (int j = 0; j < n; ++j) s.x(k, j) = static_cast<float>(v[j]);
    s.y[k] = set.labels[first + k];
  }
  return s;
}

}  // namespace

namespace {

/// The CNN's conv parameters (cnn.model) as a network of the config's spec.
Network cnn_network(const Config& cfg) {
  const fs::path& file = cfg.cnn.model;
  if (file.empty()) fail("{}: cnn.model: missing (model.json with the conv parameters, written by spinxbar train)", cfg.file.string());
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) fail("{}: cnn.model: {}: cannot open", cfg.file.string(), file.string());
  return from_json(read_file(file), model_spec(cfg), file.string());
}

/// Images through the CNN's features and DAC: the crossbar's input voltages.
void to_features(const Config& cfg, InputSet& im) {
  const Network net = cnn_network(cfg);
  const int n = im.inputs, count = im.count();
  MatrixF raw(count + 1, n);
  for (int k = 0; k < count; ++k)
    for (int i = 0; i < n; ++i) raw(k, i) = static_cast<float>(im.x[static_cast<size_t>(k) * n + i]);
  for (int i = 0; i < n; ++i) raw(count, i) = static_cast<float>(im.before[i]);
  const MatrixF f = features(net, raw);
  const bool before_zero = im.first == 0;  // no image before the first
  im.inputs = static_cast<int>(f.cols());
  im.x.resize(static_cast<size_t>(count) * im.inputs);
  for (int k = 0; k < count; ++k)
    for (int i = 0; i < im.inputs; ++i) im.x[static_cast<size_t>(k) * im.inputs + i] = f(k, i);
  im.before.assign(im.inputs, 0.0);  // no image before the first: every line at 0 V
  if (!before_zero)
    for (int i = 0; i < im.inputs; ++i) im.before[i] = f(count, i);
  im.source += " through the CNN features";
}

InputSet load_raw_input_set(const Config& cfg, int first, int count);

}  // namespace

InputSet load_input_set(const Config& cfg, int first, int count) {
  InputSet im = load_raw_input_set(cfg, first, count);
  if (cfg.cnn.enabled) to_features(cfg, im);
  return im;
}

namespace {

InputSet load_raw_input_set(const Config& cfg, int first, int count) {
  const auto& in = cfg.input;
  InputSet im;
  im.first = first;
  im.inputs = input_size(cfg);
  const int n = im.inputs;
  im.before.assign(n, 0.0);
  if (!in.values.empty()) {
    if (static_cast<int>(in.values.size()) != n)
      fail("{}: input.values: the network has {} inputs, got {} values", cfg.file.string(), n, in.values.size());
    if (first != 0 || count > 1)
      fail("{}: input.values gives one image; use input.dataset for images {}..{}", cfg.file.string(), first,
           int64_t{first} + std::max(count, 1) - 1);
    im.x = in.values;
    im.labels = {-1};
    im.source = "input.values";
    return im;
  }
  if (!in.idx_dataset.empty()) {
    // The test split, from the image before the first (the transient's starting state) on.
    // One image more (the one before the first), without passing INT_MAX.
    const int limit = count < 0 ? -1 : static_cast<int>(std::min<int64_t>(int64_t{count} + (first > 0 ? 1 : 0), INT32_MAX));
    Samples s = samples_from(cfg, Split::test, std::max(first - 1, 0), limit, first);
    const int skip = first > 0 ? 1 : 0;
    const int got = static_cast<int>(s.y.size()) - skip;
    if (got <= 0) fail("{}: input.first: {} is past the {} images of {} test", cfg.file.string(), first, first, in.idx_dataset);
    if (count >= 0 && got < count)
      fail("{}: input: images {}..{} requested, the test set has {}", cfg.file.string(), first, int64_t{first} + count - 1,
           got + first);
    if (skip)
      for (int k = 0; k < n; ++k) im.before[k] = s.x(0, k);
    for (int r = skip; r < static_cast<int>(s.y.size()); ++r) {
      for (int k = 0; k < n; ++k) im.x.push_back(s.x(r, k));
      im.labels.push_back(s.y[r]);
    }
    im.source = in.idx_dataset + " test";
    return im;
  }
  if (in.dataset.empty()) fail("{}: input: give values or a dataset", cfg.file.string());
  Matrix data = read_csv(in.dataset);
  if (data.cols != n) fail("{}: has {} values per image, the network has {} inputs", data.source, data.cols, n);
  std::vector<int> labels;
  if (!in.labels.empty()) {
    labels = read_labels(in.labels, cfg.sizes.back());
    if (static_cast<int>(labels.size()) != data.rows)
      fail("{}: {} labels for the {} images of {}", in.labels.string(), labels.size(), data.rows, data.source);
  }
  if (count < 0) count = data.rows - first;
  if (count <= 0 || first > data.rows || count > data.rows - first)
    fail("{}: images {}..{} requested, the file has {}", data.source, first, int64_t{first} + std::max(count, 1) - 1,
         data.rows);
  const Preprocess& p = in.preprocess;
  auto value = [&](int img, int k) {
    double v = data.at(img, k);
    if (std::isnan(v)) fail("{}: value is NaN", data.where(img, k));
    return p.binarize ? (v > 0 ? p.high : v < 0 ? p.low : 0.0) : v;
  };
  if (first > 0)
    for (int k = 0; k < n; ++k) im.before[k] = value(first - 1, k);
  for (int img = first; img < first + count; ++img) {
    for (int k = 0; k < n; ++k) im.x.push_back(value(img, k));
    im.labels.push_back(labels.empty() ? -1 : labels[img]);
  }
  im.source = data.source;
  return im;
}

}  // namespace

std::vector<std::vector<double>> load_inputs(const Config& cfg, int count) {
  InputSet im = load_input_set(cfg, cfg.input.first, count);
  std::vector<std::vector<double>> out;
  for (int k = 0; k < im.count(); ++k)
    out.emplace_back(im.x.begin() + static_cast<ptrdiff_t>(k) * im.inputs, im.x.begin() + static_cast<ptrdiff_t>(k + 1) * im.inputs);
  return out;
}

ModelSpec model_spec(const Config& cfg) {
  double weights = 0;
  for (size_t k = 0; k + 1 < cfg.sizes.size(); ++k) weights += (cfg.sizes[k] + 1.0) * cfg.sizes[k + 1];
  check_elements(weights, cfg.file.string() + ": network.sizes", "weights and biases to train");
  ModelSpec m;
  m.sizes = cfg.sizes;
  m.model = cfg.train.model;
  m.levels = cfg.train.levels < 0 ? cfg.spec.synapse.levels : cfg.train.levels;
  m.activation = cfg.train.activation;
  m.learn_scale = cfg.train.learn_scale;
  m.curve_in = cfg.spec.neuron.curve_in;
  m.curve_out = cfg.spec.neuron.curve_out;
  m.hardware = cfg.spec;
  m.range_quantile = cfg.conversion_quantile;
  if (m.levels != 0) m.hardware.synapse.levels = m.levels;
  m.hardware.layers.clear();
  for (size_t k = 0; k + 1 < cfg.sizes.size(); ++k) {
    netlist::LayerSpec l;
    l.inputs = cfg.sizes[k];
    l.outputs = cfg.sizes[k + 1];
    l.gain = cfg.gains[k];
    m.hardware.layers.push_back(l);
  }
  if (cfg.cnn.enabled) {
    m.input_shape = cfg.cnn.input;
    m.features = cfg.cnn.layers;
    m.dac_bits = cfg.cnn.dac_bits;
    m.dac_low = cfg.cnn.dac_low;
    m.dac_high = cfg.cnn.dac_high;
  }
  if (cfg.sc.enabled) {
    if (m.levels == 0)
      fail("{}: network.levels: stochastic computing stores weights on MTJ pairs: 2, 3, 5 or 11 levels, not float", cfg.file.string());
    m.act_states = cfg.sc.states;
    m.sc_length = cfg.sc.train_sc ? cfg.sc.length : 0;
    const auto& pb = cfg.sc.pbit;
    m.sc_rho = cfg.sc.telegraph ? pb.rho(pb.current_for(0.5)) : 0.0;
  }
  if (m.model == LayerModel::crossbar && m.levels == 0)
    fail("{}: train.weights: the crossbar model needs quantized weights (the synapse levels), not float", cfg.file.string());
  if (m.model == LayerModel::crossbar && cfg.spec.neuron.kind == netlist::NeuronKind::transistor)
    fail("{}: neuron.model: train with model = \"sot\" (the characterized curve of the transistor circuit)", cfg.file.string());
  return m;
}

Samples load_samples(const Config& cfg, Split split, int limit) {
  const int first = split == Split::test ? cfg.input.first : 0;
  return samples_from(cfg, split, first, limit, first);
}

}  // namespace spx::mlp
