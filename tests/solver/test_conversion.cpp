// Partial-sum conversion in the generated circuit: every accumulator sets its neuron input to what
// the converter model (devices/converter.hpp) gives for the solved partition outputs and the image's
// draws; ngspice and the native solver agree on it; the port reduction (converter sources as direct
// inputs) reproduces the full solve image by image.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "netlist/mlp.hpp"
#include "solver/native.hpp"
#include "solver/port_reduction.hpp"
#include "tests/solver/both_backends.hpp"
#include "tests/solver/networks.hpp"

using namespace spx;
using netlist::MlpSpec;

namespace {

MlpSpec converting_network(netlist::MergeMode merge) {
  MlpSpec s = test::random_network({16, 8, 4}, 4, 4, 5);
  s.merge = merge;
  s.conversion.resize(2);
  auto& adc = s.conversion[0];
  adc.mode = devices::ConversionMode::adc;
  adc.bits = 3;
  adc.range = 1.0;
  adc.offset = 0.3;
  adc.inl = 0.4;
  adc.noise = 0.7;
  auto& sto = s.conversion[1];
  sto.mode = devices::ConversionMode::stochastic;
  sto.samples = 5;
  sto.range = 1.5;
  s.conversion_seed = 9;
  return s;
}

std::vector<double> inputs(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<double> x(n);
  for (auto& v : x) v = rng() % 2 ? 1.0 : -1.0;
  return x;
}

double voltage(const solver::AnalysisResult& r, const netlist::Circuit& c, netlist::NodeId n) {
  return r.vectors.at("v(" + c.node_name(n) + ")").at(0);
}

}  // namespace

TEST_CASE("conversion circuit: accumulators equal the converter model of the solved partition outputs") {
  for (auto merge : {netlist::MergeMode::average, netlist::MergeMode::sum}) {
    const MlpSpec s = converting_network(merge);
    const int64_t image = 17;
    netlist::Circuit c;
    auto ports = netlist::build_mlp(s, inputs(16, 1), c, image);
    c.analyses = {netlist::Analysis{}};
    auto res = solver::simulate_native(c);
    REQUIRE(res[0].report.ok());
    int checked = 0;
    for (int l = 1; l <= 2; ++l) {
      const auto cv = netlist::conversion_of(s, l);
      for (size_t r = 0; r < ports.partition_out[l - 1].size(); ++r) {
        const auto& parts = ports.partition_out[l - 1][r];
        double sum = 0;
        for (size_t h = 0; h < parts.size(); ++h) {
          const double a = voltage(res[0], c, parts[h]);
          if (cv.mode == devices::ConversionMode::adc) {
            sum += devices::adc_value(cv, a, devices::adc_noise(cv, s.conversion_seed, l, static_cast<int>(h), static_cast<int>(r), image));
          } else {
            std::vector<double> t(cv.samples);
            devices::sample_thresholds(s.sot_converter, s.conversion_seed, l, static_cast<int>(h), static_cast<int>(r), image,
                                       cv.samples, t.data());
            sum += devices::stochastic_value(cv, s.sot_converter, a, t.data());
          }
        }
        const double z = merge == netlist::MergeMode::average ? sum / static_cast<double>(parts.size()) : sum;
        CHECK(voltage(res[0], c, ports.layer_z[l - 1][r]) == doctest::Approx(z).epsilon(1e-12));
        ++checked;
      }
    }
    CHECK(checked == 12);
    // ngspice computes the same circuit.
    auto both = test::run_both(c);
    CHECK(both.agreement.max_rel < 1e-9);
  }
}

TEST_CASE("conversion circuit: the port reduction with converter sources equals full solves, image by image") {
  const MlpSpec s = converting_network(netlist::MergeMode::average);
  netlist::Circuit c;
  auto ports = netlist::build_mlp(s, inputs(16, 1), c, 0);
  std::vector<netlist::ElementId> in = ports.input_sources;
  for (const auto& cs : ports.converter_sources) in.push_back(cs.source);
  solver::PortReducedNetwork red(c, in, ports.outputs);
  CHECK(red.direct_inputs() == static_cast<int32_t>(ports.converter_sources.size()));
  for (int64_t image = 0; image < 6; ++image) {
    const auto x = inputs(16, 50 + static_cast<uint32_t>(image));
    std::vector<double> v(in.size());
    std::copy(x.begin(), x.end(), v.begin());
    netlist::converter_values(s, ports, image, v.data() + x.size());
    std::vector<double> out(ports.outputs.size());
    REQUIRE(red.solve(v, out).ok);
    netlist::Circuit full;
    auto fp = netlist::build_mlp(s, x, full, image);
    const auto ref = test::full_outputs(full, fp, x);
    for (size_t k = 0; k < out.size(); ++k) CHECK(out[k] == doctest::Approx(ref[k]).epsilon(1e-10));
  }
}
