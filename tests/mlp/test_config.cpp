// Configuration files: the example loads; every kind of bad key or value names file:line and key;
// generated netlists (DC and PWL windows) agree with each other; HSPICE text has no ngspice syntax.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <functional>

#include "devices/error.hpp"
#include "devices/limits.hpp"
#include "errors.hpp"
#include "mlp/config.hpp"
#include "mlp/generate.hpp"
#include "solver/native.hpp"

using namespace spx;
namespace fs = std::filesystem;

namespace {

const fs::path kExample = SPX_SOURCE_DIR "/examples/small/small.toml";

fs::path scratch(const std::string& name, const std::string& text) {
  fs::path d = fs::temp_directory_path() / "spx_config_test";
  fs::create_directories(d);
  for (const char* f : {"W1.csv", "B1.csv", "W2.csv", "B2.csv", "test_data.csv"})
    fs::copy_file(kExample.parent_path() / f, d / f, fs::copy_options::overwrite_existing);
  std::ofstream(d / name) << text;
  return d / name;
}

const std::string kBase = "[network]\nsizes = [16, 8, 4]\nweights = \".\"\n[input]\ndataset = \"test_data.csv\"\n";

}  // namespace

TEST_CASE("the example configuration loads with its documented values") {
  auto cfg = mlp::load_config(kExample);
  CHECK(cfg.sizes == std::vector<int>{16, 8, 4});
  CHECK(cfg.gains == std::vector<double>{10, 10});
  CHECK(cfg.spec.tile_rows == 4);
  CHECK(cfg.spec.synapse.r_low == doctest::Approx(8488.26363157));
  CHECK(cfg.spec.synapse.r_high == doctest::Approx(25464.7908947));
  CHECK(cfg.spec.wire.input_segment_r() == doctest::Approx(9.24).epsilon(1e-3));
  mlp::load_network(cfg);
  CHECK(cfg.spec.layers.size() == 2);
  auto x = mlp::load_inputs(cfg, 2);
  CHECK(x.size() == 2);
  for (double v : x[0]) CHECK(std::fabs(v) == 1.0);
}

TEST_CASE("configuration errors name file:line and the key") {
  auto err = [](const std::string& text) {
    fs::path p = scratch("bad.toml", text);
    std::string e = error_of([&] {
      auto c = mlp::load_config(p);
      mlp::load_network(c);
      mlp::load_inputs(c, 1);
    });
    // Messages name the config by the path it was given; drop the scratch directory here.
    std::string dir = p.parent_path().string() + "/";
    for (size_t k; (k = e.find(dir)) != std::string::npos;) e.erase(k, dir.size());
    return e;
  };
  CHECK(err(kBase + "[partition]\ntile = [1, 4]\n") == "bad.toml:7: partition.tile: must be >= 2 rows, got 1");
  CHECK(err(kBase + "[mtj]\nra = -1\n") == "bad.toml:7: mtj.ra: must be > 0 ohm.m^2, got -1");
  CHECK(err(kBase + "[mtj]\ntmr0 = \"lots\"\n") == "bad.toml:7: mtj.tmr0: 'lots' is not a number");
  CHECK(err(kBase + "[interconnect]\nnode = \"9n\"\nresistence = true\n").rfind("bad.toml:8: unknown key 'interconnect.resistence' (known: ", 0) == 0);
  CHECK(err(kBase + "[partition]\nmerge = \"median\"\n") == "bad.toml:7: partition.merge: must be one of average, sum, got 'median'");
  CHECK(err(kBase + "[netwerk]\nx = 1\n").rfind("bad.toml:6: unknown section [netwerk]", 0) == 0);
  CHECK(err(kBase + "[synapse]\nvariation_percent = 150\n") == "bad.toml:7: synapse.variation_percent: must be in [0, 100], got 150");
  CHECK(err("[network]\nsizes = [16, 8, 4]\nweights = \".\"\ngains = [1, 2, 3]\n") ==
        "bad.toml: network.gains: needs one gain per layer (2), got 3");
  CHECK(err("[network]\nsizes = [16, 9, 4]\nweights = \".\"\n") == "W1.csv: expected 16 x 9 (inputs x outputs), got 16 x 8");
  CHECK(err("[network]\nsizes = 16\n") == "bad.toml:2: network.sizes: must be an array of integers");
  CHECK(err("[network\n").rfind("bad.toml:1: ", 0) == 0);
  CHECK(err("[network]\nsizes = [17, 8, 4]\nweights = \"nowhere\"\n").find("W1.csv: cannot open") != std::string::npos);
  CHECK(err(kBase + "[neuron]\nmodel = \"curve\"\n") == "bad.toml: neuron.curve: the curve model needs a curve file");
}

TEST_CASE("inputs: dataset shape, image range and NaN are checked") {
  fs::path p = scratch("in.toml", "[network]\nsizes = [16, 8, 4]\nweights = \".\"\n[input]\ndataset = \"test_data.csv\"\nfirst = 4\n");
  auto cfg = mlp::load_config(p);
  CHECK(error_of([&] { mlp::load_inputs(cfg, 3); }) == "test_data.csv: images 4..6 requested, the file has 6");
  CHECK_NOTHROW(mlp::load_inputs(cfg, 2));
}

TEST_CASE("a PWL netlist of N images measures what N DC netlists compute") {
  auto cfg = mlp::load_config(kExample);
  mlp::load_network(cfg);
  cfg.spec.amplifier.gbw = 0;  // instant op-amps: every window settles to its operating point exactly
  const int n = 3;
  auto g = mlp::generate(cfg, n);
  REQUIRE(g.circuit.measures.size() == n * 4);
  auto tran = solver::simulate_native(g.circuit);
  REQUIRE(tran[0].report.ok());
  const auto& t = tran[0].scale;
  for (int j = 0; j < n; ++j) {
    mlp::Config one = cfg;
    one.input.first = j;
    auto dc = mlp::generate(one, 1);
    auto op = solver::simulate_native(dc.circuit);
    REQUIRE(op[0].report.ok());
    for (int k = 0; k < 4; ++k) {
      const auto& m = g.circuit.measures[static_cast<size_t>(j) * 4 + k];
      // Value at the measurement time (the transient has a point within a step of it).
      size_t idx = static_cast<size_t>(std::lower_bound(t.begin(), t.end(), m.time) - t.begin());
      double v_tran = tran[0].vectors.at("v(" + g.circuit.node_name(m.node) + ")")[idx];
      double v_dc = op[0].vectors.at("v(" + dc.circuit.node_name(dc.ports.outputs[k]) + ")")[0];
      CAPTURE(j);
      CAPTURE(k);
      CHECK(v_tran == doctest::Approx(v_dc).epsilon(1e-9));
    }
  }
}

TEST_CASE("HSPICE text: E/G elements with quoted expressions, PWL(1) neurons extended linearly") {
  auto cfg = mlp::load_config(kExample);
  mlp::load_network(cfg);
  cfg.spec.mtj_bias_dependence = true;
  cfg.spec.neuron.kind = netlist::NeuronKind::curve;
  cfg.spec.neuron.curve_in = {-1, 0, 1};
  cfg.spec.neuron.curve_out = {1, 0.5, 0};
  auto g = mlp::generate(cfg, 2);
  auto text = netlist::write_spice(g.circuit, netlist::Dialect::hspice).text;
  CHECK(text.find("{") == std::string::npos);
  CHECK(text.find("\nb") == std::string::npos);
  CHECK(text.find("^") == std::string::npos);
  CHECK(text.find("cur='") != std::string::npos);
  CHECK(text.find("pwr(abs(") != std::string::npos);
  // The curve neuron: end points 1000 spans out on the end segments' lines (slope -0.5).
  auto pos = text.find("eb_l1_n_0 l1_oi_0 0 pwl(1) l1_z_0 0 -2001,1001 -1,1 0,0.5 1,0 2001,-1000");
  CHECK(pos != std::string::npos);
  CHECK(text.find(".meas tran out_1_3 find v(l2_o_3) at=") != std::string::npos);
}

TEST_CASE("every example configuration loads, generates and runs on the native solver") {
  int seen = 0;
  for (const auto& entry : fs::recursive_directory_iterator(SPX_SOURCE_DIR "/examples")) {
    if (entry.path().extension() != ".toml") continue;
    if (entry.path().parent_path().filename() == "studies") continue;  // study files: tests/study loads them
    CAPTURE(entry.path().string());
    auto cfg = mlp::load_config(entry.path());
    if (cfg.weights_dir.empty()) continue;  // a training-only configuration (software model)
    if (cfg.sc.enabled) continue;           // stochastic computing: tests/sc runs it on its engine
    mlp::load_network(cfg);
    auto g = mlp::generate(cfg, cfg.input.images);
    if (cfg.spec.neuron.kind == netlist::NeuronKind::transistor) continue;  // ngspice only
    auto r = solver::simulate_native(g.circuit);
    REQUIRE(r.size() == 1);
    CHECK_MESSAGE(r[0].report.ok(), r[0].report.detail);
    ++seen;
  }
  CHECK(seen >= 2);
}

TEST_CASE("command-line overrides replace or add keys and are named in errors") {
  auto base = mlp::load_config(kExample);
  CHECK(base.spec.wire_r);
  auto c = mlp::load_config(kExample, {"interconnect.resistance=false", "partition.tile=[8, 8]", "run.analysis=tran",
                                       "neuron.model=ideal"});
  CHECK_FALSE(c.spec.wire_r);
  CHECK(c.spec.tile_rows == 8);
  CHECK(c.run.transient);
  CHECK(c.overrides.size() == 4);
  CHECK(error_of([] { mlp::load_config(kExample, {"interconnect.resistance=2"}); }) ==
        "--set interconnect.resistance=2: interconnect.resistance: must be true or false");
  CHECK(error_of([] { mlp::load_config(kExample, {"neuron.modl=1"}); }).find("--set neuron.modl=1: unknown key 'neuron.modl'") == 0);
  CHECK(error_of([] { mlp::load_config(kExample, {"resistance=false"}); }).find("expected section.key=value") !=
        std::string::npos);
  CHECK(error_of([] { mlp::load_config(kExample, {"run.threads=0"}); }) == "--set run.threads=0: run.threads: must be >= 1, got 0");
}

TEST_CASE("network.preset = imac-sim fills the keys the file and --set leave out") {
  const std::string preset = "[network]\npreset = \"imac-sim\"\n" + kBase.substr(10);
  auto c = mlp::load_config(scratch("preset.toml", preset));
  CHECK(c.spec.tile_rows == 32);
  CHECK(c.spec.tile_cols == 1);
  CHECK(c.spec.split == netlist::SplitRule::imac);
  CHECK(c.spec.pad_tiles);
  CHECK(c.spec.tile_bias);
  CHECK(c.spec.merge == netlist::MergeMode::sum);
  CHECK(c.spec.amplifier.gbw == 0);
  CHECK(c.spec.amplifier.c_load == 500e-15);
  CHECK(c.spec.neuron.dyn.c_load == 500e-15);
  CHECK(c.spec.neuron.sot.r_in == 0);  // an ideal neuron has no MTJs of its own
  // The file's keys and --set win; the neuron's MTJs come with the transistor-level models.
  auto e = mlp::load_config(kExample, {"network.preset=imac-sim", "partition.bias=last"});
  CHECK(e.spec.tile_rows == 4);
  CHECK(e.spec.merge == netlist::MergeMode::average);
  CHECK(e.spec.split == netlist::SplitRule::imac);
  CHECK_FALSE(e.spec.tile_bias);
  auto d = mlp::load_config(scratch("preset.toml", preset + "[neuron]\nmodel = \"sot-transistor\"\n"));
  CHECK(d.spec.neuron.sot.r_in == 78e3);
  CHECK(d.spec.neuron.sot.r_feedback == 202e3);
  CHECK(d.spec.neuron.sot.v_shift == 0.4);
  // The neuron model given by --set decides too.
  auto f = mlp::load_config(scratch("preset.toml", preset), {"neuron.model=sot-transistor"});
  CHECK(f.spec.neuron.sot.r_feedback == 202e3);
  CHECK(error_of([] { mlp::load_config(kExample, {"network.preset=imac"}); }) ==
        "--set network.preset=imac: network.preset: must be one of imac-sim, got 'imac'");
  CHECK(error_of([] { mlp::load_config(kExample, {"neuron.r_feedback=2e4"}); }) ==
        "--set neuron.r_feedback=2e4: neuron.r_feedback: has no effect with neuron.model = \"ideal\" (it sets the "
        "transistor-level neuron of \"sot\" and \"sot-transistor\")");
  CHECK(error_of([] { mlp::load_config(kExample, {"neuron.model=sot-transistor", "neuron.nmos_kp=0"}); }) ==
        "--set neuron.nmos_kp=0: neuron.nmos_kp: must be in (0, 1] A/V^2, got 0");
  CHECK(error_of([] { mlp::load_config(kExample, {"partition.split=imc"}); }) ==
        "--set partition.split=imc: partition.split: must be one of even, imac, got 'imc'");
}

TEST_CASE("configuration values: 64-bit integers are range-checked before narrowing, numbers must be finite") {
  auto err = [](const std::string& text, std::vector<std::string> set = {}) {
    fs::path p = scratch("bad.toml", text);
    std::string e = error_of([&] {
      auto c = mlp::load_config(p, set);
      mlp::load_network(c);
    });
    std::string dir = p.parent_path().string() + "/";
    for (size_t k; (k = e.find(dir)) != std::string::npos;) e.erase(k, dir.size());
    return e;
  };
  // 4294967312 = 2^32 + 16: read as 16 by a 32-bit cast.
  CHECK(err("[network]\nsizes = [4294967312, 8, 4]\nweights = \".\"\n") ==
        "bad.toml:2: network.sizes: must be <= 1000000, got 4294967312");
  CHECK(err(kBase + "[partition]\ntile = [4294967300, 4]\n") == "bad.toml:7: partition.tile: must be <= 1000000 rows, got 4294967300");
  CHECK(err(kBase + "first = 4294967296\n").find("input.first: must be <= 2147483647, got 4294967296") != std::string::npos);
  CHECK(err(kBase + "[run]\nthreads = 4294967297\n") == "bad.toml:7: run.threads: must be <= 1024, got 4294967297");
  CHECK(err("[network]\nsizes = [16, 8, 4]\nweights = \".\"\nlevels = 4294967298\n").find("network.levels: must be 2, 3, 5 or 11, got 4294967298") != std::string::npos);
  CHECK(err(kBase.substr(0, kBase.find("[input]")) + "[input]\ndataset = \"test_data.csv\"\nhigh = nan\n") ==
        "bad.toml:6: input.high: must be a finite number, got nan");
  CHECK(err(kBase.substr(0, kBase.find("[input]")) + "[input]\ndataset = \"test_data.csv\"\nwindow = inf\n") ==
        "bad.toml:6: input.window: must be a finite number, got inf");
  CHECK(err(kBase + "[amplifier]\nr_in = inf\n") == "bad.toml:7: amplifier.r_in: must be a finite number, got inf");
  CHECK(err("[network]\nsizes = [16, 8, 4]\nweights = \".\"\nvdd = inf\n") == "bad.toml:4: network.vdd: must be a finite number, got inf");
  CHECK(err(kBase + "[mtj]\nra = \"1e308k\"\n") == "bad.toml:7: mtj.ra: '1e308k' is out of range");
  // Work bounds: a neuron sweep of 3e12 points, a transient window of 2e9 steps.
  CHECK(err(kBase + "[neuron]\nmodel = \"sot\"\nstep = 1e-12\n") ==
        "bad.toml: neuron.step: 3e+12 points of the neuron characterization sweep (neuron.range / neuron.step), above the "
        "limit of 1e+07 (raise it with --max-points)");
  // An operating-point run does not step in time: its window only scales static power to energy.
  CHECK(err(kBase + "[run]\nstep = 1e-18\n") == "(no error)");
  // Places: a section only --set gives, a directory given as the config.
  CHECK(err(kBase, {"bogus.x=1"}).rfind("--set bogus.x=1: unknown section [bogus]", 0) == 0);
  CHECK(error_of([] { mlp::load_config(kExample.parent_path()); }) == kExample.parent_path().string() +
                                                                           ": not a config file (a directory?)");
  CHECK(error_of([] { mlp::load_config("no/such.toml"); }) == "no/such.toml: cannot open");
}

TEST_CASE("a [train] section loads (its checks outlive the block that declares them)") {
  auto c = mlp::load_config(scratch("train.toml", kBase + "[train]\nlearning_rate = 0.5\nbatch = 7\nepochs = 3\nseed = 4294967296\n"));
  CHECK(c.train.options.learning_rate == 0.5);
  CHECK(c.train.options.batch == 7);
  CHECK(c.train.options.epochs == 3);
  CHECK(c.train.options.seed == 4294967296ull);
}

TEST_CASE("the generated circuit's size is bounded before it is built") {
  auto c = mlp::load_config(kExample);
  mlp::load_network(c);
  const double limit = spx::work_limits().elements;
  spx::work_limits().elements = 100;
  const std::string e = error_of([&] { mlp::generate(c, 1); });
  spx::work_limits().elements = limit;
  CHECK(e.rfind("network.sizes: ", 0) == 0);
  CHECK(e.find("circuit elements (estimated from the sizes), above the limit of 100 (raise it with --max-elements)") !=
        std::string::npos);
}
