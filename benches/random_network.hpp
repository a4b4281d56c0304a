// The benchmarks' network: the IMAC 400-120-84-10 architecture (or any sizes) with seeded random
// binary weights and biases and MlpSpec's defaults otherwise, and seeded random +-1 V images.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "netlist/mlp.hpp"

namespace spx::bench {

inline netlist::MlpSpec network(const std::vector<int>& sizes, uint32_t seed) {
  netlist::MlpSpec s;
  s.synapse.r_low = s.mtj.r_parallel();
  s.synapse.r_high = s.mtj.r_antiparallel();
  std::mt19937 rng(seed);
  const double gains[] = {30, 30, 10};
  for (size_t k = 0; k + 1 < sizes.size(); ++k) {
    netlist::LayerSpec l;
    l.inputs = sizes[k];
    l.outputs = sizes[k + 1];
    l.gain = gains[std::min<size_t>(k, 2)];
    for (int i = 0; i < l.inputs * l.outputs; ++i) l.weights.push_back(rng() % 2 ? 1 : -1);
    for (int i = 0; i < l.outputs; ++i) l.biases.push_back(rng() % 2 ? 1 : -1);
    s.layers.push_back(l);
  }
  return s;
}

inline std::vector<double> images(int inputs, int count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<double> x(static_cast<size_t>(inputs) * count);
  for (auto& v : x) v = rng() % 2 ? 1.0 : -1.0;
  return x;
}

}  // namespace spx::bench
