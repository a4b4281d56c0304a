// Training: gradients against finite differences (software and crossbar models, every readout), the
// crossbar model against the native circuit solve, tiny separable problems, determinism, export.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>

#include "devices/error.hpp"
#include "mlp/config.hpp"
#include "mlp/parasitic.hpp"
#include "mlp/train.hpp"
#include "solver/native.hpp"

using namespace spx;
using namespace spx::mlp;

namespace {

netlist::MlpSpec hardware(int layers, netlist::Readout readout, bool ideal, netlist::MergeMode merge) {
  netlist::MlpSpec h;
  h.tile_rows = 4;
  h.tile_cols = 4;
  h.synapse.r_low = h.mtj.r_parallel();
  h.synapse.r_high = h.mtj.r_antiparallel();
  h.readout = readout;
  h.ideal_amplifier = ideal;
  h.merge = merge;
  h.wire_r = false;
  for (int k = 0; k < layers; ++k) {
    netlist::LayerSpec l;
    l.gain = 10;
    h.layers.push_back(l);
  }
  return h;
}

MatrixF random_inputs(int rows, int cols, uint64_t seed, bool binary) {
  devices::CellRng rng(seed, 0, 0, 0, devices::Purpose::other);
  MatrixF x(rows, cols);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = binary ? (rng.uniform() < 0.5 ? -1.0f : 1.0f) : static_cast<float>(rng.uniform());
  return x;
}

/// 400 rows of seven +-1 inputs, labelled by their majority.
Samples majority_samples() {
  auto x = random_inputs(400, 7, 7, true);
  std::vector<int> y(400);
  for (int r = 0; r < 400; ++r) y[r] = x.row(r).sum() > 0 ? 1 : 0;
  return {x, y};
}

/// Training on every row for `epochs` epochs (no validation split, no early stop).
TrainOptions full_batch_options(int epochs) {
  TrainOptions opt;
  opt.epochs = epochs;
  opt.patience = 0;
  opt.validation = 0;
  opt.learning_rate = 1e-2;
  return opt;
}

double loss_of(const Network& net, const MatrixF& x, const std::vector<int>& y) { return loss_gradient(net, x, y).loss; }

/// Relative difference (2-norm) between the analytic and the central-difference gradient.
double gradient_error(Network net, const MatrixF& x, const std::vector<int>& y) {
  Gradient g = loss_gradient(net, x, y);
  double diff = 0, norm = 0;
  for (size_t k = 0; k < net.w.size(); ++k) {
    for (Eigen::Index i = 0; i < net.w[k].size(); ++i) {
      float keep = net.w[k].data()[i];
      const float h = 4e-3f;
      net.w[k].data()[i] = keep + h;
      double up = loss_of(net, x, y);
      net.w[k].data()[i] = keep - h;
      double down = loss_of(net, x, y);
      net.w[k].data()[i] = keep;
      double fd = (up - down) / (2 * h), an = g.w[k].data()[i];
      diff += (fd - an) * (fd - an);
      norm += an * an;
    }
  }
  return std::sqrt(diff / norm);
}

}  // namespace

TEST_CASE("gradients match finite differences: software model, every activation") {
  for (auto act : {Activation::sigmoid, Activation::reverse_sigmoid, Activation::hardtanh, Activation::curve}) {
    CAPTURE(to_string(act));
    ModelSpec s;
    s.sizes = {6, 5, 3};
    s.activation = act;
    s.curve_in = {-2, -0.5, 0, 0.5, 2};
    s.curve_out = {1, 0.9, 0.5, 0.1, 0};
    Network net = init_network(s, 3);
    auto x = random_inputs(8, 6, 1, false);
    std::vector<int> y{0, 1, 2, 0, 1, 2, 0, 1};
    CHECK(gradient_error(net, x, y) < 1e-2);
  }
}

TEST_CASE("gradients match finite differences: crossbar model, every readout and merge") {
  using R = netlist::Readout;
  for (auto setup : {std::pair{R::loaded, true}, std::pair{R::loaded, false}, std::pair{R::virtual_ground, false}}) {
    const R readout = setup.first;  // plain variables: CAPTURE's lambda cannot name structured bindings in clang 14
    const bool ideal = setup.second;
    for (auto merge : {netlist::MergeMode::average, netlist::MergeMode::sum}) {
      CAPTURE(static_cast<int>(readout));
      CAPTURE(ideal);
      CAPTURE(static_cast<int>(merge));
      ModelSpec s;
      s.sizes = {7, 5, 3};
      s.model = LayerModel::crossbar;
      s.levels = 0;  // continuous conductances: the exact gradient, checkable by differences
      s.hardware = hardware(2, readout, ideal, merge);
      if (readout == R::virtual_ground) {
        s.hardware.layers[0].gain = s.hardware.layers[1].gain = 2e-2;  // rt = g r_in: keep z in the sigmoid's range
      }
      Network net = init_network(s, 5);
      for (auto& w : net.w) w *= 1.6f;  // spread the weights over [-1, 1]
      auto x = random_inputs(6, 7, 2, true);
      std::vector<int> y{0, 1, 2, 2, 1, 0};
      CHECK(gradient_error(net, x, y) < 1e-2);
    }
  }
}

TEST_CASE("the crossbar model equals the native solve of the generated circuit without wire resistance") {
  using R = netlist::Readout;
  for (auto setup : {std::pair{R::loaded, true}, std::pair{R::loaded, false}, std::pair{R::virtual_ground, false}}) {
    const R readout = setup.first;  // plain variables: CAPTURE's lambda cannot name structured bindings in clang 14
    const bool ideal = setup.second;
    for (int variant : {2, 3, 4}) {  // binary, ternary; binary in IMAC-Sim's tiles
      const int levels = variant == 3 ? 3 : 2;
      const bool imac = variant == 4;
      CAPTURE(static_cast<int>(readout));
      CAPTURE(ideal);
      CAPTURE(variant);
      ModelSpec s;
      s.sizes = {9, 6, 4};
      s.model = LayerModel::crossbar;
      s.levels = levels;
      s.hardware = hardware(2, readout, ideal, imac ? netlist::MergeMode::sum : netlist::MergeMode::average);
      s.hardware.synapse.levels = levels;
      if (imac) {  // its split, padded per-neuron tiles, a zero-weight bias pair in each but the last
        s.hardware.split = netlist::SplitRule::imac;
        s.hardware.pad_tiles = true;
        s.hardware.tile_bias = true;
        s.hardware.tile_cols = 1;
      }
      if (readout == R::virtual_ground) s.hardware.layers[0].gain = s.hardware.layers[1].gain = 2e-2;
      Network net = init_network(s, 11);
      auto x = random_inputs(3, 9, 4, true);
      MatrixF predicted = predict(net, x);
      // The same weights as a circuit.
      netlist::MlpSpec hw = s.hardware;
      const int m = levels == 2 ? 1 : (levels - 1) / 2;
      for (size_t k = 0; k < net.w.size(); ++k) {
        MatrixF q = quantized(net, k);
        auto& l = hw.layers[k];
        l.inputs = s.sizes[k];
        l.outputs = s.sizes[k + 1];
        for (int i = 0; i < l.inputs; ++i)
          for (int j = 0; j < l.outputs; ++j) l.weights.push_back(static_cast<int>(std::lround(q(i, j) * m)));
        for (int j = 0; j < l.outputs; ++j) l.biases.push_back(static_cast<int>(std::lround(q(l.inputs, j) * m)));
      }
      for (Eigen::Index r = 0; r < x.rows(); ++r) {
        std::vector<double> in(x.cols());
        for (Eigen::Index c = 0; c < x.cols(); ++c) in[c] = x(r, c);
        netlist::Circuit c;
        auto ports = netlist::build_mlp(hw, in, c);
        c.analyses = {netlist::Analysis{}};
        auto res = solver::simulate_native(c);
        REQUIRE(res[0].report.ok());
        for (size_t j = 0; j < ports.outputs.size(); ++j) {
          double v = res[0].vectors.at("v(" + c.node_name(ports.outputs[j]) + ")")[0];
          CHECK(std::fabs(predicted(r, static_cast<Eigen::Index>(j)) - v) < 1e-4);
        }
      }
    }
  }
}

TEST_CASE("a tiny separable problem reaches 100 %: software float and crossbar binary") {
  // Class = majority of seven +-1 inputs (all-positive binary weights separate it).
  const Samples data = majority_samples();
  const TrainOptions opt = full_batch_options(40);
  ModelSpec soft;
  soft.sizes = {7, 4, 2};
  Network a = init_network(soft, 1);
  train(a, data, opt);
  CHECK(accuracy(a, data) == 1.0);
  ModelSpec xbar;
  xbar.sizes = {7, 6, 2};
  xbar.model = LayerModel::crossbar;
  xbar.levels = 2;
  xbar.hardware = hardware(2, netlist::Readout::loaded, false, netlist::MergeMode::average);
  for (auto& l : xbar.hardware.layers) l.gain = 1;  // gain 10 saturates every neuron of this small net
  Network b = init_network(xbar, 1);
  train(b, data, opt);
  CHECK(accuracy(b, data) == 1.0);
}

TEST_CASE("same seed, same weights, bit for bit (with noise and validation split)") {
  auto x = random_inputs(300, 10, 9, true);
  std::vector<int> y(300);
  for (int r = 0; r < 300; ++r) y[r] = (x(r, 0) > 0 ? 1 : 0) + (x(r, 5) > 0 ? 1 : 0);
  Samples data{x, y};
  TrainOptions opt;
  opt.epochs = 3;
  opt.noise = 0.05;
  opt.validation = 0.2;
  opt.seed = 42;
  ModelSpec s;
  s.sizes = {10, 6, 3};
  s.levels = 3;
  Network a = init_network(s, opt.seed), b = init_network(s, opt.seed);
  auto la = train(a, data, opt);
  auto lb = train(b, data, opt);
  for (size_t k = 0; k < a.w.size(); ++k) CHECK(a.w[k] == b.w[k]);
  CHECK(a.scale == b.scale);
  CHECK(la.back().loss == lb.back().loss);
  opt.seed = 43;
  Network c = init_network(s, opt.seed);
  train(c, data, opt);
  CHECK(c.w[0] != a.w[0]);
}

TEST_CASE("export and import round trip exactly; bad model files name themselves") {
  ModelSpec s;
  s.sizes = {5, 4, 3};
  s.levels = 5;
  Network net = init_network(s, 8);
  net.scale = {0.123456789f, 3.14159274f};
  Network back = from_json(to_json(net), s, "model.json");
  for (size_t k = 0; k < net.w.size(); ++k) CHECK(back.w[k] == net.w[k]);
  CHECK(back.scale == net.scale);
  auto dir = std::filesystem::temp_directory_path() / "spx_train_export";
  export_network(net, dir);
  NetworkWeights w = read_weights(dir, s.sizes, "csv");
  NetworkWeights n = read_weights(dir, s.sizes, "npy");
  Network q = from_weights(w, s);
  for (size_t k = 0; k < net.w.size(); ++k) {
    CHECK(quantized(q, k) == quantized(net, k));
    CHECK(w.w[k].data == n.w[k].data);
  }
  CHECK(to_levels(w.w[0], devices::SynapseMap{5, 1, 3}).size() == 20);  // every value is a 5-level weight
  CHECK_THROWS_WITH_AS(from_json("{\"format\": \"spinxbar-mlp\", \"sizes\": [5, 4]}", s, "m.json"),
                       doctest::Contains("m.json: sizes 5-4 do not match"), InputError);
  CHECK_THROWS_WITH_AS(from_json("{", s, "m.json"), doctest::Contains("m.json: not valid JSON"), InputError);
}

namespace {

/// A small CNN: 1x6x6 -> conv 2@3x3 (pad 1) -> ReLU -> pool -> 18 -> dense.
ModelSpec small_cnn(nn::PoolKind pool, std::vector<int> dense) {
  ModelSpec s;
  s.input_shape = {1, 6, 6};
  s.dac_bits = 0;  // an unquantized DAC: finite differences see the clamp only
  nn::FeatureLayer conv;
  conv.kind = nn::FeatureLayer::Kind::conv;
  conv.conv.in_channels = 1;
  conv.conv.out_channels = 2;
  conv.conv.kernel = 3;
  conv.conv.pad = 1;
  nn::FeatureLayer relu;
  nn::FeatureLayer p;
  p.kind = nn::FeatureLayer::Kind::pool;
  p.pool.kind = pool;
  s.features = {conv, relu, p};
  s.sizes = std::move(dense);
  return s;
}

}  // namespace

TEST_CASE("features: gradients of the conv layers and the dense layers match finite differences") {
  ModelSpec s = small_cnn(nn::PoolKind::average, {18, 5, 3});
  Network net = init_network(s, 4);
  REQUIRE(net.conv.size() == 1);
  auto x = random_inputs(6, 36, 2, false);
  std::vector<int> y{0, 1, 2, 0, 1, 2};
  Gradient g = loss_gradient(net, x, y);
  REQUIRE(g.conv_w.size() == 1);
  double diff = 0, norm = 0;
  auto probe = [&](float& v, double an) {
    const float keep = v, h = 1e-3f;
    v = keep + h;
    const double up = loss_of(net, x, y);
    v = keep - h;
    const double down = loss_of(net, x, y);
    v = keep;
    diff += ((up - down) / (2 * h) - an) * ((up - down) / (2 * h) - an);
    norm += an * an;
  };
  for (Eigen::Index i = 0; i < net.conv[0].w.size(); ++i) probe(net.conv[0].w.data()[i], g.conv_w[0].data()[i]);
  for (Eigen::Index i = 0; i < net.conv[0].b.size(); ++i) probe(net.conv[0].b(i), g.conv_b[0](i));
  for (Eigen::Index i = 0; i < net.w[0].size(); ++i) probe(net.w[0].data()[i], g.w[0].data()[i]);
  CHECK(std::sqrt(diff / norm) < 2e-2);
  // The features must feed the dense layers' inputs exactly.
  ModelSpec bad = small_cnn(nn::PoolKind::max, {20, 5, 3});
  CHECK_THROWS_WITH(init_network(bad, 1), "cnn: the features give 18 values (2x3x3), network.sizes starts with 20");
}

TEST_CASE("features: a small CNN learns where the bright quadrant is, and its model file round-trips") {
  // 1x6x6 images, noise plus a bright 3x3 quadrant; the class is the quadrant.
  devices::CellRng rng(3, 0, 0, 0, devices::Purpose::other);
  MatrixF x(400, 36);
  std::vector<int> y(400);
  for (int r = 0; r < 400; ++r) {
    y[r] = static_cast<int>(rng.next() % 4);
    for (int i = 0; i < 36; ++i) {
      const int row = i / 6, col = i % 6, quadrant = (row >= 3 ? 2 : 0) + (col >= 3 ? 1 : 0);
      x(r, i) = static_cast<float>(0.3 * rng.uniform() + (quadrant == y[r] ? 0.7 : 0.0));
    }
  }
  Samples data{x, y};
  ModelSpec s = small_cnn(nn::PoolKind::max, {18, 8, 4});
  Network net = init_network(s, 5);
  TrainOptions opt;
  opt.epochs = 30;
  opt.patience = 0;
  opt.validation = 0;
  opt.learning_rate = 1e-2;
  train(net, data, opt);
  CHECK(accuracy(net, data) == 1.0);
  Network back = from_json(to_json(net), s, "cnn.json");
  REQUIRE(back.conv.size() == 1);
  CHECK(back.conv[0].w == net.conv[0].w);
  CHECK(back.conv[0].b == net.conv[0].b);
  CHECK(predict(back, x) == predict(net, x));
  // Fine-tuning from exported weight files keeps the trained conv layers (from model.json beside them).
  auto dir = std::filesystem::temp_directory_path() / "spx_train_cnn_export";
  std::filesystem::remove_all(dir);
  export_network(net, dir);
  Network tuned = from_weights(read_weights(dir, s.sizes, "csv"), s, dir / "model.json");
  REQUIRE(tuned.conv.size() == 1);
  CHECK(tuned.conv[0].w == net.conv[0].w);
  CHECK(tuned.conv[0].b == net.conv[0].b);
  CHECK(accuracy(tuned, data) == 1.0);
  CHECK_THROWS_WITH_AS(from_weights(read_weights(dir, s.sizes, "csv"), s, dir / "none.json"),
                       doctest::Contains("none.json: cannot open (the conv layers' parameters"), InputError);
  std::filesystem::remove_all(dir);
}

TEST_CASE("partial-sum conversion: straight-through gradients, range calibration, and learning through converters") {
  ModelSpec s;
  s.sizes = {7, 5, 3};
  s.model = LayerModel::crossbar;
  s.levels = 0;
  s.hardware = hardware(2, netlist::Readout::loaded, false, netlist::MergeMode::average);
  s.hardware.conversion.resize(2);
  Network analog = init_network(s, 5);
  for (auto& w : analog.w) w *= 1.6f;
  auto x = random_inputs(6, 7, 2, true);
  std::vector<int> y{0, 1, 2, 2, 1, 0};
  const Gradient ga = loss_gradient(analog, x, y);
  // A 16-bit ADC whose range holds every partial sum: straight through, its gradient is the analog one.
  ModelSpec sa = s;
  for (auto& c : sa.hardware.conversion) {
    c.mode = devices::ConversionMode::adc;
    c.bits = 16;
  }
  Network adc = analog;
  adc.spec = sa;
  adc.range.assign(2, 0.0);
  calibrate_ranges(adc, x);  // quantile 0.99 of 6 rows x 5 or 3 partitions: the largest |a| but one
  for (double r : adc.range) CHECK(r > 0);
  adc.range = {adc.range[0] * 4, adc.range[1] * 4};
  const Gradient gq = loss_gradient(adc, x, y);
  CHECK(gq.loss == doctest::Approx(ga.loss).epsilon(1e-3));
  for (size_t k = 0; k < 2; ++k) CHECK((gq.w[k] - ga.w[k]).norm() <= 1e-2 * ga.w[k].norm());
  // Clipping: partial sums beyond a tiny range pass no gradient.
  Network clipped = adc;
  clipped.range = {1e-9, 1e-9};
  const Gradient gc = loss_gradient(clipped, x, y);
  CHECK(gc.w[0].norm() == 0);
  // Stochastic conversion: the slope of its mean, p'(x)/p'(0) <= 1, so the gradient is the analog
  // one's, attenuated where partial sums leave the middle of the range.
  ModelSpec ss = s;
  for (auto& c : ss.hardware.conversion) {
    c.mode = devices::ConversionMode::stochastic;
    c.samples = 4;
  }
  Network sto = adc;
  sto.spec = ss;
  const Gradient gs = loss_gradient(sto, x, y);
  CHECK(gs.w[0].norm() > 0);
  CHECK(gs.w[0].norm() <= 1.5 * ga.w[0].norm());

  // Learning: the majority of seven +-1 inputs through 3-bit ADCs and 16-sample stochastic conversion
  // (the samples' noise blurs the many inputs whose sum is +-1).
  const Samples data = majority_samples();
  const TrainOptions opt = full_batch_options(30);
  for (auto mode : {devices::ConversionMode::adc, devices::ConversionMode::stochastic}) {
    ModelSpec m;
    m.sizes = {7, 6, 2};
    m.model = LayerModel::crossbar;
    m.levels = 2;
    m.hardware = hardware(2, netlist::Readout::loaded, false, netlist::MergeMode::average);
    for (auto& l : m.hardware.layers) l.gain = 1;
    m.hardware.conversion.resize(2);
    for (auto& c : m.hardware.conversion) {
      c.mode = mode;
      c.bits = 3;
      c.samples = 16;
    }
    Network n = init_network(m, 1);
    const double before = accuracy(n, data);  // uncalibrated: analog until train() calibrates
    train(n, data, opt);
    for (double r : n.range) CHECK(r > 0);
    CAPTURE(static_cast<int>(mode));
    CHECK(accuracy(n, data) > (mode == devices::ConversionMode::adc ? 0.9 : 0.75));
    CHECK(accuracy(n, data) > before + 0.1);
    // model.json keeps the ranges.
    Network back = from_json(to_json(n), m, "model.json");
    CHECK(back.range == n.range);
  }
}

TEST_CASE("parasitic-aware crossbar model: fitted to the circuit with its wires, it computes what the circuit computes") {
  using R = netlist::Readout;
  for (auto setup : {std::pair{R::loaded, true}, std::pair{R::loaded, false}, std::pair{R::virtual_ground, false}}) {
    const R readout = setup.first;
    const bool ideal = setup.second;
    for (int levels : {2, 3}) {
      for (auto merge : {netlist::MergeMode::average, netlist::MergeMode::sum}) {
        CAPTURE(static_cast<int>(readout));
        CAPTURE(ideal);
        CAPTURE(levels);
        CAPTURE(static_cast<int>(merge));
        ModelSpec s;
        s.sizes = {9, 6, 4};
        s.model = LayerModel::crossbar;
        s.levels = levels;
        s.hardware = hardware(2, readout, ideal, merge);
        s.hardware.synapse.levels = levels;
        s.hardware.wire_r = true;
        s.hardware.wire.resistance_scale = 40;  // 4x4 tiles: strong wires, so that they matter here
        if (readout == R::virtual_ground) s.hardware.layers[0].gain = s.hardware.layers[1].gain = 2e-2;
        Network net = init_network(s, 11);
        auto x = random_inputs(5, 9, 4, true);
        // The circuit of the quantized weights, solved in full.
        Config cfg;
        cfg.sizes = s.sizes;
        cfg.spec = s.hardware;
        for (const auto& l : s.hardware.layers) cfg.gains.push_back(l.gain);
        use_weights(cfg, to_weights(net));
        std::vector<std::vector<double>> circuit;
        for (Eigen::Index r = 0; r < x.rows(); ++r) {
          std::vector<double> in(x.cols());
          for (Eigen::Index c = 0; c < x.cols(); ++c) in[c] = x(r, c);
          netlist::Circuit c;
          auto ports = netlist::build_mlp(cfg.spec, in, c);
          c.analyses = {netlist::Analysis{}};
          auto res = solver::simulate_native(c);
          REQUIRE(res[0].report.ok());
          circuit.emplace_back();
          for (auto n : ports.outputs) circuit.back().push_back(res[0].vectors.at("v(" + c.node_name(n) + ")")[0]);
        }
        auto worst = [&](const MatrixF& p) {
          double d = 0;
          for (Eigen::Index r = 0; r < p.rows(); ++r)
            for (Eigen::Index j = 0; j < p.cols(); ++j) d = std::max(d, std::fabs(p(r, j) - circuit[r][j]));
          return d;
        };
        const double before = worst(predict(net, x));
        const WireFit fit = fit_wires(cfg, net, 1);
        const double after = worst(predict(net, x));
        CHECK(before > 1e-3);          // the wires change the outputs
        CHECK(after < 2e-5);           // the fitted model is the circuit (float rounding)
        CHECK(after < before / 50);
        CHECK(fit.rho_min < 0.99);
        CHECK(fit.coupling < 1e-9);
      }
    }
  }
}

TEST_CASE("parasitic-aware crossbar model: gradients through the wire factors match finite differences") {
  ModelSpec s;
  s.sizes = {7, 5, 3};
  s.model = LayerModel::crossbar;
  s.levels = 0;
  s.hardware = hardware(2, netlist::Readout::loaded, false, netlist::MergeMode::average);
  Network net = init_network(s, 5);
  for (auto& w : net.w) w *= 1.6f;
  devices::CellRng rng(3, 0, 0, 0, devices::Purpose::other);
  for (const auto& w : net.w) {
    MatrixF rho(w.rows(), w.cols());
    for (Eigen::Index i = 0; i < rho.size(); ++i) rho.data()[i] = static_cast<float>(0.3 + 0.9 * rng.uniform());
    net.wire.push_back(rho);
  }
  auto x = random_inputs(6, 7, 2, true);
  std::vector<int> y{0, 1, 2, 2, 1, 0};
  CHECK(gradient_error(net, x, y) < 1e-2);
  // The factors act: the loss differs from the model without them.
  Network plain = net;
  plain.wire.clear();
  CHECK(std::fabs(loss_of(net, x, y) - loss_of(plain, x, y)) > 1e-3);
}

TEST_CASE("fine-tuning from quantized weight files moves the weights") {
  // Latents start in the middle of their level's bin, not at its edge.
  ModelSpec s;
  s.sizes = {7, 2};
  s.model = LayerModel::crossbar;
  s.levels = 2;
  s.hardware = hardware(1, netlist::Readout::loaded, false, netlist::MergeMode::average);
  s.hardware.layers[0].gain = 1;
  NetworkWeights wrong;  // every weight of the wrong sign for the majority problem
  wrong.w.emplace_back();
  wrong.w[0].rows = 7;
  wrong.w[0].cols = 2;
  wrong.b.emplace_back();
  wrong.b[0].rows = 2;
  wrong.b[0].cols = 1;
  wrong.b[0].data = {0, 0};
  for (int i = 0; i < 7; ++i) wrong.w[0].data.insert(wrong.w[0].data.end(), {-1.0, 1.0});
  Network net = from_weights(wrong, s);
  CHECK(net.w[0](0, 0) == -0.5f);
  CHECK(net.w[0](0, 1) == 0.5f);
  ModelSpec five = s;
  five.levels = 5;
  five.hardware.synapse.levels = 5;
  NetworkWeights w5 = wrong;
  w5.w[0].data[0] = 0.5;
  const Network n5 = from_weights(w5, five);
  CHECK(n5.w[0](0, 0) == 0.5f);                      // an inner level: its bin's middle
  CHECK(n5.w[0](0, 1) == doctest::Approx(0.875f));  // the outer level: the middle of [0.75, 1]
  const Samples data = majority_samples();
  CHECK(accuracy(net, data) == 0.0);
  TrainOptions opt;
  opt.epochs = 6;  // 42 steps of 2e-2: enough from +-0.5, not from +-1
  opt.patience = 0;
  opt.validation = 0;
  opt.learning_rate = 2e-2;
  train(net, data, opt);
  const NetworkWeights after = to_weights(net);
  int flipped = 0;
  for (size_t i = 0; i < after.w[0].data.size(); ++i) flipped += after.w[0].data[i] != wrong.w[0].data[i];
  CHECK(flipped >= 10);
  CHECK(accuracy(net, data) > 0.9);
}
