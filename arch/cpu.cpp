// Analytical CPU model (cpu.hpp).
#include "arch/cpu.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace spx::arch {

const std::vector<devices::ParamSpec<CpuParams>>& cpu_table() {
  using P = CpuParams;
  static const std::vector<devices::ParamSpec<CpuParams>> t = {
      {"e_mac", &P::e_mac, "J", "energy per fp32 multiply-accumulate", 0, 1e-6},
      {"e_overhead", &P::e_overhead, "J", "energy per instruction beyond its arithmetic", 0, 1e-6},
      {"macs_per_instruction", &P::macs_per_instruction, "", "MACs per SIMD instruction", 1, 1024},
      {"e_l1", &P::e_l1, "J", "energy per 64-bit L1 access", 0, 1e-6},
      {"e_l2", &P::e_l2, "J", "energy per 64-bit L2 access", 0, 1e-6},
      {"e_dram", &P::e_dram, "J", "energy per 64-bit DRAM access", 0, 1e-3},
      {"reuse", &P::reuse, "", "MACs per operand pair loaded from L1", 1, 1e6},
      {"l2_bytes", &P::l2_bytes, "B", "L2 capacity", 0, 1e12},
      {"clock", &P::clock, "Hz", "core clock", 0, 1e12, true},
      {"macs_per_cycle", &P::macs_per_cycle, "", "MACs per cycle per core", 0, 1e6, true},
      {"cores", &P::cores, "", "cores running the inference", 1, 1024},
      {"dram_bandwidth", &P::dram_bandwidth, "B/s", "sustained DRAM bandwidth", 0, 1e15, true},
      {"p_static", &P::p_static, "W", "static power while busy", 0, 1000},
  };
  return t;
}

std::vector<LayerShape> feature_shapes(const nn::Shape& input, const std::vector<nn::FeatureLayer>& layers) {
  const auto shapes = nn::feature_shapes(input, layers);
  std::vector<LayerShape> out;
  for (size_t k = 0; k < layers.size(); ++k) {
    const auto& f = layers[k];
    const nn::Shape &in = shapes[k], &o = shapes[k + 1];
    LayerShape s;
    s.inputs = in.size();
    s.outputs = o.size();
    switch (f.kind) {
      case nn::FeatureLayer::Kind::conv: {
        const double fan_in = static_cast<double>(in.channels) * f.conv.kernel * f.conv.kernel;
        s.name = fmt::format("conv {}@{}x{}", f.conv.out_channels, f.conv.kernel, f.conv.kernel);
        s.macs = static_cast<double>(o.size()) * fan_in;
        s.weights = f.conv.out_channels * (fan_in + 1);
        break;
      }
      case nn::FeatureLayer::Kind::pool:
        s.name = fmt::format("pool {} {}", f.pool.kind == nn::PoolKind::max ? "max" : "average", f.pool.size);
        s.macs = static_cast<double>(o.size()) * f.pool.size * f.pool.size;  // one compare or add per window value
        break;
      case nn::FeatureLayer::Kind::relu:
        s.name = "relu";
        s.macs = in.size();  // one compare per value
        break;
    }
    out.push_back(s);
  }
  return out;
}

std::vector<LayerShape> fc_shapes(const std::vector<int>& sizes) {
  std::vector<LayerShape> out;
  for (size_t k = 0; k + 1 < sizes.size(); ++k) {
    LayerShape s;
    s.name = fmt::format("fc {}x{}", sizes[k], sizes[k + 1]);
    s.fc = true;
    s.inputs = sizes[k];
    s.outputs = sizes[k + 1];
    s.macs = static_cast<double>(sizes[k]) * sizes[k + 1];
    s.weights = (sizes[k] + 1.0) * sizes[k + 1];
    out.push_back(s);
  }
  return out;
}

CpuCost cpu_cost(const CpuParams& p, const std::vector<LayerShape>& layers, bool resident, bool load_input, bool store_output) {
  CpuCost c;
  const double word = 4, access = 8;  // bytes: fp32 values, 64-bit accesses
  for (size_t k = 0; k < layers.size(); ++k) {
    const auto& l = layers[k];
    c.macs += l.macs;
    c.compute += l.macs * (p.e_mac + p.e_overhead / p.macs_per_instruction);
    c.l1 += l.macs / p.reuse * p.e_l1;
    c.l2 += (l.inputs + l.weights + l.outputs) * word / access * p.e_l2;
    double dram_bytes = resident ? 0.0 : l.weights * word;
    if (k == 0 && load_input) dram_bytes += l.inputs * word;
    if (k + 1 == layers.size() && store_output) dram_bytes += l.outputs * word;
    c.dram += dram_bytes / access * p.e_dram;
    const double compute_time = l.macs / (p.clock * p.macs_per_cycle * p.cores);
    c.latency += std::max(compute_time, dram_bytes / p.dram_bandwidth);
  }
  c.static_energy = p.p_static * c.latency;
  return c;
}

Split cpu_imac(const CpuParams& p, const std::string& network, const std::vector<LayerShape>& conv,
               const std::vector<LayerShape>& fc, double fc_imac_energy, double fc_imac_latency) {
  double weight_bytes = 0;
  for (const auto* set : {&conv, &fc})
    for (const auto& l : *set) weight_bytes += l.weights * 4;
  const bool resident = weight_bytes <= p.l2_bytes;
  const double conv_bytes = [&] {
    double b = 0;
    for (const auto& l : conv) b += l.weights * 4;
    return b;
  }();
  Split s;
  s.network = network;
  // The image comes from DRAM; the features stay on chip; the classes go back to DRAM from the CPU's
  // FC layers, or from IMAC through the transfer.
  s.conv = cpu_cost(p, conv, resident || conv_bytes <= p.l2_bytes, true, false);
  s.fc_cpu = cpu_cost(p, fc, resident, false, true);
  // The feature values cross to IMAC's DACs and the outputs come back, at L2-level cost.
  if (!fc.empty()) s.transfer_energy = (fc.front().inputs + fc.back().outputs) * 4 / 8 * p.e_l2;
  s.fc_imac_energy = fc_imac_energy;
  s.fc_imac_latency = fc_imac_latency;
  return s;
}

nlohmann::json to_json(const CpuCost& c) {
  return {{"energy_j", c.energy()}, {"compute_j", c.compute}, {"l1_j", c.l1},         {"l2_j", c.l2},
          {"dram_j", c.dram},       {"static_j", c.static_energy}, {"latency_s", c.latency}, {"macs", c.macs}};
}

nlohmann::json to_json(const Split& s) {
  return {{"network", s.network},
          {"conv_on_cpu", to_json(s.conv)},
          {"fc_on_cpu", to_json(s.fc_cpu)},
          {"fc_on_imac", {{"energy_j", s.fc_imac_energy}, {"latency_s", s.fc_imac_latency}}},
          {"transfer_j", s.transfer_energy},
          {"cpu_only", {{"energy_j", s.cpu_only_energy()}, {"latency_s", s.cpu_only_latency()}}},
          {"cpu_imac", {{"energy_j", s.hybrid_energy()}, {"latency_s", s.hybrid_latency()}}},
          {"energy_saving", s.cpu_only_energy() > 0 ? nlohmann::json(1 - s.hybrid_energy() / s.cpu_only_energy()) : nlohmann::json()},
          {"latency_saving", s.cpu_only_latency() > 0 ? nlohmann::json(1 - s.hybrid_latency() / s.cpu_only_latency()) : nlohmann::json()}};
}

std::vector<nn::FeatureLayer> vgg16_features() {
  std::vector<nn::FeatureLayer> f;
  int channels = 3;
  for (int c : {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0}) {
    nn::FeatureLayer l;
    if (c == 0) {
      l.kind = nn::FeatureLayer::Kind::pool;
      l.pool.kind = nn::PoolKind::max;
      l.pool.size = l.pool.stride = 2;
      f.push_back(l);
      continue;
    }
    l.kind = nn::FeatureLayer::Kind::conv;
    l.conv.in_channels = channels;
    l.conv.out_channels = c;
    l.conv.kernel = 3;
    l.conv.pad = 1;
    f.push_back(l);
    nn::FeatureLayer relu;
    relu.kind = nn::FeatureLayer::Kind::relu;
    f.push_back(relu);
    channels = c;
  }
  return f;
}

}  // namespace spx::arch
