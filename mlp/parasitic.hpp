// Parasitic-aware training: the crossbar model made to compute what the circuit with its wires computes.
// A crossbar layer is affine in its input voltages, in the closed form (no wires) and in the circuit
// alike: z = A [x; vdd]. The circuit's A at the current weights is exact from the port reduction of
// the whole network (solver/port_reduction.hpp: z of every layer as an affine function of the inputs
// and of the neurons' outputs; a hidden layer's column i is its z's dependence on neuron i of the
// layer before, loading and all). The closed form's A (crossbar_sensitivity) entry by entry is
// merge g_low (d0 G+ + d2 G-) for a cell, so a factor rho on the cell's currents into the amplifier
// (G+ rho and G- rho in the lines' numerators, network.wire) makes the model's entry the circuit's:
// rho = A_circuit / A_model. At the weights it was fitted for, the model then is the circuit's linear
// part exactly (to float rounding); the factors are where on its lines a cell sits, so they keep
// holding when a weight changes level (a flipped binary weight's entry changes sign with the same
// attenuation), and the gradients flow through the attenuated cells. Training refits them every
// train.refit epochs, and each epoch's validation runs on freshly fitted factors.
// Entries the closed form leaves at ~0 (a zero-weight cell of ternary or more levels, whose two
// currents cancel) take their column's mean factor.
#pragma once

#include "mlp/config.hpp"
#include "mlp/train.hpp"

namespace spx::mlp {

/// What a fit found.
struct WireFit {
  double seconds = 0;               ///< circuit build, reduction and fit
  double rho_min = 1, rho_max = 1;  ///< range of the factors over every layer
  double rho_mean = 1;
  double coupling = 0;              ///< largest |dz| of a layer on anything but its own inputs, relative
                                    ///< to the largest entry of its own map (what the model leaves out)
};

/// Fits net.wire to the circuit of the config (devices, partitions, wires) with the network's current
/// quantized weights. The network is a crossbar model of the config's sizes; analog layers and
/// neuron laws only (the config checks train.interconnect = circuit).
WireFit fit_wires(const Config& config, Network& net, int threads = 2);

}  // namespace spx::mlp
