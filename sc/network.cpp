// Clock-by-clock SC inference (network.hpp).
#include "sc/network.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>

#include "devices/error.hpp"
#include "devices/interrupt.hpp"
#include "devices/synapse.hpp"
#include "sc/bitstream.hpp"

namespace spx::sc {

void validate(const ScSettings& s, const char* section) {
  if (s.length < 1 || s.length > 1000000) fail("{}.length: must be in [1, 1000000] clocks, got {}", section, s.length);
  if (!devices::supported_states(s.states))
    fail("{}.states: must be 0 (not quantized), 2, 3, 5 or 11, got {}", section, s.states);
  devices::validate(s.pbit, "smtj");
}

namespace {

/// Per layer: the neuron's thresholds and energy for every reachable column sum s (index s + offset).
struct NeuronTable {
  int32_t offset = 0;
  std::vector<uint32_t> start;        // first clock: P(1) = p
  std::vector<uint32_t> next;         // pairs (from 0, from 1): p (1 - rho), p + (1 - p) rho
  std::vector<float> energy;          // J per clock of a neuron p-bit at that sum
};

NeuronTable neuron_table(const ScLayer& l, const ScSettings& st) {
  NeuronTable t;
  t.offset = (l.inputs + 1) * l.half;
  const size_t n = 2 * static_cast<size_t>(t.offset) + 1;
  t.start.resize(n);
  t.next.resize(2 * n);
  t.energy.resize(n);
  const auto& pb = st.pbit;
  const double i_half = pb.current_for(0.5), per_logit = pb.current_per_logit();
  for (size_t k = 0; k < n; ++k) {
    const double logit = l.beta * static_cast<double>(static_cast<int64_t>(k) - t.offset) / l.half;
    const double current = i_half + per_logit * logit;
    const double p = pb.p_one(current);
    const double rho = st.stream == StreamKind::telegraph ? pb.rho(current) : 0.0;
    t.start[k] = threshold(p);
    t.next[2 * k] = threshold(p * (1 - rho));
    t.next[2 * k + 1] = threshold(p + (1 - p) * rho);
    t.energy[k] = static_cast<float>(pb.energy_per_bit(current));
  }
  return t;
}

/// Lag-one correlation of an input line's p-bit biased to probability a.
double line_rho(const ScSettings& st, double a) {
  return st.stream == StreamKind::telegraph ? st.pbit.rho(st.pbit.current_for(a)) : 0.0;
}

double quantize(double a, int states) {
  if (states == 0) return a;
  const double k = states - 1;
  return std::round(a * k) / k;
}

/// Scratch space of one thread: p-bit lanes of the input lines and of the neurons.
struct Work {
  std::vector<int32_t> s;                         // current column sums (wide layers)
  std::vector<int16_t> s16;                       // current column sums (layers whose sums fit 16 bits)
  std::vector<uint32_t> up, down;                 // lanes that flipped to 1 / to 0 this clock
  std::vector<int64_t> acc;                       // integrated column sums (integrate readout)
  std::vector<int32_t> line;                      // input line of each p-bit lane
  std::vector<uint32_t> llo, lhi, lt0, lt1, ltp, lb, lflip, lones;
  std::vector<uint32_t> nlo, nhi, ny, ncount;
  std::vector<float> nenergy;
};

}  // namespace

// Vector kernels: one pass over all lanes per clock (built for AVX2 and for the baseline ISA; integer
// results are identical, and each float lane sums its clocks in order).
namespace kernel {

__attribute__((target_clones("avx2", "default"))) void lines_step(size_t n, const uint32_t* __restrict lo, const uint32_t* __restrict hi,
                                                                  const uint32_t* __restrict t0, const uint32_t* __restrict t1, uint32_t* __restrict b,
                                                                  uint32_t* __restrict flip, uint32_t* __restrict ones, uint32_t t) {
  for (size_t r = 0; r < n; ++r) {
    const uint32_t a0 = t0[r], a1 = t1[r], br = b[r];
    const uint32_t thr = br ? a1 : a0;
    const uint32_t nb = lane_uniform(lo[r], hi[r], t) < thr ? 1u : 0u;
    flip[r] = nb ^ br;
    b[r] = nb;
    ones[r] += nb;
  }
}

// Bodies shared by the 16- and 32-bit column sums, inlined into each clone so each is vectorized for
// the clone's instruction set.
template <typename Sum>
[[gnu::always_inline]] inline void add_row_body(size_t m, Sum* __restrict s, const Sum* __restrict row) {
  for (size_t j = 0; j < m; ++j) s[j] += row[j];
}

template <typename Sum>
[[gnu::always_inline]] inline void sub_row_body(size_t m, Sum* __restrict s, const Sum* __restrict row) {
  for (size_t j = 0; j < m; ++j) s[j] -= row[j];
}

template <typename Sum>
[[gnu::always_inline]] inline void accumulate_body(size_t m, int64_t* __restrict acc, const Sum* __restrict s) {
  for (size_t j = 0; j < m; ++j) acc[j] += s[j];
}

/// thresholds[stride idx + y]: stride 2 holds the (from 0, from 1) pairs, stride 1 the first clock's.
template <typename Sum>
[[gnu::always_inline]] inline void neurons_body(size_t m, const Sum* __restrict s, int32_t offset,
                                                const uint32_t* __restrict thresholds, int32_t stride,
                                                const float* __restrict etab, const uint32_t* __restrict lo,
                                                const uint32_t* __restrict hi, uint32_t* __restrict y,
                                                uint32_t* __restrict count, float* __restrict energy, uint32_t t) {
  const int32_t use_y = stride - 1;
  for (size_t j = 0; j < m; ++j) {
    const int32_t idx = s[j] + offset;
    const uint32_t thr = thresholds[stride * idx + use_y * static_cast<int32_t>(y[j])];
    const uint32_t nb = lane_uniform(lo[j], hi[j], t) < thr ? 1u : 0u;
    y[j] = nb;
    count[j] += nb;
    energy[j] += etab[idx];
  }
}

#define SPX_SC_KERNELS(Sum)                                                                                      \
  __attribute__((target_clones("avx2", "default"))) void add_row(size_t m, Sum* s, const Sum* row) {             \
    add_row_body(m, s, row);                                                                                      \
  }                                                                                                               \
  __attribute__((target_clones("avx2", "default"))) void sub_row(size_t m, Sum* s, const Sum* row) {             \
    sub_row_body(m, s, row);                                                                                      \
  }                                                                                                               \
  __attribute__((target_clones("avx2", "default"))) void accumulate(size_t m, int64_t* acc, const Sum* s) {      \
    accumulate_body(m, acc, s);                                                                                   \
  }                                                                                                               \
  __attribute__((target_clones("avx2", "default"))) void neurons_step(                                           \
      size_t m, const Sum* s, int32_t offset, const uint32_t* thresholds, int32_t stride, const float* etab,      \
      const uint32_t* lo, const uint32_t* hi, uint32_t* y, uint32_t* count, float* energy, uint32_t t) {          \
    neurons_body(m, s, offset, thresholds, stride, etab, lo, hi, y, count, energy, t);                            \
  }

SPX_SC_KERNELS(int16_t)
SPX_SC_KERNELS(int32_t)
#undef SPX_SC_KERNELS

}  // namespace kernel

namespace {

/// One layer for one image: inputs a (values in [0, 1]) -> outputs (hidden: quantized activations;
/// last: readout values).
template <typename Sum>
void layer_pass(const ScLayer& l, const std::vector<Sum>& weights, const NeuronTable& tab, const ScSettings& st, bool last,
                int layer, int64_t image, const std::vector<double>& a, std::vector<double>& out, ScActivity& act,
                Work& w, std::vector<Sum>& sums) {
  const int n = l.inputs, m = l.outputs, L = st.length;
  const size_t ms = static_cast<size_t>(m);
  const bool integrate = last && st.readout == ScReadout::integrate;
  auto row = [&](int i) { return weights.data() + static_cast<size_t>(i) * ms; };
  auto g_of = [&](int i) { return l.row_conductance.empty() ? 0.0 : l.row_conductance[static_cast<size_t>(i)]; };
  sums.assign(ms, 0);
  Sum* s = sums.data();
  // Constant lines and the bias; the others become p-bit lanes.
  kernel::add_row(ms, s, row(n));
  act.clocks = L;
  act.line_ones += L;
  act.conductance_clocks += g_of(n) * L;
  act.analog_conductance += g_of(n);
  w.line.clear();
  w.llo.clear();
  w.lhi.clear();
  w.lt0.clear();
  w.lt1.clear();
  w.ltp.clear();
  for (int i = 0; i < n; ++i) {
    const double v = a[static_cast<size_t>(i)];
    if (v <= 0) continue;
    act.analog_conductance += v * v * g_of(i);
    if (v >= 1) {
      kernel::add_row(ms, s, row(i));
      act.line_ones += L;
      act.conductance_clocks += g_of(i) * L;
      continue;
    }
    ++act.pbit_lines;
    act.line_energy += st.pbit.energy_per_bit(st.pbit.current_for(v)) * L;
    const double rho = line_rho(st, v);
    const LaneKey key = lane_key(devices::CellRng(st.seed, layer, image, i, devices::Purpose::bitstream));
    w.line.push_back(i);
    w.llo.push_back(key.lo);
    w.lhi.push_back(key.hi);
    w.lt0.push_back(threshold(v * (1 - rho)));
    w.lt1.push_back(threshold(v + (1 - v) * rho));
    w.ltp.push_back(threshold(v));
  }
  const size_t lanes = w.line.size();
  w.lb.assign(lanes, 0);
  w.lflip.assign(lanes, 0);
  w.lones.assign(lanes, 0);
  w.up.resize(lanes + 1);
  w.down.resize(lanes + 1);
  if (integrate) {
    w.acc.assign(ms, 0);
  } else {
    w.nlo.resize(ms);
    w.nhi.resize(ms);
    for (int j = 0; j < m; ++j) {
      const LaneKey key = lane_key(devices::CellRng(st.seed, layer, image, j, devices::Purpose::telegraph));
      w.nlo[static_cast<size_t>(j)] = key.lo;
      w.nhi[static_cast<size_t>(j)] = key.hi;
    }
    w.ny.assign(ms, 0);
    w.ncount.assign(ms, 0);
    w.nenergy.assign(ms, 0.0f);
  }
  int64_t flips = 0;
  for (int t = 0; t < L; ++t) {
    const uint32_t tu = static_cast<uint32_t>(t);
    kernel::lines_step(lanes, w.llo.data(), w.lhi.data(), t == 0 ? w.ltp.data() : w.lt0.data(),
                       t == 0 ? w.ltp.data() : w.lt1.data(), w.lb.data(), w.lflip.data(), w.lones.data(), tu);
    // The lanes that flipped, without a branch per lane; then their rows move the column sums.
    size_t nu = 0, nd = 0;
    for (size_t r = 0; r < lanes; ++r) {
      const uint32_t f = w.lflip[r], b = w.lb[r];
      w.up[nu] = static_cast<uint32_t>(r);
      w.down[nd] = static_cast<uint32_t>(r);
      nu += f & b;
      nd += f & (b ^ 1u);
    }
    flips += static_cast<int64_t>(nu + nd);
    for (size_t k = 0; k < nu; ++k) kernel::add_row(ms, s, row(w.line[w.up[k]]));
    for (size_t k = 0; k < nd; ++k) kernel::sub_row(ms, s, row(w.line[w.down[k]]));
    if (integrate)
      kernel::accumulate(ms, w.acc.data(), s);
    else
      kernel::neurons_step(ms, s, tab.offset, t == 0 ? tab.start.data() : tab.next.data(), t == 0 ? 1 : 2,
                           tab.energy.data(), w.nlo.data(), w.nhi.data(), w.ny.data(), w.ncount.data(), w.nenergy.data(), tu);
  }
  act.flips += flips;
  for (size_t r = 0; r < lanes; ++r) {
    act.line_ones += w.lones[r];
    act.conductance_clocks += g_of(w.line[r]) * w.lones[r];
  }
  out.resize(ms);
  if (integrate) {
    for (size_t j = 0; j < ms; ++j) out[j] = l.beta * static_cast<double>(w.acc[j]) / (static_cast<double>(L) * l.half);
    return;
  }
  for (size_t j = 0; j < ms; ++j) {
    act.neuron_ones += w.ncount[j];
    act.neuron_energy += w.nenergy[j];
    const double frac = static_cast<double>(w.ncount[j]) / L;
    out[j] = last ? frac : quantize(frac, st.states);
  }
}

int argmax_or_tie(const std::vector<double>& v) {
  int best = 0;
  bool tie = false;
  for (int j = 1; j < static_cast<int>(v.size()); ++j) {
    if (v[static_cast<size_t>(j)] > v[static_cast<size_t>(best)]) {
      best = j;
      tie = false;
    } else if (v[static_cast<size_t>(j)] == v[static_cast<size_t>(best)]) {
      tie = true;
    }
  }
  return tie ? -1 : best;
}

}  // namespace

std::vector<ScImage> run_sc(const ScModel& model, const ScSettings& st, const float* x, int count, int first,
                            int threads) {
  validate(st);
  if (model.layers.empty()) fail("sc: the network has no layers");
  std::vector<NeuronTable> tables;
  for (const auto& l : model.layers) tables.push_back(neuron_table(l, st));
  // Column sums stay within (inputs + 1) m in magnitude: 16-bit lanes where that fits.
  std::vector<std::vector<int16_t>> narrow(model.layers.size());
  for (size_t li = 0; li < model.layers.size(); ++li) {
    const ScLayer& l = model.layers[li];
    if (static_cast<int64_t>(l.inputs + 1) * l.half <= INT16_MAX) narrow[li].assign(l.w.begin(), l.w.end());
  }
  const int inputs = model.layers.front().inputs;
  std::vector<ScImage> results(static_cast<size_t>(std::max(count, 0)));
  std::atomic<bool> stop{false};
#pragma omp parallel num_threads(std::max(threads, 1))
  {
    Work w;
    std::vector<double> a, b;
#pragma omp for schedule(dynamic, 16)
    for (int k = 0; k < count; ++k) {
      if (stop.load(std::memory_order_relaxed)) continue;
      if (interrupt_flag().load(std::memory_order_relaxed)) {
        stop = true;
        continue;
      }
      a.assign(x + static_cast<size_t>(k) * inputs, x + static_cast<size_t>(k + 1) * inputs);
      for (double& v : a) v = std::clamp(v, 0.0, 1.0);
      ScImage& r = results[static_cast<size_t>(k)];
      r.activity.resize(model.layers.size());
      for (size_t li = 0; li < model.layers.size(); ++li) {
        const bool last = li + 1 == model.layers.size();
        const ScLayer& l = model.layers[li];
        const int64_t image = static_cast<int64_t>(first) + k;
        if (narrow[li].empty())
          layer_pass(l, l.w, tables[li], st, last, static_cast<int>(li), image, a, b, r.activity[li], w, w.s);
        else
          layer_pass(l, narrow[li], tables[li], st, last, static_cast<int>(li), image, a, b, r.activity[li], w, w.s16);
        std::swap(a, b);
      }
      r.outputs = a;
      r.predicted = argmax_or_tie(r.outputs);
    }
  }
  check_interrupt();
  return results;
}

}  // namespace spx::sc
