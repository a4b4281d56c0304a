// Stochastic-computing inference and p-bit characterization speed.
// 1. SC-MLP: the 784-256-128-64-10 network with 5-level weights and 5-state activations, telegraph
//    streams from the default p-bit, over the MNIST test images (synthetic MNIST-like images when
//    data/mnist is missing): images per second and total time for L = 100 and 400 on 1 and 2
//    threads, and whether both thread counts give identical outputs. Weights: the committed example
//    (examples/sc/sc.toml, or another SC config given with --config FILE), or with --random seeded
//    random levels with a gain that saturates about half of the hidden neurons.
// 2. p-bit curve: 21 currents x 2000 clocks on the native transient plus 200 clocks per current on
//    ngspice; wall time, |P native - closed form| and |P ngspice - native|.
// --quick: 300 images, L = 100, a 5-point curve of 200 clocks (CTest).
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "benches/bench_util.hpp"
#include "mlp/config.hpp"
#include "mlp/dataset.hpp"
#include "mlp/train.hpp"
#include "sc/model.hpp"
#include "sc/network.hpp"
#include "sc/pbit_curve.hpp"

using namespace spx;

namespace {

sc::ScModel random_model(const std::vector<int>& sizes, uint64_t seed) {
  sc::ScModel m;
  for (size_t k = 0; k + 1 < sizes.size(); ++k) {
    sc::ScLayer l;
    l.inputs = sizes[k];
    l.outputs = sizes[k + 1];
    l.half = 2;
    devices::CellRng rng(seed, static_cast<int64_t>(k), 0, 0, devices::Purpose::other);
    for (int i = 0; i < (l.inputs + 1) * l.outputs; ++i) l.w.push_back(static_cast<int32_t>(rng.next() % 5) - 2);
    l.beta = 6.0 / std::sqrt(static_cast<double>(l.inputs));
    l.row_conductance.assign(static_cast<size_t>(l.inputs + 1), 2e-4);
    m.layers.push_back(std::move(l));
  }
  return m;
}

std::vector<float> test_images(int count) {
  std::vector<float> x;
  try {
    mlp::LabeledImages set = mlp::load_idx_dataset("mnist", mlp::Split::test);
    for (int k = 0; k < count && k < set.images.count; ++k) {
      const uint8_t* img = set.images.image(k);
      for (int i = 0; i < 784; ++i) x.push_back(static_cast<float>(img[i] / 255.0));
    }
    fmt::print("inputs: MNIST test images\n");
    return x;
  } catch (const InputError&) {
  }
  devices::CellRng rng(3, 0, 0, 0, devices::Purpose::other);
  for (int k = 0; k < count * 784; ++k) {
    const double u = rng.uniform();
    x.push_back(u < 0.8 ? 0.0f : u < 0.9 ? 1.0f : static_cast<float>(rng.uniform()));
  }
  fmt::print("inputs: synthetic MNIST-like images (80 % zeros, 10 % ones, 10 % uniform)\n");
  return x;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false, random = false;
  std::string config = SPX_SOURCE_DIR "/examples/sc/sc.toml";
  for (int k = 1; k < argc; ++k) {
    if (!std::strcmp(argv[k], "--quick")) quick = true;
    else if (!std::strcmp(argv[k], "--random")) random = true;
    else if (!std::strcmp(argv[k], "--config") && k + 1 < argc) config = argv[++k];
  }
  const std::vector<int> sizes = {784, 256, 128, 64, 10};
  sc::ScModel model = random_model(sizes, 1);
  sc::ScSettings base;
  if (!random) {
    const mlp::Config cfg = mlp::load_config(config);
    model = sc::build_model(sc::load_sc_network(cfg), cfg.spec.synapse.r_low, cfg.spec.synapse.r_high);
    base = sc::settings_of(cfg.sc);
    fmt::print("weights: {}\n", config);
  } else {
    fmt::print("weights: seeded random 5-level\n");
  }
  const int count = quick ? 300 : 10000;
  const std::vector<float> x = test_images(count);
  const int n = static_cast<int>(x.size() / 784);
  fmt::print("{:>6} {:>8} {:>10} {:>12} {:>10}\n", "L", "threads", "seconds", "images/s", "identical");
  for (int L : quick ? std::vector<int>{100} : std::vector<int>{100, 400}) {
    sc::ScSettings st = base;
    st.length = L;
    std::vector<sc::ScImage> one;
    for (int threads : {1, 2}) {
      const double t0 = bench::now();
      auto r = sc::run_sc(model, st, x.data(), n, 0, threads);
      const double s = bench::now() - t0;
      bool same = true;
      if (threads == 1) one = r;
      else
        for (size_t k = 0; k < r.size(); ++k) same = same && r[k].outputs == one[k].outputs;
      fmt::print("{:>6} {:>8} {:>10.2f} {:>12.0f} {:>10}\n", L, threads, s, n / s, threads == 1 ? "-" : same ? "yes" : "NO");
      if (!same) return 1;
    }
  }
  sc::PbitCurveOptions o;
  o.points = quick ? 5 : 21;
  o.bits = quick ? 200 : 2000;
  o.ngspice_bits = quick ? 100 : 200;
  const double t0 = bench::now();
  const auto curve = sc::characterize_pbit(devices::PbitParams{}, o);
  const double s = bench::now() - t0;
  double closed = 0, ng = 0;
  for (const auto& p : curve.points) {
    closed = std::max(closed, std::fabs(p.p_native - p.p_closed));
    ng = std::max(ng, std::fabs(p.p_ngspice - p.p_native_window));
  }
  fmt::print("p-bit curve: {} currents x {} clocks native + {} ngspice: {:.1f} s; |P native - closed| <= {:.4f}, "
             "|P ngspice - native| <= {:.4f}\n", o.points, o.bits, o.ngspice_bits, s, closed, ng);
  return ng <= 0.01 ? 0 : 1;
}
