// An analytical model of a mobile CPU running a network's layers: the CPU half of CPU-IMAC (conv
// layers on the CPU, FC layers on the IMAC crossbars).
// Energy per inference of a layer with M multiply-accumulates, W weights, I inputs and O outputs
// (32-bit words; 64-bit accesses):
//   compute  M (e_mac + e_overhead / macs_per_instruction)
//   L1       M / reuse accesses: every MAC's two operands come from L1, `reuse` MACs per operand pair
//            held in registers (2 words per 64-bit access)
//   L2       (I + W + O) / 2 accesses: every layer's inputs, weights and outputs pass L2 once
//   DRAM     (W / 2 accesses per layer) when the network's weights exceed the L2 (streamed every
//            inference), plus the network's input and output once (the features between the conv and
//            FC parts stay on chip)
// Latency: the larger of the compute time M / (clock macs_per_cycle cores) and the DRAM time (bytes /
// dram_bandwidth), per layer (a roofline); static power p_static over the latency.
// Sources (config keys [cpu], defaults):
//   e_mac 4.6 pJ, fp32 multiply (3.7 pJ) + add (0.9 pJ); e_overhead 70 pJ per instruction (fetch,
//   decode, register file of a 45 nm RISC core); e_l1 20 pJ (32 KB SRAM), e_l2 100 pJ (1 MB SRAM),
//   e_dram 2.6 nJ per 64-bit access (upper end of 1.3-2.6 nJ): M. Horowitz, "Computing's energy
//   problem (and what we can do about it)", ISSCC 2014, 45 nm, 0.9 V. Throughput: an ARM Cortex-A72
//   (Raspberry Pi 4) at 1.5 GHz, one core, 4 fp32 MACs per cycle (one 128-bit NEON FMA; 8 FLOP per
//   cycle measured), 4 MACs per SIMD instruction, 1 MB L2; LPDDR4-3200 on a 32-bit bus, 12.8 GB/s
//   peak, 6.4 GB/s sustained. p_static: 0.1 W of a core's leakage and clocking while busy.
// Between CPU and IMAC the features cross once per inference: I_fc / 2 L2-level accesses (the DAC
// registers sit behind the same on-chip network as the L2), and the outputs come back the same way.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "devices/params.hpp"
#include "nn/conv.hpp"

namespace spx::arch {

/// CPU parameters ([cpu]).
struct CpuParams {
  double e_mac = 4.6e-12;          ///< J per fp32 multiply-accumulate
  double e_overhead = 70e-12;      ///< J per instruction beyond its arithmetic
  double macs_per_instruction = 4; ///< MACs per SIMD instruction
  double e_l1 = 20e-12;            ///< J per 64-bit L1 access
  double e_l2 = 100e-12;           ///< J per 64-bit L2 access
  double e_dram = 2.6e-9;          ///< J per 64-bit DRAM access
  double reuse = 4;                ///< MACs per operand pair loaded from L1 (register blocking)
  double l2_bytes = 1 << 20;       ///< bytes of L2
  double clock = 1.5e9;            ///< Hz
  double macs_per_cycle = 4;       ///< per core
  double cores = 1;                ///< cores running the inference
  double dram_bandwidth = 6.4e9;   ///< B/s sustained
  double p_static = 0.1;           ///< W while busy
};
const std::vector<devices::ParamSpec<CpuParams>>& cpu_table();

/// The shape of one layer as the CPU sees it.
struct LayerShape {
  std::string name;   ///< "conv 6@5x5", "fc 400x120", "pool"
  bool fc = false;    ///< a fully connected layer (IMAC's in CPU-IMAC)
  double macs = 0;    ///< multiply-accumulates (pooling and ReLU: their compare/adds)
  double weights = 0; ///< parameters
  double inputs = 0;  ///< input values
  double outputs = 0; ///< output values
};

/// Layer shapes of a feature stack (conv, pool, ReLU) from its input shape.
std::vector<LayerShape> feature_shapes(const nn::Shape& input, const std::vector<nn::FeatureLayer>& layers);
/// FC layers of sizes n0-n1-...-nk (weights with biases).
std::vector<LayerShape> fc_shapes(const std::vector<int>& sizes);

/// Energy and latency of layers on the CPU, by part.
struct CpuCost {
  double compute = 0, l1 = 0, l2 = 0, dram = 0, static_energy = 0;  ///< J
  double latency = 0;                                              ///< s
  double macs = 0;
  double energy() const { return compute + l1 + l2 + dram + static_energy; }
};
/// Cost of running `layers` on the CPU for one inference; `weights_resident`: the whole network's
/// weights fit the L2 (else each layer's weights stream from DRAM); `load_input` / `store_output`: the
/// first layer's input comes from DRAM / the last layer's output goes there (the network's ends; a
/// part in the middle keeps them on chip).
CpuCost cpu_cost(const CpuParams& p, const std::vector<LayerShape>& layers, bool weights_resident, bool load_input = true,
                 bool store_output = true);

/// The CPU-only and CPU-IMAC figures of a network: conv layers on the CPU either way, the FC layers on
/// the CPU or on IMAC (energy and latency per inference given), and the transfer between them.
struct Split {
  std::string network;
  CpuCost conv, fc_cpu;
  double fc_imac_energy = 0, fc_imac_latency = 0;  ///< J, s
  double transfer_energy = 0;                      ///< J
  double cpu_only_energy() const { return conv.energy() + fc_cpu.energy(); }
  double cpu_only_latency() const { return conv.latency + fc_cpu.latency; }
  double hybrid_energy() const { return conv.energy() + fc_imac_energy + transfer_energy; }
  double hybrid_latency() const { return conv.latency + fc_imac_latency; }
};
Split cpu_imac(const CpuParams& p, const std::string& network, const std::vector<LayerShape>& conv,
               const std::vector<LayerShape>& fc, double fc_imac_energy, double fc_imac_latency);
nlohmann::json to_json(const Split& s);
nlohmann::json to_json(const CpuCost& c);

/// VGG-16 for 32x32x3 CIFAR-10 images (3x3 convolutions, pad 1, 2x2 max pools): its feature stack.
std::vector<nn::FeatureLayer> vgg16_features();

}  // namespace spx::arch
