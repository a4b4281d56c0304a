// Circuit-level inference runs: a hand-solved two-layer network (outputs, static power, energy from the
// drivers only), resume after an interruption (also mid-row) gives the same images.csv, native and
// ngspice agree, labels files, and the errors of bad runs.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "devices/error.hpp"
#include "devices/periphery.hpp"
#include "devices/random.hpp"
#include "mlp/train.hpp"
#include <fmt/format.h>
#include "errors.hpp"
#include "mlp/generate.hpp"
#include "mlp/run.hpp"
#include "mlp/weights.hpp"
#include "solver/native.hpp"

using namespace spx;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / "spx_run_test" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// The hand-built network: 3 inputs, 2 hidden, 2 outputs; 2x2 tiles, so every layer has two
// h-partitions joined by the merge links; ideal amplifiers and no wire resistance, so every line
// voltage is the conductance-weighted mean of its drivers.
constexpr double kRl = 10e3, kRh = 30e3, kVdd = 1.0, kSlope = 0.1, kWindow = 2e-9;
const double kGains[2] = {3, 4};
// Weights (inputs x outputs), then the bias row.
const double kW1[4][2] = {{1, -1}, {-1, 1}, {1, 1}, {-1, 1}};
const double kW2[3][2] = {{1, -1}, {-1, 1}, {1, -1}};
// The third image drives every line partition from equal voltages: no current flows, both outputs
// sit at vdd/2 and the prediction is a tie.
const double kImages[3][3] = {{1, -1, 1}, {-1, 1, -1}, {-1, -1, 1}};
const int kLabels[3] = {1, 0, 0};

fs::path hand_network(const std::string& name) {
  fs::path d = fresh_dir(name);
  write(d / "W1.csv", "1,-1\n-1,1\n1,1\n");
  write(d / "B1.csv", "-1\n1\n");
  write(d / "W2.csv", "1,-1\n-1,1\n");
  write(d / "B2.csv", "1\n-1\n");
  write(d / "data.csv", "1,-1,1\n-1,1,-1\n-1,-1,1\n");
  write(d / "labels.csv", "1\n0\n0\n");
  write(d / "net.toml", R"([network]
sizes = [3, 2, 2]
weights = "."
levels = 2
gains = [3, 4]
vdd = 1.0
[partition]
tile = [2, 2]
merge = "average"
readout = "loaded"
[amplifier]
ideal = true
[synapse]
r_low = 10e3
r_high = 30e3
[interconnect]
resistance = false
[neuron]
model = "ideal"
slope = 0.1
[input]
dataset = "data.csv"
labels = "labels.csv"
window = 2e-9
)");
  return d / "net.toml";
}

/// One layer by hand: lines (inputs, then the bias line at vdd) in h-partitions of `sizes`; returns
/// the neuron outputs and adds the power dissipated in the synapses.
template <size_t Lines>
std::vector<double> hand_layer(const std::vector<double>& x, const double (&w)[Lines][2], double gain,
                               const std::vector<int>& sizes, double& power, double* vdd_current = nullptr) {
  std::vector<double> v = x;
  v.push_back(kVdd);
  std::vector<double> out;
  for (int r = 0; r < 2; ++r) {
    double z = 0;
    int c0 = 0;
    for (int size : sizes) {
      double line[2];
      for (int side = 0; side < 2; ++side) {  // I+ then I-
        double gsum = 0, gv = 0;
        for (int c = c0; c < c0 + size; ++c) {
          bool low = (w[c][r] > 0) == (side == 0);  // +1: R_low on I+, R_high on I-
          double g = 1 / (low ? kRl : kRh);
          gsum += g;
          gv += g * v[c];
        }
        line[side] = gv / gsum;
        for (int c = c0; c < c0 + size; ++c) {
          bool low = (w[c][r] > 0) == (side == 0);
          power += (v[c] - line[side]) * (v[c] - line[side]) / (low ? kRl : kRh);
          if (vdd_current && c + 1 == static_cast<int>(v.size())) *vdd_current += (kVdd - line[side]) / (low ? kRl : kRh);
        }
      }
      z += gain * (line[0] - line[1]) / static_cast<double>(sizes.size());
      c0 += size;
    }
    out.push_back(kVdd / (1 + std::exp(z / kSlope)));
  }
  return out;
}

mlp::RunOutcome run(const fs::path& config, const fs::path& out, mlp::Backend backend = mlp::Backend::native,
                    int stop_after = -1, bool resume = false, bool transient = false,
                    const std::vector<std::string>& set = {}) {
  auto cfg = mlp::load_config(config, set);
  mlp::load_network(cfg);
  mlp::RunOptions o;
  o.backend = backend;
  o.out = out;
  o.stop_after = stop_after;
  o.resume = resume;
  o.transient = transient;
  return mlp::run_network(cfg, o);
}

const fs::path kSmall = SPX_SOURCE_DIR "/examples/small/small.toml";
const fs::path kSmallSot = SPX_SOURCE_DIR "/examples/small/small_sot.toml";

}  // namespace

TEST_CASE("a hand-solved two-layer network: outputs, predictions, static power from the drivers") {
  fs::path cfg = hand_network("hand");
  fs::path out = cfg.parent_path() / "out";
  auto o = run(cfg, out);
  REQUIRE(o.complete);
  REQUIRE(o.total == 3);
  auto rows = slurp(out / "images.csv");
  std::istringstream lines(rows);
  std::string line;
  std::getline(lines, line);
  CHECK(line == "index,label,prediction,reference,out_0,out_1,power_w,energy_j,energy_static_j,energy_dynamic_j,"
                "energy_drivers_j,energy_arrays_j,energy_amplifiers_j,energy_neurons_j,energy_conversion_j,energy_imac_sim_j,"
                "latency_s,latency_l1_s,latency_l2_s");
  // The system model by hand (mlp/system.hpp) with the default peripherals: ideal amplifiers and no
  // wire resistance leave the neurons' RC as the only delay, ln(1/0.01) r_out (c_out + c_load) per
  // layer; 2 + 2 h-partitions x 2 neurons = 8 amplifiers at I_q between +-1 V; 3 input DACs and 2
  // buffers at 3.9 uW; 4 neurons at their supply current from 1 V.
  const auto dyn = devices::default_neuron_dynamics();
  const double layer_t = std::log(100.0) * dyn.r_out * (dyn.c_out + dyn.c_load), T = 2 * layer_t;
  const double p_periphery = 8 * 100e-6 * 2 + 5 * 3.9e-6 + 4 * dyn.i_supply * kVdd;
  int correct = 0;
  bool any_vdd_current = false;
  for (int img = 0; img < 3; ++img) {
    double power = 0, i_vdd = 0;
    auto hidden = hand_layer({kImages[img][0], kImages[img][1], kImages[img][2]}, kW1, kGains[0], {2, 2}, power, &i_vdd);
    auto y = hand_layer(hidden, kW2, kGains[1], {2, 1}, power, &i_vdd);
    REQUIRE(std::getline(lines, line));
    std::vector<double> f;
    std::istringstream fields(line);
    for (std::string s; std::getline(fields, s, ',');) f.push_back(s.empty() ? NAN : std::stod(s));
    if (line.back() == ',') f.push_back(NAN);
    REQUIRE(f.size() == 19);
    CAPTURE(line);
    CHECK(f[0] == img);
    CHECK(f[1] == kLabels[img]);
    const int predicted = y[0] > y[1] ? 0 : y[1] > y[0] ? 1 : -1;
    CHECK((predicted == -1) == (img == 2));
    CHECK(f[2] == predicted);
    CHECK(f[3] == predicted);  // the floating-point reference (no wire R here either)
    CHECK(std::fabs(f[4] - y[0]) < 1e-9);
    CHECK(std::fabs(f[5] - y[1]) < 1e-9);
    CHECK(f[6] == doctest::Approx(power + p_periphery).epsilon(1e-9));      // static power
    CHECK(f[8] == doctest::Approx((power + p_periphery) * T).epsilon(1e-9)); // static energy
    CHECK(f[11] == doctest::Approx(power * T).epsilon(1e-9));                // arrays: the synapses' dissipation
    CHECK(f[12] >= 8 * 100e-6 * 2 * T * (1 - 1e-12));                        // amplifiers: quiescent and more
    CHECK(f[9] >= 0);                                                        // dynamic: C V dV
    CHECK(f[7] == doctest::Approx(f[8] + f[9]).epsilon(1e-12));
    CHECK(f[14] == 0);  // conversion: none (analog merge)
    CHECK(f[7] == doctest::Approx(f[10] + f[11] + f[12] + f[13] + f[14]).epsilon(1e-12));
    // IMAC-Sim's measure: the bias supply's and the neurons' power over the 2 ns input window.
    CHECK(i_vdd >= 0);
    any_vdd_current = any_vdd_current || i_vdd > 1e-9;
    CHECK(f[15] == doctest::Approx((kVdd * i_vdd + 4 * dyn.i_supply * kVdd) * 2e-9).epsilon(1e-9));
    CHECK(f[16] == doctest::Approx(T).epsilon(1e-12));
    CHECK(f[17] == doctest::Approx(layer_t).epsilon(1e-12));  // settled through layer 1
    CHECK(f[18] == doctest::Approx(T).epsilon(1e-12));        // through layer 2
    if (predicted == kLabels[img]) ++correct;
  }
  CHECK(any_vdd_current);
  CHECK(o.summary["accuracy"].get<double>() == doctest::Approx(correct / 3.0));
  CHECK(o.summary["correct"].get<int>() == correct);
  CHECK(o.summary["ties"].get<int>() == 1);
  CHECK(o.summary["confusion"]["counts"][0][2].get<int>() == 1);  // label 0, tie column
  CHECK(fs::exists(out / "summary.json"));

  // With IMAC-Sim's milliohm merge links, the element dissipation would count the links' circulating
  // currents between ideal amplifiers (no supply pays for them); the energy does not.
  auto c = mlp::load_config(cfg, {"amplifier.merge_r=1e-3"});
  mlp::load_network(c);
  auto g = mlp::generate(c, 1);
  auto res = solver::simulate_native(g.circuit);
  REQUIRE(res[0].report.ok());
  auto volt = [&](netlist::NodeId n) { return n == netlist::ground ? 0.0 : res[0].vectors.at("v(" + g.circuit.node_name(n) + ")")[0]; };
  double links = 0;
  for (const auto& e : g.circuit.elements)
    if (e.kind == netlist::ElementKind::resistor && e.origin.role == netlist::Role::merge)
      links += std::pow(volt(e.a) - volt(e.b), 2) / e.value;
  double power0 = 0;
  hand_layer({kImages[0][0], kImages[0][1], kImages[0][2]}, kW1, kGains[0], {2, 2}, power0);
  CHECK(links > 100 * power0);
}

TEST_CASE("an interrupted run resumes to the same images.csv, also after a torn row") {
  fs::path base = fresh_dir("resume");
  for (bool transient : {false, true}) {
    CAPTURE(transient);
    fs::path whole = base / (transient ? "whole_tran" : "whole"), parts = base / (transient ? "parts_tran" : "parts");
    auto full = run(kSmall, whole, mlp::Backend::native, -1, false, transient);
    REQUIRE(full.complete);
    REQUIRE(full.total == 6);
    auto first = run(kSmall, parts, mlp::Backend::native, 2, false, transient);
    CHECK_FALSE(first.complete);
    CHECK(first.done == 2);
    CHECK_FALSE(fs::exists(parts / "summary.json"));
    // A run killed while writing row 2 leaves part of it behind.
    std::ofstream(parts / "images.csv", std::ios::app) << "2,-1,0,0,0.95";
    CHECK(error_of([&] { run(kSmall, parts, mlp::Backend::native, -1, false, transient); }).find("--resume") !=
          std::string::npos);
    auto second = run(kSmall, parts, mlp::Backend::native, 3, true, transient);
    CHECK(second.done == 5);
    CHECK(second.simulated == 3);
    auto third = run(kSmall, parts, mlp::Backend::native, -1, true, transient);
    REQUIRE(third.complete);
    CHECK(third.simulated == 1);
    CHECK(slurp(parts / "images.csv") == slurp(whole / "images.csv"));
    CHECK(third.summary["accuracy"] == full.summary["accuracy"]);
    CHECK(third.summary["energy_j"] == full.summary["energy_j"]);
    CHECK(third.summary["latency_s"] == full.summary["latency_s"]);
    if (transient) CHECK(third.summary["latency_s"]["max"].get<double>() > 0);
  }
  // A resumed run must be the same run.
  std::string e = error_of([&] {
    run(kSmall, base / "parts", mlp::Backend::native, -1, true, false, {"network.gains=[5, 5]"});
  });
  CHECK(e.find("run.json: fingerprint") == std::string::npos);  // --set is named, not a hash
  CHECK(e.find("run.json: set") != std::string::npos);
  e = error_of([&] { run(kSmall, base / "parts", mlp::Backend::ngspice, -1, true); });
  CHECK(e.find("run.json: backend") != std::string::npos);
  // Changed weights make another run.
  fs::path hand = hand_network("resume_hand");
  CHECK_FALSE(run(hand, hand.parent_path() / "out", mlp::Backend::native, 1).complete);
  write(hand.parent_path() / "W2.csv", "-1,-1\n-1,1\n");
  e = error_of([&] { run(hand, hand.parent_path() / "out", mlp::Backend::native, -1, true); });
  CHECK(e.find("run.json: fingerprint: the config, weight, data or label files changed") != std::string::npos);
}

TEST_CASE("native and ngspice runs agree on the small network") {
  fs::path base = fresh_dir("agree");
  auto a = run(kSmall, base / "native");
  auto b = run(kSmall, base / "ngspice", mlp::Backend::ngspice);
  REQUIRE(a.complete);
  REQUIRE(b.complete);
  auto g = mlp::compare_runs(base / "native", base / "ngspice");
  CHECK(g.images == 6);
  CHECK(g.same_prediction == 6);
  CHECK(g.max_output_diff < 1e-6);
  CHECK(g.max_energy_rel < 1e-6);
  CHECK(a.summary["accuracy"] == b.summary["accuracy"]);
  // Transient windows with wire capacitance and the SOT neuron curve: ngspice picks its own time
  // points, so the agreement is looser.
  auto ta = run(kSmallSot, base / "native_tran", mlp::Backend::native, 3, false, true);
  auto tb = run(kSmallSot, base / "ngspice_tran", mlp::Backend::ngspice, 3, false, true);
  auto tg = mlp::compare_runs(base / "native_tran", base / "ngspice_tran");
  CHECK(tg.images == 3);
  CHECK(tg.same_prediction == 3);
  CHECK(tg.max_output_diff < 1e-5);
  // Energy integrates to the settling time, which each resolves to its own time points.
  CHECK(tg.max_energy_rel < 1e-2);
}

TEST_CASE("labels files and bad runs") {
  fs::path d = fresh_dir("labels");
  write(d / "onehot.csv", "0,1,0\n1,0,0\n");
  write(d / "class.csv", "2\n0\n");
  CHECK(mlp::read_labels(d / "onehot.csv", 3) == std::vector<int>{1, 0});
  CHECK(mlp::read_labels(d / "class.csv", 3) == std::vector<int>{2, 0});
  write(d / "two.csv", "0,1,1\n");
  CHECK(error_of([&] { mlp::read_labels(d / "two.csv", 3); }).find("two.csv:1:3: a second 1") != std::string::npos);
  write(d / "none.csv", "0,0,0\n");
  CHECK(error_of([&] { mlp::read_labels(d / "none.csv", 3); }).find("none.csv:1: a one-hot label row without a 1") !=
        std::string::npos);
  CHECK(error_of([&] { mlp::read_labels(d / "class.csv", 2); }).find("class.csv:1:1: label 2 is not a class") !=
        std::string::npos);
  CHECK(error_of([&] { mlp::read_labels(d / "onehot.csv", 4); }).find("one-hot rows of 4") != std::string::npos);

  fs::path cfg = hand_network("bad");
  write(cfg.parent_path() / "labels.csv", "1\n");
  CHECK(error_of([&] { run(cfg, cfg.parent_path() / "o1"); }).find("labels.csv: 1 labels for the 3 images") !=
        std::string::npos);
  write(cfg.parent_path() / "labels.csv", "1\n0\n0\n");
  write(cfg.parent_path() / "data.csv", "1,-1\n-1,-1\n");
  CHECK(error_of([&] { run(cfg, cfg.parent_path() / "o2"); }).find("has 2 values per image, the network has 3 inputs") !=
        std::string::npos);
  write(cfg.parent_path() / "data.csv", "1,-1,1\n-1,1,-1\n-1,-1,1\n");
  write(cfg.parent_path() / "W2.csv", "1,-1\nnan,1\n");
  CHECK(error_of([&] { run(cfg, cfg.parent_path() / "o3"); }).find("W2.csv:2:1: value is NaN") != std::string::npos);
  write(cfg.parent_path() / "W2.csv", "1,-1\n-1,1\n");
  CHECK(error_of([&] { run(cfg, cfg.parent_path() / "o4", mlp::Backend::native, -1, false, false,
                           {"input.dataset=\"missing.csv\""}); })
            .find("missing.csv") != std::string::npos);
  CHECK(error_of([&] { run(cfg, cfg.parent_path() / "o5", mlp::Backend::native, -1, false, false,
                           {"input.dataset=\"no-such-dir/\""}); })
            .find("no-such-dir") != std::string::npos);
  CHECK_FALSE(fs::exists(cfg.parent_path() / "o1"));  // nothing is written before the inputs are good
}

TEST_CASE("one writer per run directory; bad output paths; nothing left behind by a failing run") {
  fs::path cfg = hand_network("lock");
  const fs::path d = cfg.parent_path();
  // Another process's run holds the lock (an flock on DIR/run.lock, as run_network takes it).
  fs::create_directories(d / "held");
  write(d / "held" / "run.lock", "pid 4242, started 2026-01-01 00:00:00\n");
  {
    const int fd = ::open((d / "held" / "run.lock").c_str(), O_RDWR);
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
    // flock locks belong to the open file description: a second open in this process conflicts.
    CHECK(error_of([&] { run(cfg, d / "held"); }) ==
          (d / "held").string() + ": in use by another run (pid 4242, started 2026-01-01 00:00:00); wait for it to end or "
                                  "choose another --out");
    CHECK(error_of([&] { run(cfg, d / "held", mlp::Backend::native, -1, true); }).find("in use by another run") !=
          std::string::npos);
    ::close(fd);
  }
  CHECK(run(cfg, d / "held").complete);  // free again
  CHECK(slurp(d / "held" / "run.lock").rfind("pid ", 0) == 0);

  // A transient window of 2e9 steps is refused before anything is written.
  CHECK(error_of([&] { run(cfg, d / "steps", mlp::Backend::native, -1, false, true, {"run.step=1e-18"}); }) ==
        cfg.string() + ": run.step: 2e+09 time points per image window (input.window / run.step), above the limit of "
                       "1e+07 (raise it with --max-points)");
  CHECK_FALSE(fs::exists(d / "steps"));
  write(d / "afile", "x");
  CHECK(error_of([&] { run(cfg, d / "afile"); }) == (d / "afile").string() + ": --out: exists and is not a directory");
  CHECK(slurp(d / "afile") == "x");
  // A failure after the directory was made (a numerically failing circuit is not input: a singular
  // solve throws std::runtime_error) removes what the run made.
  const std::string before = slurp(cfg);
  write(cfg, before + "\n[neuron]\nslope = 1e-300\n");
  CHECK_THROWS(run(cfg, d / "made" / "deeper"));
  CHECK_FALSE(fs::exists(d / "made" / "deeper"));
  write(cfg, before);
}

namespace {

/// The small network on 300 random +-1 images (a CSV dataset beside a copy of its files).
fs::path small_with_random_images(const std::string& name) {
  fs::path d = fresh_dir(name);
  for (const char* f : {"small.toml", "W1.csv", "B1.csv", "W2.csv", "B2.csv"})
    fs::copy_file(fs::path(SPX_SOURCE_DIR "/examples/small") / f, d / f);
  std::string data, labels;
  devices::CellRng rng(77, 0, 0, 0, devices::Purpose::other);
  for (int i = 0; i < 300; ++i) {
    for (int k = 0; k < 16; ++k) data += fmt::format("{}{}", k ? "," : "", rng.uniform() < 0.5 ? -1 : 1);
    data += "\n";
    labels += fmt::format("{}\n", i % 4);
  }
  write(d / "test_data.csv", data);
  write(d / "test_labels.csv", labels);
  return d / "small.toml";
}

}  // namespace

TEST_CASE("partial-sum conversion: the trainer's model computes what the circuit computes, on the same draws") {
  // No wire resistance: the crossbar model is the circuit's closed form, so with the converters'
  // streams shared, circuit and model agree output by output (float against double: a partial sum
  // within rounding of a quantizer edge or a switching threshold may convert differently).
  const fs::path cfg_path = small_with_random_images("conv_model");
  const std::vector<std::string> set = {"interconnect.resistance=false", "conversion.mode=[\"adc\",\"stochastic-mtj\"]",
                                        "conversion.bits=3", "conversion.samples=3", "conversion.range=[1.2,0.8]",
                                        "conversion.noise=0.4", "conversion.seed=5"};
  auto cfg = mlp::load_config(cfg_path, set);
  mlp::load_network(cfg);
  mlp::RunOptions o;
  o.out = cfg_path.parent_path() / "run";
  auto outcome = mlp::run_network(cfg, o);
  REQUIRE(outcome.complete);
  // The model: the same weights in the crossbar closed form with the same conversion.
  mlp::Config c = cfg;
  c.train.model = mlp::LayerModel::crossbar;
  mlp::Network net = mlp::from_weights(cfg.weights, mlp::model_spec(c));
  auto im = mlp::load_input_set(cfg, 0, -1);
  mlp::MatrixF x(im.count(), im.inputs);
  for (int k = 0; k < im.count(); ++k)
    for (int i = 0; i < im.inputs; ++i) x(k, i) = static_cast<float>(im.x[static_cast<size_t>(k) * im.inputs + i]);
  const mlp::MatrixF y = mlp::predict(net, x, im.first);
  std::istringstream rows(slurp(o.out / "images.csv"));
  std::string line;
  std::getline(rows, line);
  int k = 0, close = 0, same = 0;
  while (std::getline(rows, line)) {
    std::vector<double> v;
    std::istringstream f(line);
    for (std::string cell; std::getline(f, cell, ',');) v.push_back(std::atof(cell.c_str()));
    double worst = 0;
    for (int j = 0; j < 4; ++j) worst = std::max(worst, std::fabs(v[4 + j] - y(k, j)));
    close += worst < 1e-4;
    // Prediction == reference (the model's class), unless the two best outputs tie within rounding
    // (quantized conversions make exact ties common; float and double break them differently).
    std::vector<double> out(v.begin() + 4, v.begin() + 8);
    std::sort(out.begin(), out.end());
    same += v[2] == v[3] || out[3] - out[2] < 1e-6;
    ++k;
  }
  CHECK(k == 300);
  CHECK(close >= 294);
  CHECK(same >= 294);
  // The converters change the outputs (this is not the analog network again).
  auto analog = mlp::load_config(cfg_path, {"interconnect.resistance=false"});
  mlp::load_network(analog);
  mlp::Network plain = mlp::from_weights(analog.weights, [&] {
    mlp::Config a = analog;
    a.train.model = mlp::LayerModel::crossbar;
    return mlp::model_spec(a);
  }());
  CHECK((mlp::predict(plain, x, im.first) - y).cwiseAbs().maxCoeff() > 1e-2);
}

TEST_CASE("partial-sum conversion: the same seed gives the same run on 1 and 2 threads; another seed differs") {
  const fs::path cfg_path = small_with_random_images("conv_threads");
  const std::vector<std::string> set = {"conversion.mode=\"stochastic-mtj\"", "conversion.samples=4", "conversion.range=1.0"};
  auto cfg = mlp::load_config(cfg_path, set);
  mlp::load_network(cfg);
  std::string csv[3];
  for (int t = 0; t < 3; ++t) {
    mlp::RunOptions o;
    o.out = cfg_path.parent_path() / fmt::format("run{}", t);
    o.threads = t == 0 ? 1 : 2;
    mlp::Config c = cfg;
    if (t == 2) c.spec.conversion_seed = 2;
    REQUIRE(mlp::run_network(c, o).complete);
    csv[t] = slurp(o.out / "images.csv");
  }
  CHECK(csv[0] == csv[1]);
  CHECK(csv[0] != csv[2]);
}

/// Transient windows of the first `images` images of the small SOT example with `set`, on `threads`.
mlp::RunOutcome small_transient(const fs::path& out, const std::vector<std::string>& set, int images, int threads = -1) {
  auto cfg = mlp::load_config(kSmallSot, set);
  mlp::load_network(cfg);
  mlp::RunOptions o;
  o.out = out;
  o.transient = true;
  o.images = images;
  o.threads = threads;
  auto outcome = mlp::run_network(cfg, o);
  REQUIRE(outcome.complete);
  return outcome;
}

TEST_CASE("transient windows: the same images.csv on 1 and 2 threads") {
  // Full solves run consecutive images on each thread, each with its own circuit and system.
  fs::path base = fresh_dir("tran_threads");
  std::string csv[2];
  for (int t = 0; t < 2; ++t) {
    const fs::path out = base / fmt::format("t{}", t + 1);
    small_transient(out, {"input.window=5e-9"}, 4, t + 1);  // settled; short for sanitizer builds
    csv[t] = slurp(out / "images.csv");
  }
  CHECK(std::count(csv[0].begin(), csv[0].end(), '\n') >= 4);
  CHECK(csv[0] == csv[1]);
}

TEST_CASE("transient windows with the interconnect reduced onto its ports agree with the full circuit") {
  fs::path base = fresh_dir("tran_reduced");
  const std::vector<std::string> set = {"partition.tile=[16,16]", "interconnect.capacitance=true", "input.window=5e-9"};
  nlohmann::json summary[2];
  for (int k = 0; k < 2; ++k) {
    auto s = set;
    s.push_back(k == 0 ? "run.interconnect=\"reduced\"" : "run.interconnect=\"full\"");
    summary[k] = small_transient(base / fmt::format("r{}", k), s, 3).summary;
  }
  REQUIRE(summary[0].contains("interconnect"));
  CHECK(summary[0]["interconnect"]["reduced_parts"].get<int>() > 0);
  CHECK(!summary[1].contains("interconnect"));
  auto g = mlp::compare_runs(base / "r0", base / "r1");
  MESSAGE("reduced vs full: outputs within ", g.max_output_diff, " V, energy within ", g.max_energy_rel);
  CHECK(g.images == 3);
  CHECK(g.same_prediction == g.images);
  CHECK(g.max_output_diff < 1e-4);
  CHECK(g.max_energy_rel < 1e-3);
  // IMAC-Sim's measure, integrated over the 5 ns windows: the same on both circuits.
  const double imac[2] = {summary[0]["energy_imac_sim_j"]["mean"].get<double>(), summary[1]["energy_imac_sim_j"]["mean"].get<double>()};
  CHECK(imac[1] > 0);
  CHECK(imac[0] == doctest::Approx(imac[1]).epsilon(1e-3));
}

TEST_CASE("transient windows too short for the network are counted as unsettled") {
  fs::path base = fresh_dir("tran_unsettled");
  int unsettled[2];
  for (int k = 0; k < 2; ++k) {
    const auto out = small_transient(base / fmt::format("w{}", k), {k == 0 ? "input.window=0.5e-9" : "input.window=8e-9"}, 2);
    unsettled[k] = out.summary["unsettled_images"].get<int>();
  }
  CHECK(unsettled[0] == 2);  // still settling when the window ends
  CHECK(unsettled[1] == 0);
}

TEST_CASE("saturated outputs: exact ties are decided by the neuron inputs, as the reference decides") {
  // Gains of 1000 drive the ideal sigmoid's outputs to exactly vdd (and 0) in double precision; without
  // wire resistance the circuit computes the reference's closed form, so both must pick the same class.
  const fs::path base = fresh_dir("saturated");
  for (const char* merge : {"average", "sum"}) {
    CAPTURE(merge);
    const fs::path out = base / merge;
    auto o = run(kSmall, out, mlp::Backend::native, -1, false, false,
                 {"network.gains=[1000, 1000]", "interconnect.resistance=false", fmt::format("partition.merge={}", merge)});
    REQUIRE(o.complete);
    // The outputs do tie exactly at the top on some images: the test exercises the rule.
    std::istringstream rows(slurp(out / "images.csv"));
    std::string line;
    std::getline(rows, line);
    int exact_ties = 0, images = 0;
    while (std::getline(rows, line)) {
      std::vector<double> f;
      std::stringstream ls(line);
      std::string cell;
      while (std::getline(ls, cell, ',')) f.push_back(std::stod(cell));
      std::vector<double> outs(f.begin() + 4, f.begin() + 8);
      std::sort(outs.begin(), outs.end());
      exact_ties += outs[3] == outs[2];
      CHECK(f[2] == f[3]);  // prediction == reference
      CHECK(f[2] >= 0);
      ++images;
    }
    CHECK(images == 6);
    CHECK(exact_ties > 0);
    CHECK(o.summary["ties"] == 0);
    CHECK(o.summary["reference"]["agreement"].get<double>() == 1.0);
  }
}
