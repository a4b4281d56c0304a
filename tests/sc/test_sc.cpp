// Stochastic computing: the p-bit law against its closed forms, bitstreams against binomial and
// Markov statistics, the SC engine against the exact expectation it converges to, determinism across
// threads, and the SC-aware training model's gradients.
#include <doctest/doctest.h>

#include <cmath>

#include "devices/error.hpp"
#include "devices/pbit.hpp"
#include "mlp/config.hpp"
#include "mlp/train.hpp"
#include "mlp/weights.hpp"
#include "sc/bitstream.hpp"
#include "sc/cost.hpp"
#include "sc/model.hpp"
#include "sc/network.hpp"
#include "sc/run.hpp"

using namespace spx;
using namespace spx::sc;

namespace {

LaneKey key(uint64_t seed, int64_t lane) { return lane_key(devices::CellRng(seed, 0, 0, lane, devices::Purpose::bitstream)); }

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

/// A small SC model: inputs -> hidden -> outputs with given integer levels (bias row last).
ScModel small_model() {
  ScModel m;
  ScLayer a;
  a.inputs = 5;
  a.outputs = 3;
  a.half = 2;
  a.w = {2, -1, 0, -2, 1, 1, 1, 2, -1, 0, -2, 2, -1, 0, 1, 1, -1, 0};  // 6 x 3
  a.beta = 1.3;
  ScLayer b;
  b.inputs = 3;
  b.outputs = 2;
  b.half = 2;
  b.w = {2, -2, -1, 1, 1, 2, 0, -1};  // 4 x 2
  b.beta = 0.8;
  m.layers = {a, b};
  return m;
}

}  // namespace

TEST_CASE("p-bit: probability, correlation time and bias follow the dwell-time law") {
  devices::PbitParams p;
  for (double i : {-30e-6, -5e-6, 0.0, 3e-6, 25e-6}) {
    CAPTURE(i);
    const double ta = p.dwell_ap(i), tp = p.dwell_p(i);
    CHECK(p.p_one(i) == doctest::Approx(ta / (ta + tp)).epsilon(1e-12));
    CHECK(p.tau_corr(i) == doctest::Approx(ta * tp / (ta + tp)).epsilon(1e-12));
    CHECK(p.rho(i) == doctest::Approx(std::exp(-p.clock * (ta + tp) / (ta * tp))).epsilon(1e-12));
  }
  // An exact logistic of the channel current: slope 2 delta / ic0, centred on current_for(0.5).
  const double half = p.current_for(0.5);
  CHECK(p.p_one(half) == doctest::Approx(0.5).epsilon(1e-12));
  for (double logit : {-4.0, -1.0, 0.5, 3.0})
    CHECK(p.p_one(half + p.current_per_logit() * logit) == doctest::Approx(sigmoid(logit)).epsilon(1e-12));
  for (double q : {0.01, 0.3, 0.9}) CHECK(p.p_one(p.current_for(q)) == doctest::Approx(q).epsilon(1e-12));
  // The read current's spin torque shifts the curve by (i_AP + i_P) ic0 / (2 ic0_read).
  CHECK(half == doctest::Approx(p.i_offset - p.ic0 * (p.read_current(true) + p.read_current(false)) / (2 * p.ic0_read)));
  // Energy per bit: read power, channel power, output edges, latch.
  const double e = p.energy_per_bit(half);
  const double read = p.v_read * 0.5 * (p.read_current(true) + p.read_current(false)) * p.clock;
  const double edges = p.clock * 0.25 / p.tau_corr(half);
  CHECK(e == doctest::Approx(read + half * half * p.r_channel * p.clock + p.c_out * p.vdd * p.vdd * edges + p.e_sample));
}

TEST_CASE("p-bit: presets and bad values name their key") {
  for (const auto& preset : devices::pbit_presets()) {
    CAPTURE(preset.name);
    CHECK_NOTHROW(devices::validate(preset.params, "smtj"));
    CHECK(!preset.source.empty());
  }
  devices::PbitParams p;
  p.delta = -1;
  CHECK_THROWS_WITH(devices::validate(p, "smtj"), "smtj.delta: must be in (0, 60], got -1");
  p = {};
  p.tau0 = 0;
  CHECK_THROWS_WITH(devices::validate(p, "smtj"), "smtj.tau0: must be in [1e-13, 1e-06] s, got 0");
  CHECK_THROWS_WITH(devices::pbit_preset("nope", "smtj.preset"), doctest::Contains("smtj.preset: unknown preset 'nope'"));
}

TEST_CASE("bitstreams: independent bits are binomial, Markov bits keep their correlation") {
  const int n = 200000;
  for (double p : {0.05, 0.3, 0.5, 0.77}) {
    for (double rho : {0.0, 0.4, 0.8}) {
      CAPTURE(p);
      CAPTURE(rho);
      Bitstream s = markov_stream(p, rho, n, key(7, static_cast<int64_t>(100 * p + 10 * rho)));
      // The mean of a stationary two-state chain: variance p (1 - p) / n (1 + rho) / (1 - rho).
      const double sd = std::sqrt(p * (1 - p) / n * (1 + rho) / (1 - rho));
      CHECK(std::fabs(s.value() - p) < 4.5 * sd);
      // Lag-k autocorrelation rho^k (standard error about 1/sqrt(n) for these chains).
      CHECK(std::fabs(autocorrelation(s, 1) - rho) < 4.5 * std::sqrt((1 + rho * rho) / n) + 1e-3);
      CHECK(std::fabs(autocorrelation(s, 2) - rho * rho) < 6 / std::sqrt(static_cast<double>(n)));
    }
  }
  // Constant streams.
  CHECK(markov_stream(0, 0, 1000, key(1, 1)).count() == 0);
  CHECK(markov_stream(1, 0.5, 1000, key(1, 2)).count() >= 999);
}

TEST_CASE("SC product: the AND of two independent streams converges to the product within binomial bounds") {
  for (int trial = 0; trial < 20; ++trial) {
    const double p = 0.1 + 0.04 * trial, q = 0.9 - 0.035 * trial;
    for (int n : {100, 1000, 100000}) {
      CAPTURE(trial);
      CAPTURE(n);
      Bitstream a = markov_stream(p, 0, n, key(11, 2 * trial)), b = markov_stream(q, 0, n, key(11, 2 * trial + 1));
      const double pq = p * q, sd = std::sqrt(pq * (1 - pq) / n);
      CHECK(std::fabs(and_streams(a, b).value() - pq) < 4.5 * sd);
    }
  }
  CHECK_THROWS(and_streams(Bitstream(10), Bitstream(11)));
}

TEST_CASE("SC engine: at large L the outputs approach the exact expectation of the clocked network") {
  ScModel m = small_model();
  ScSettings st;
  st.stream = StreamKind::bernoulli;
  st.states = 0;
  st.length = 400000;
  const std::vector<float> x = {0.2f, 0.7f, 0.5f, 0.0f, 1.0f};
  auto r = run_sc(m, st, x.data(), 1, 0, 1);
  // Exact: hidden a_j = E[sigmoid(beta s_j / m)] over the 2^5 input patterns (independent bits);
  // output (integrated readout) = beta (sum_j a_j w_jk + w_bias,k) / m.
  const auto& A = m.layers[0];
  std::vector<double> a(3, 0.0);
  for (int pattern = 0; pattern < 32; ++pattern) {
    double prob = 1;
    std::vector<double> s(3, 0.0);
    for (int i = 0; i < 5; ++i) {
      const bool on = (pattern >> i) & 1;
      prob *= on ? x[i] : 1 - x[i];
      if (on)
        for (int j = 0; j < 3; ++j) s[j] += A.w[i * 3 + j];
    }
    for (int j = 0; j < 3; ++j) a[j] += prob * sigmoid(A.beta * (s[j] + A.w[5 * 3 + j]) / A.half);
  }
  const auto& B = m.layers[1];
  for (int k = 0; k < 2; ++k) {
    double z = B.w[3 * 2 + k];
    for (int j = 0; j < 3; ++j) z += a[j] * B.w[j * 2 + k];
    z *= B.beta / B.half;
    // Standard error of the integrated output: well below 5e-3 at this L.
    CHECK(r[0].outputs[k] == doctest::Approx(z).scale(1).epsilon(5e-3));
  }
  // With telegraph streams the marginal per clock is the same, so the limit is too.
  st.stream = StreamKind::telegraph;
  auto t = run_sc(m, st, x.data(), 1, 0, 1);
  for (int k = 0; k < 2; ++k) CHECK(t[0].outputs[k] == doctest::Approx(r[0].outputs[k]).scale(1).epsilon(1e-2));
}

TEST_CASE("SC engine: same seed, same bits for 1 and 2 threads; activity adds up") {
  ScModel m = small_model();
  for (auto& l : m.layers) l.row_conductance.assign(static_cast<size_t>(l.inputs + 1), 1e-4);
  ScSettings st;
  st.length = 300;
  st.readout = ScReadout::count;
  std::vector<float> x;
  devices::CellRng rng(5, 0, 0, 0, devices::Purpose::other);
  for (int k = 0; k < 40 * 5; ++k) x.push_back(static_cast<float>(rng.uniform()));
  auto one = run_sc(m, st, x.data(), 40, 100, 1), two = run_sc(m, st, x.data(), 40, 100, 2);
  for (size_t k = 0; k < one.size(); ++k) {
    CHECK(one[k].outputs == two[k].outputs);
    CHECK(one[k].activity[0].neuron_energy == two[k].activity[0].neuron_energy);
  }
  // An image's streams depend on its index only, not on the batch it runs in.
  auto alone = run_sc(m, st, x.data() + 7 * 5, 1, 107, 1);
  CHECK(alone[0].outputs == one[7].outputs);
  // Another seed draws other bits.
  st.seed = 2;
  auto other = run_sc(m, st, x.data(), 40, 100, 1);
  int differ = 0;
  for (size_t k = 0; k < one.size(); ++k) differ += other[k].outputs != one[k].outputs;
  CHECK(differ > 30);
  // Activity: lines at 1 cover the bias every clock; conductance-clocks are G per line-clock.
  const auto& act = one[0].activity[0];
  CHECK(act.clocks == 300);
  CHECK(act.line_ones >= 300);
  CHECK(act.conductance_clocks == doctest::Approx(1e-4 * static_cast<double>(act.line_ones)));
}

TEST_CASE("SC settings: bad values name their key") {
  ScSettings st;
  st.length = 0;
  CHECK_THROWS_WITH(validate(st), "sc.length: must be in [1, 1000000] clocks, got 0");
  st = {};
  st.states = 4;
  CHECK_THROWS_WITH(validate(st), "sc.states: must be 0 (not quantized), 2, 3, 5 or 11, got 4");
}

TEST_CASE("SC-aware training model: gradients match finite differences through mean, variance and scale") {
  mlp::ModelSpec s;
  s.sizes = {6, 5, 4, 3};
  s.activation = mlp::Activation::sigmoid;
  s.sc_length = 100000000;  // sampling noise ~1e-4: the smooth part of the model is what is checked
  mlp::Network net = mlp::init_network(s, 3);
  for (auto& sc : net.scale) sc = 2.5f;
  devices::CellRng rng(1, 0, 0, 0, devices::Purpose::other);
  mlp::MatrixF x(8, 6);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(rng.uniform());
  std::vector<int> y{0, 1, 2, 0, 1, 2, 0, 1};
  mlp::Gradient g = mlp::loss_gradient(net, x, y);
  double diff = 0, norm = 0;
  auto probe = [&](float& v, double an) {
    const float keep = v, h = 4e-3f;
    v = keep + h;
    const double up = mlp::loss_gradient(net, x, y).loss;
    v = keep - h;
    const double down = mlp::loss_gradient(net, x, y).loss;
    v = keep;
    const double fd = (up - down) / (2 * h);
    diff += (fd - an) * (fd - an);
    norm += an * an;
  };
  for (size_t k = 0; k < net.w.size(); ++k) {
    for (Eigen::Index i = 0; i < net.w[k].size(); ++i) probe(net.w[k].data()[i], g.w[k].data()[i]);
    probe(net.scale[k], g.scale[k]);
  }
  CHECK(std::sqrt(diff / norm) < 2e-2);
}

TEST_CASE("SC cost: energy parts come from the activity; the baseline averages 2^bits - 1 clocks") {
  ScModel m = small_model();
  for (auto& l : m.layers) l.row_conductance.assign(static_cast<size_t>(l.inputs + 1), 2e-4);
  ScSettings st;
  st.length = 200;
  const std::vector<float> x = {0.2f, 0.7f, 0.5f, 0.0f, 1.0f};
  auto r = run_sc(m, st, x.data(), 1, 0, 1);
  ScCostParams c;
  ScEnergy e = sc_energy(m, st, c, r[0]);
  const auto& a0 = r[0].activity[0];
  double xbar = 0;
  for (const auto& a : r[0].activity) xbar += c.v_row * c.v_row * st.pbit.clock * a.conductance_clocks;
  CHECK(e.crossbar == doctest::Approx(xbar));
  CHECK(e.neurons == doctest::Approx(a0.neuron_energy));
  CHECK(e.amplifiers == doctest::Approx(c.p_amplifier * (3 + 2) * 200 * st.pbit.clock));
  CHECK(e.counters == doctest::Approx(c.e_counter * static_cast<double>(a0.neuron_ones)));
  CHECK(e.total() > 0);
  CHECK(sc_latency(m, st) == doctest::Approx(2 * 200 * st.pbit.clock));
  CHECK(baseline_latency(m, st, c) == doctest::Approx((255.0 + 1) * st.pbit.clock));
  ScEnergy b = baseline_energy(m, st, c, r[0]);
  CHECK(b.amplifiers == doctest::Approx(c.p_amplifier * (3 * 255.0 + 2) * st.pbit.clock));
}

TEST_CASE("the example SC network runs from its committed weights and classifies MNIST") {
  auto cfg = mlp::load_config(SPX_SOURCE_DIR "/examples/sc/sc.toml");
  REQUIRE(cfg.sc.enabled);
  const mlp::Network net = load_sc_network(cfg);
  const ScModel model = build_model(net, cfg.spec.synapse.r_low, cfg.spec.synapse.r_high);
  const ScSettings st = settings_of(cfg.sc);
  mlp::InputSet im = mlp::load_input_set(cfg, 0, 500);
  std::vector<float> x(im.x.begin(), im.x.end());
  auto a = run_sc(model, st, x.data(), im.count(), 0, 2);
  auto b = run_sc(model, st, x.data(), im.count(), 0, 1);
  int ok = 0;
  for (int k = 0; k < im.count(); ++k) {
    ok += a[static_cast<size_t>(k)].predicted == im.labels[static_cast<size_t>(k)];
    CHECK(a[static_cast<size_t>(k)].outputs == b[static_cast<size_t>(k)].outputs);
  }
  CHECK(ok >= 470);  // the trained network is above 96 % on the whole test set
}

TEST_CASE("an interrupted SC run resumes to the rows of an uninterrupted one") {
  auto cfg = mlp::load_config(SPX_SOURCE_DIR "/examples/sc/sc.toml", {"sc.length=50"});
  const auto root = std::filesystem::path(SPX_BINARY_DIR) / "sc_resume_test";
  std::filesystem::remove_all(root);
  mlp::RunOptions opt;
  opt.images = 250;
  opt.out = root / "a";
  opt.stop_after = 100;
  auto first = run_sc_network(cfg, opt);
  CHECK_FALSE(first.complete);
  CHECK(first.done == 100);
  opt.stop_after = -1;
  opt.resume = true;
  auto second = run_sc_network(cfg, opt);
  CHECK(second.complete);
  CHECK(second.simulated == 150);
  opt.out = root / "b";
  opt.resume = false;
  auto whole = run_sc_network(cfg, opt);
  CHECK(whole.complete);
  CHECK(mlp::read_file(root / "a" / "images.csv") == mlp::read_file(root / "b" / "images.csv"));
  CHECK(second.summary["accuracy"] == whole.summary["accuracy"]);
  // A different setting is refused, naming the key.
  auto other = mlp::load_config(SPX_SOURCE_DIR "/examples/sc/sc.toml", {"sc.length=60"});
  opt.resume = true;
  CHECK_THROWS_WITH(run_sc_network(other, opt), doctest::Contains("run.json: set: the run there has [\"sc.length=50\"]"));
  std::filesystem::remove_all(root);
}
