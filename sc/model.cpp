// SC model construction (model.hpp).
#include "sc/model.hpp"

#include <cmath>

#include "devices/error.hpp"
#include "devices/files.hpp"
#include "devices/synapse.hpp"
#include "mlp/weights.hpp"

namespace spx::sc {

ScModel build_model(const mlp::Network& net, double r_low, double r_high) {
  const int levels = net.spec.levels;
  if (!devices::supported_levels(levels))
    fail("sc: stochastic computing stores weights on MTJ pairs: 2, 3, 5 or 11 levels, got {}", mlp::weights_name(levels));
  const int half = devices::SynapseMap{levels}.half_levels();
  const double g_low = 1 / r_low, dg = 1 / r_low - 1 / r_high;
  ScModel model;
  for (size_t k = 0; k < net.w.size(); ++k) {
    mlp::MatrixF q = mlp::quantized(net, k);
    ScLayer l;
    l.inputs = static_cast<int>(q.rows()) - 1;
    l.outputs = static_cast<int>(q.cols());
    l.half = half;
    l.beta = net.scale[k];
    l.w.resize(static_cast<size_t>(q.size()));
    l.row_conductance.assign(static_cast<size_t>(q.rows()), 0.0);
    for (Eigen::Index r = 0; r < q.rows(); ++r) {
      for (Eigen::Index c = 0; c < q.cols(); ++c) {
        const int level = static_cast<int>(std::lround(q(r, c) * half));
        l.w[static_cast<size_t>(r * q.cols() + c)] = level;
        const double v = static_cast<double>(level) / half;
        l.row_conductance[static_cast<size_t>(r)] += 2 * g_low - dg * (std::max(0.0, -v) + std::max(0.0, v));
      }
    }
    model.layers.push_back(std::move(l));
  }
  return model;
}

ScSettings settings_of(const mlp::ScConfig& c) {
  ScSettings s;
  s.length = c.length;
  s.states = c.states;
  s.stream = c.telegraph ? StreamKind::telegraph : StreamKind::bernoulli;
  s.readout = c.integrate ? ScReadout::integrate : ScReadout::count;
  s.seed = c.seed;
  s.pbit = c.pbit;
  return s;
}

ScCostParams cost_of(const mlp::ScConfig& c) {
  ScCostParams p;
  p.v_row = c.v_row;
  p.p_amplifier = c.p_amplifier;
  p.e_counter = c.e_counter;
  p.e_dac_bit = c.e_dac_bit;
  p.analog_bits = c.analog_bits;
  return p;
}

mlp::Network load_sc_network(const mlp::Config& cfg) {
  const mlp::ModelSpec spec = mlp::model_spec(cfg);
  if (cfg.weights_dir.empty()) fail("{}: network.weights: missing (a trained model directory)", cfg.file.string());
  const auto json = cfg.weights_dir / "model.json";
  std::error_code ec;
  if (std::filesystem::exists(json, ec)) return mlp::from_json(read_input_file(json), spec, json.string());
  mlp::Network net = mlp::from_weights(mlp::read_weights(cfg.weights_dir, cfg.sizes, cfg.weights_format), spec);
  for (size_t k = 0; k < net.scale.size(); ++k) net.scale[k] = static_cast<float>(cfg.gains[k]);
  return net;
}

}  // namespace spx::sc
