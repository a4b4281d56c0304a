// From a trained network and its configuration to what the SC engine runs: integer weight levels
// (latent weights quantized as the trainer does), the learned per-layer scale as the neuron gain
// beta, and the conductance of every input line (sum of its cells' G+ + G-: a level v = j / m sits
// on the pair G+ = G_low - (G_low - G_high) max(0, -v), G- = G_low - (G_low - G_high) max(0, v),
// as in the crossbar's closed form, mlp/train.hpp).
#pragma once

#include "mlp/config.hpp"
#include "mlp/train.hpp"
#include "sc/cost.hpp"
#include "sc/network.hpp"

namespace spx::sc {

/// The SC layers of a network with quantized weights (2, 3, 5 or 11 levels); r_low < r_high in ohm.
ScModel build_model(const mlp::Network& net, double r_low, double r_high);

/// The engine settings of a configuration's [sc] and [smtj] sections.
ScSettings settings_of(const mlp::ScConfig& c);
/// The peripheral figures of a configuration's [sc] section.
ScCostParams cost_of(const mlp::ScConfig& c);

/// The trained network a stochastic-computing configuration names: model.json in network.weights
/// when it is there (levels, latent weights and learned scales), else the W<k>/B<k> files with
/// network.gains as the neuron gains.
mlp::Network load_sc_network(const mlp::Config& cfg);

}  // namespace spx::sc
