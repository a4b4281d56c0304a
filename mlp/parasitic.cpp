// Parasitic-aware training: wire factors fitted to the circuit's exact layer maps (parasitic.hpp).
#include "mlp/parasitic.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "devices/error.hpp"
#include "mlp/generate.hpp"
#include "solver/port_reduction.hpp"

namespace spx::mlp {

WireFit fit_wires(const Config& config, Network& net, int threads) {
  const auto t0 = std::chrono::steady_clock::now();
  if (net.spec.model != LayerModel::crossbar) fail("train.interconnect: \"circuit\" needs the crossbar model");
  const size_t layers = net.w.size();
  if (config.sizes.size() != layers + 1) fail("train.interconnect: the network has {} layers, the config {}", layers, config.sizes.size() - 1);
  // The circuit of the current weights, as quantized.
  Config c = config;
  Network plain = net;
  plain.wire.clear();
  use_weights(c, to_weights(plain));
  Generated g = generate(c, {std::vector<double>(static_cast<size_t>(c.sizes.front()), 0.0)}, false, 0);
  std::vector<netlist::NodeId> z;
  std::vector<size_t> first_z{0};
  for (const auto& l : g.ports.layer_z) {
    z.insert(z.end(), l.begin(), l.end());
    first_z.push_back(z.size());
  }
  solver::PortReducedNetwork red(g.circuit, g.ports.input_sources, z, {}, threads);
  const auto map = red.affine_map();
  // Port column of every neuron (layer, index).
  std::map<std::pair<int, int>, Eigen::Index> port_of;
  for (size_t k = 0; k < map.port_elements.size(); ++k) {
    const auto& e = g.circuit.elements[map.port_elements[k]];
    if (e.origin.role == netlist::Role::neuron) port_of[{e.origin.layer, e.origin.col}] = static_cast<Eigen::Index>(k);
  }
  if (g.ports.input_sources.size() != static_cast<size_t>(c.sizes.front()))
    fail("train.interconnect: the circuit has {} input sources for {} inputs", g.ports.input_sources.size(), c.sizes.front());

  WireFit fit;
  double sum = 0, count = 0;
  fit.rho_min = INFINITY;
  fit.rho_max = -INFINITY;
  const double vdd = c.spec.vdd;
  net.wire.assign(layers, MatrixF());
  net.wire_offset.assign(layers, MatrixF());
  for (size_t k = 0; k < layers; ++k) {
    const int n = c.sizes[k], m = c.sizes[k + 1];
    // The circuit's map: row i (input, bias last) x output j.
    Eigen::MatrixXd circuit(n + 1, m);
    std::vector<Eigen::Index> own;  // the port columns of this layer's inputs (hidden layers)
    std::vector<char> is_own(static_cast<size_t>(map.ports.cols()), 0);
    for (int i = 0; i < n && k > 0; ++i) {
      auto it = port_of.find({static_cast<int>(k), i});
      if (it == port_of.end()) fail("train.interconnect: neuron {} of layer {} has no law in the circuit", i, k);
      own.push_back(it->second);
      is_own[static_cast<size_t>(it->second)] = 1;
    }
    double largest = 0, other = 0;
    for (int j = 0; j < m; ++j) {
      const Eigen::Index row = static_cast<Eigen::Index>(first_z[k] + static_cast<size_t>(j));
      for (int i = 0; i < n; ++i) circuit(i, j) = k == 0 ? map.inputs(row, i) : map.ports(row, own[static_cast<size_t>(i)]);
      circuit(n, j) = map.c(row) / vdd;  // the bias line, the only source left at zero inputs and ports
      largest = std::max(largest, circuit.col(j).cwiseAbs().maxCoeff());
      // What this layer's z depends on beyond its own inputs (left out of the model).
      for (Eigen::Index p = 0; p < map.ports.cols(); ++p)
        if (!is_own[static_cast<size_t>(p)]) other = std::max(other, std::fabs(map.ports(row, p)));
      if (k > 0)
        for (Eigen::Index i = 0; i < map.inputs.cols(); ++i) other = std::max(other, std::fabs(map.inputs(row, i)));
    }
    if (largest > 0) fit.coupling = std::max(fit.coupling, other / largest);
    const MatrixF model = crossbar_sensitivity(plain, k);
    MatrixF rho(n + 1, m);
    for (int j = 0; j < m; ++j) {
      const double scale = model.col(j).cwiseAbs().maxCoeff();
      double col_sum = 0;
      int col_n = 0;
      std::vector<char> ok(static_cast<size_t>(n + 1), 0);
      for (int i = 0; i <= n; ++i)
        if (std::fabs(model(i, j)) > 1e-3 * scale) {
          rho(i, j) = static_cast<float>(circuit(i, j) / model(i, j));
          ok[static_cast<size_t>(i)] = 1;
          col_sum += rho(i, j);
          ++col_n;
        }
      const float mean = col_n > 0 ? static_cast<float>(col_sum / col_n) : 1.0f;
      for (int i = 0; i <= n; ++i) {
        if (!ok[static_cast<size_t>(i)]) rho(i, j) = mean;
        fit.rho_min = std::min(fit.rho_min, static_cast<double>(rho(i, j)));
        fit.rho_max = std::max(fit.rho_max, static_cast<double>(rho(i, j)));
        sum += rho(i, j);
        ++count;
      }
    }
    // What the factors cannot give (entries the closed form has at 0: cells whose currents cancel, or
    // a line of equal cells under the ideal amplifier) is added as it is.
    MatrixF offset(n + 1, m);
    bool any = false;
    for (int j = 0; j < m; ++j)
      for (int i = 0; i <= n; ++i) {
        offset(i, j) = static_cast<float>(circuit(i, j) - static_cast<double>(model(i, j)) * rho(i, j));
        any = any || std::fabs(offset(i, j)) > 1e-6 * std::fabs(circuit(i, j)) + 1e-12;
      }
    net.wire[k] = std::move(rho);
    if (any) net.wire_offset[k] = std::move(offset);
  }
  fit.rho_mean = count > 0 ? sum / count : 1;
  fit.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return fit;
}

}  // namespace spx::mlp
