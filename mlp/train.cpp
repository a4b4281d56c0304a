// MLP training (train.hpp).
#include "mlp/train.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>
#include <nlohmann/json.hpp>

#include "devices/error.hpp"
#include "devices/files.hpp"
#include "devices/random.hpp"
#include "devices/interrupt.hpp"

namespace spx::mlp {

std::optional<Activation> parse_activation(const std::string& s) {
  if (s == "sigmoid") return Activation::sigmoid;
  if (s == "reverse-sigmoid") return Activation::reverse_sigmoid;
  if (s == "relu") return Activation::relu;
  if (s == "hardtanh") return Activation::hardtanh;
  if (s == "curve") return Activation::curve;
  return std::nullopt;
}

std::string to_string(Activation a) {
  switch (a) {
    case Activation::sigmoid: return "sigmoid";
    case Activation::reverse_sigmoid: return "reverse-sigmoid";
    case Activation::relu: return "relu";
    case Activation::hardtanh: return "hardtanh";
    case Activation::curve: return "curve";
  }
  return "?";
}

std::string weights_name(int levels) {
  switch (levels) {
    case 0: return "float";
    case 2: return "binary";
    case 3: return "ternary";
    default: return fmt::format("{}-level", levels);
  }
}

namespace {

using RowF = Eigen::Matrix<float, 1, Eigen::Dynamic>;

/// A tabulated transfer curve, extended linearly past its ends (as ngspice's pwl()).
struct Curve {
  std::vector<double> x, y;
  double value(double z, double* slope) const {
    size_t k = std::upper_bound(x.begin(), x.end(), z) - x.begin();
    k = std::clamp<size_t>(k, 1, x.size() - 1);
    double s = (y[k] - y[k - 1]) / (x[k] - x[k - 1]);
    *slope = s;
    return y[k - 1] + (z - x[k - 1]) * s;
  }
  /// +1 for an increasing curve, -1 for a decreasing one.
  double orientation() const { return y.back() >= y.front() ? 1.0 : -1.0; }
  /// Input change per e-fold of a logistic with the same range and steepest slope.
  double width() const {
    double steepest = 0;
    for (size_t k = 1; k < x.size(); ++k) steepest = std::max(steepest, std::fabs((y[k] - y[k - 1]) / (x[k] - x[k - 1])));
    double range = std::fabs(y.back() - y.front());
    return steepest > 0 && range > 0 ? range / (4 * steepest) : 1.0;
  }
};

/// How a layer turns pre-activations into outputs and last-layer logits.
struct Neuron {
  enum Kind { sigmoid, reverse_sigmoid, relu, hardtanh, curve, circuit_sigmoid } kind = sigmoid;
  Curve c;
  double vdd = 1, offset = 0, slope = 1;
  double orient = 1, width = 1;  // logits = orient * z / width

  double value(double z, double* d) const {
    switch (kind) {
      case sigmoid: {
        double y = 1 / (1 + std::exp(-z));
        *d = y * (1 - y);
        return y;
      }
      case reverse_sigmoid: {
        double y = 1 / (1 + std::exp(z));
        *d = -y * (1 - y);
        return y;
      }
      case relu: *d = z > 0 ? 1 : 0; return z > 0 ? z : 0;
      case hardtanh: *d = std::fabs(z) < 1 ? 1 : 0; return std::clamp(z, -1.0, 1.0);
      case curve: return c.value(z, d);
      case circuit_sigmoid: {
        double e = std::exp((z - offset) / slope);
        double y = vdd / (1 + e);
        *d = std::isfinite(e) ? -vdd * e / ((1 + e) * (1 + e) * slope) : 0.0;
        return y;
      }
    }
    return 0;
  }
};

Neuron neuron_of(const ModelSpec& s) {
  Neuron n;
  if (s.model == LayerModel::crossbar) {
    const auto& h = s.hardware;
    n.vdd = h.vdd;
    if (h.neuron.kind == netlist::NeuronKind::ideal) {
      n.kind = Neuron::circuit_sigmoid;
      n.offset = h.neuron.offset;
      n.slope = h.neuron.slope;
      n.orient = -1;
      n.width = h.neuron.slope;
    } else {
      n.kind = Neuron::curve;
      n.c = {h.neuron.curve_in, h.neuron.curve_out};
      n.orient = n.c.orientation();
      n.width = n.c.width();
    }
    return n;
  }
  switch (s.activation) {
    case Activation::sigmoid: n.kind = Neuron::sigmoid; break;
    case Activation::reverse_sigmoid: n.kind = Neuron::reverse_sigmoid; n.orient = -1; break;
    case Activation::relu: n.kind = Neuron::relu; break;
    case Activation::hardtanh: n.kind = Neuron::hardtanh; break;
    case Activation::curve:
      n.kind = Neuron::curve;
      n.c = {s.curve_in, s.curve_out};
      n.orient = n.c.orientation();
      n.width = n.c.width();
      break;
  }
  return n;
}

/// Positive levels m of a k-level weight (binary: 1).
int half_levels(int levels) { return devices::SynapseMap{levels}.half_levels(); }

float quantize(float w, int levels) {
  if (levels == 0) return w;
  if (levels == 2) return w >= 0 ? 1.0f : -1.0f;
  const auto m = static_cast<float>(half_levels(levels));
  return std::clamp(std::round(w * m), -m, m) / m;
}

/// The closed-form readout of one h-partition: a(N+, D+, N-, D-) in SI units and its partials.
struct ReadoutLaw {
  enum Kind { ideal, four_resistor, virtual_ground } kind = ideal;
  double g = 1, rin = 1, a_ol = 1;
  double eval(double np, double dp, double nn, double dn, double d[4]) const {
    switch (kind) {
      case ideal:
        d[0] = g / dp;
        d[1] = -g * np / (dp * dp);
        d[2] = -g / dn;
        d[3] = g * nn / (dn * dn);
        return g * (np / dp - nn / dn);
      case virtual_ground:
        d[0] = g * rin;
        d[1] = 0;
        d[2] = -g * rin;
        d[3] = 0;
        return g * rin * (np - nn);
      case four_resistor: {
        const double r1 = rin, r2 = rin, r3 = g * rin, r4 = g * rin, s2 = r2 + r4, A = a_ol;
        const double den1 = 1 + dp * s2, u = np * r4 / den1;
        const double vn = nn / dn, k = 1 / dn + r1;
        const double num = u * (r3 + k) - vn * r3, den = r3 + k * (1 + A);
        const double da_du = A * (r3 + k) / den, da_dvn = -A * r3 / den, da_dk = A * (u * den - num * (1 + A)) / (den * den);
        d[0] = da_du * r4 / den1;
        d[1] = da_du * (-u * s2 / den1);
        d[2] = da_dvn / dn;
        d[3] = da_dvn * (-vn / dn) + da_dk * (-1 / (dn * dn));
        return A * num / den;
      }
    }
    return 0;
  }
};

/// x (1 - x) per input: the variance of a unipolar bit of probability x (0 for the bias at 1).
MatrixF bit_variance(const MatrixF& xa) { return (xa.array() * (1 - xa.array())).matrix(); }

/// Where a forward pass's converter draws come from: the stream seed and the image of each row.
struct Draw {
  uint64_t seed = 0;
  const int* rows = nullptr;  // image of each row is first + rows[row] (without rows: first + row)
  int64_t first = 0;
  int64_t image(Eigen::Index r) const { return first + (rows ? rows[r] : r); }
};

/// Everything the forward pass keeps for the backward pass.
struct Cache {
  std::vector<std::vector<float>> ps;  // calibration: |partial sums| per layer (collected when `collect`)
  bool collect = false;
  std::vector<MatrixF> xa;            // per layer: inputs with the bias column
  std::vector<MatrixF> q;             // per layer: quantized weights
  std::vector<MatrixF> gp, gn;        // crossbar: conductances in units of G_low
  std::vector<MatrixF> p;             // software: xa q (before the scale)
  std::vector<std::vector<MatrixF>> part;  // crossbar: per partition, 4 partial-derivative maps (B x m)
  std::vector<MatrixF> z, dy;         // pre-activations and activation slopes
  std::vector<MatrixF> dv, ds;        // SC hidden layers: d(activation)/d(variance), d/d(scale)
  std::vector<MatrixF> fin;           // features: the input of each feature layer
  std::vector<std::vector<int>> argmax;  // features: max-pooling routes
  MatrixF fout;                       // features: the extractor's output before the DAC
  MatrixF out;                        // the last layer's activations
};

/// The class with the largest oriented pre-activation in row r, or -1 on a tie.
Eigen::Index top_class(const MatrixF& z, Eigen::Index r, double orient) {
  Eigen::Index best = 0;
  bool tie = false;
  for (Eigen::Index j = 1; j < z.cols(); ++j) {
    const double a = orient * z(r, j), b = orient * z(r, best);
    if (a > b) {
      best = j;
      tie = false;
    } else if (a == b) {
      tie = true;
    }
  }
  return tie ? -1 : best;
}

class Model {
 public:
  explicit Model(const ModelSpec& s) : s_(s), neuron_(neuron_of(s)) {
    if (!s.features.empty()) shapes_ = nn::feature_shapes(s.input_shape, s.features);
    if (s.model == LayerModel::crossbar) {
      const auto& h = s.hardware;
      g_low_ = 1 / h.synapse.r_low;
      dg_ = 1 - h.synapse.r_low / h.synapse.r_high;  // (G_low - G_high) / G_low
      netlist::MlpSpec shape = h;
      shape.layers.clear();
      for (size_t k = 0; k + 1 < s.sizes.size(); ++k) {
        netlist::LayerSpec l;
        l.inputs = s.sizes[k];
        l.outputs = s.sizes[k + 1];
        shape.layers.push_back(l);
      }
      for (const auto& plan : netlist::plan_partitions(shape)) h_sizes_.push_back(plan.h_sizes);
      for (size_t k = 0; k + 1 < s.sizes.size(); ++k) {
        ReadoutLaw law;
        law.g = h.layers[k].gain;
        law.rin = h.amplifier.r_in;
        law.a_ol = h.amplifier.open_loop_gain;
        law.kind = h.readout == netlist::Readout::virtual_ground ? ReadoutLaw::virtual_ground
                   : h.ideal_amplifier                           ? ReadoutLaw::ideal
                                                                 : ReadoutLaw::four_resistor;
        laws_.push_back(law);
      }
    }
  }

  const Neuron& neuron() const { return neuron_; }

  /// Whether h-partition h of `parts` holds IMAC-Sim's zero-weight bias pair (partition.bias =
  /// "every": all but the last). Pads hang from ground to ground without wires: nothing to model.
  bool zero_pair(size_t h, size_t parts) const { return s_.hardware.tile_bias && h + 1 < parts; }

  /// dz/dxa of crossbar layer k at the network's weights, without wire factors: for input row i
  /// (bias last) of h-partition p and output j, merge g_low (d0 G+_ij + d2 G-_ij) with d0, d2 the
  /// readout law's partials in the lines' numerators at p's conductance sums (they do not depend on
  /// the inputs: the layer is affine in them).
  MatrixF sensitivity(const Network& net, size_t k) const {
    const MatrixF q = net.w[k].unaryExpr([&](float w) { return quantize(w, s_.levels); });
    const float dg = static_cast<float>(dg_);
    const MatrixF gp = q.unaryExpr([dg](float v) { return 1.0f - dg * std::max(0.0f, -v); });
    const MatrixF gn = q.unaryExpr([dg](float v) { return 1.0f - dg * std::max(0.0f, v); });
    const auto& sizes = h_sizes_[k];
    const double merge = s_.hardware.merge == netlist::MergeMode::average ? 1.0 / static_cast<double>(sizes.size()) : 1.0;
    MatrixF a(q.rows(), q.cols());
    Eigen::Index c0 = 0;
    size_t h = 0;
    for (int size : sizes) {
      const float pair = zero_pair(h++, sizes.size()) ? 1.0f : 0.0f;
      const RowF dp = (gp.middleRows(c0, size).colwise().sum().array() + pair).matrix();
      const RowF dn = (gn.middleRows(c0, size).colwise().sum().array() + pair).matrix();
      for (Eigen::Index j = 0; j < q.cols(); ++j) {
        double part[4] = {0, 0, 0, 0};
        laws_[k].eval(0, dp(j) * g_low_, 0, dn(j) * g_low_, part);
        for (Eigen::Index i = c0; i < c0 + size; ++i)
          a(i, j) = static_cast<float>(merge * g_low_ * (part[0] * gp(i, j) + part[2] * gn(i, j)));
      }
      c0 += size;
    }
    return a;
  }


  /// Whether layer k's activation follows the quantized / stochastic-computing model.
  bool sc_layer(size_t k, size_t layers) const {
    return s_.model == LayerModel::software && s_.activation == Activation::sigmoid && k + 1 < layers &&
           (s_.act_states != 0 || s_.sc_length > 0);
  }

  /// Forward pass; returns the last layer's pre-activations z. noise: std and stream key (the key
  /// also draws the stochastic-computing sampling noise).
  MatrixF forward(const Network& net, const MatrixF& x, Cache& c, double noise, uint64_t noise_key, const Draw& draw) const {
    const size_t layers = net.w.size();
    const bool collect = c.collect;
    c = Cache{};
    c.collect = collect;
    if (collect) c.ps.resize(layers);
    c.xa.resize(layers);
    c.q.resize(layers);
    c.gp.resize(layers);
    c.gn.resize(layers);
    c.p.resize(layers);
    c.part.resize(layers);
    c.z.resize(layers);
    c.dy.resize(layers);
    c.dv.resize(layers);
    c.ds.resize(layers);
    MatrixF in = s_.features.empty() ? x : features_forward(net, x, c);
    const bool crossbar = s_.model == LayerModel::crossbar;
    for (size_t k = 0; k < layers; ++k) {
      const Eigen::Index b = in.rows(), n = in.cols(), m = net.w[k].cols();
      MatrixF& xa = c.xa[k];
      xa.resize(b, n + 1);
      xa.leftCols(n) = in;
      xa.col(n).setConstant(crossbar ? static_cast<float>(s_.hardware.vdd) : 1.0f);
      c.q[k] = net.w[k].unaryExpr([&](float w) { return quantize(w, s_.levels); });
      MatrixF z;
      if (!crossbar) {
        c.p[k] = xa * c.q[k];
        z = net.scale[k] * c.p[k];
      } else {
        z = crossbar_forward(k, c, net, draw);
      }
      if (noise > 0) {
        devices::CellRng rng(noise_key, static_cast<int64_t>(k), 0, 0, devices::Purpose::other);
        for (Eigen::Index r = 0; r < b; ++r)
          for (Eigen::Index j = 0; j < m; ++j) z(r, j) += static_cast<float>(noise * rng.normal());
      }
      const bool sc = s_.sc_length > 0 && s_.model == LayerModel::software && s_.activation == Activation::sigmoid;
      if (sc && k + 1 == layers) {  // integrated readout: the input bits' sampling noise
        MatrixF v = bit_variance(xa) * c.q[k].cwiseProduct(c.q[k]);
        devices::CellRng rng(noise_key, static_cast<int64_t>(k), 2, 0, devices::Purpose::other);
        for (Eigen::Index r = 0; r < b; ++r)
          for (Eigen::Index j = 0; j < m; ++j)
            z(r, j) += static_cast<float>(net.scale[k] * std::sqrt(std::max(0.0f, v(r, j)) / sc_effective_length()) * rng.normal());
      }
      MatrixF y(b, m);
      c.dy[k].resize(b, m);
      if (sc_layer(k, layers)) {
        sc_activation(net, k, c, z, y, noise_key);
        c.z[k] = std::move(z);
        in = std::move(y);
        continue;
      }
      for (Eigen::Index r = 0; r < b; ++r) {
        for (Eigen::Index j = 0; j < m; ++j) {
          double d = 0;
          y(r, j) = static_cast<float>(neuron_.value(z(r, j), &d));
          c.dy[k](r, j) = static_cast<float>(d);
        }
      }
      c.z[k] = std::move(z);
      in = std::move(y);
    }
    c.out = std::move(in);
    return c.z.back();
  }

  /// Backward pass from dL/dz of the last layer; fills the gradient.
  void backward(const Network& net, Cache& c, MatrixF dz, Gradient& g) const {
    const size_t layers = net.w.size();
    g.w.assign(layers, MatrixF());
    g.scale.assign(layers, 0.0f);
    MatrixF dyl;  // dL/d(activation) of layer k (hidden layers)
    const bool feat = !s_.features.empty();
    MatrixF dfeat;  // dL/d(features' output)
    for (size_t k = layers; k-- > 0;) {
      const Eigen::Index n = net.w[k].rows() - 1;
      MatrixF dq, dxa;
      if (c.dv[k].size() != 0) {  // stochastic-computing activation: through mu, v and the scale
        g.scale[k] = (dyl.array() * c.ds[k].array()).sum();
        const MatrixF& xa = c.xa[k];
        const MatrixF& q = c.q[k];
        MatrixF dp = net.scale[k] * dz;
        MatrixF dv = dyl.cwiseProduct(c.dv[k]);
        dq = xa.transpose() * dp + ((bit_variance(xa).transpose() * dv).array() * 2 * q.array()).matrix();
        if (k > 0 || feat)
          dxa = dp * q.transpose() + ((dv * q.cwiseProduct(q).transpose()).array() * (1 - 2 * xa.array())).matrix();
      } else if (s_.model == LayerModel::software) {
        g.scale[k] = (c.p[k].array() * dz.array()).sum();
        MatrixF dp = net.scale[k] * dz;
        dq = c.xa[k].transpose() * dp;
        if (k > 0 || feat) dxa = dp * c.q[k].transpose();
      } else {
        crossbar_backward(k, c, dz, dq, dxa, k > 0 || feat, k < net.wire.size() && net.wire[k].size() > 0 ? &net.wire[k] : nullptr);
        if ((k > 0 || feat) && k < net.wire_offset.size() && net.wire_offset[k].size() > 0)
          dxa += dz * net.wire_offset[k].transpose();
      }
      if (s_.levels != 0) {  // straight-through inside [-1, 1]
        const MatrixF& w = net.w[k];
        for (Eigen::Index i = 0; i < dq.size(); ++i)
          if (std::fabs(w.data()[i]) > 1.0f) dq.data()[i] = 0;
      }
      g.w[k] = std::move(dq);
      if (k > 0) {
        dyl = dxa.leftCols(n);
        dz = dyl.cwiseProduct(c.dy[k - 1]);
      } else if (feat) {
        dfeat = dxa.leftCols(n);
      }
    }
    if (feat) features_backward(net, c, std::move(dfeat), g);
  }

 private:
  const ModelSpec& s_;
  Neuron neuron_;
  double g_low_ = 1, dg_ = 0;
  std::vector<std::vector<int>> h_sizes_;
  std::vector<ReadoutLaw> laws_;
  std::vector<nn::Shape> shapes_;  // features: shapes_[k] is layer k's input shape

  /// The feature extractor's forward pass; keeps each layer's input (and max-pooling routes).
  MatrixF features_forward(const Network& net, const MatrixF& x, Cache& c) const {
    const size_t n = s_.features.size();
    c.fin.resize(n);
    c.argmax.resize(n);
    MatrixF in = x;
    size_t ci = 0;
    for (size_t k = 0; k < n; ++k) {
      const auto& f = s_.features[k];
      c.fin[k] = in;
      switch (f.kind) {
        case nn::FeatureLayer::Kind::conv: in = nn::conv_forward(net.conv[ci++], shapes_[k], in); break;
        case nn::FeatureLayer::Kind::pool: in = nn::pool_forward(f.pool, shapes_[k], in, &c.argmax[k]); break;
        case nn::FeatureLayer::Kind::relu: in = in.cwiseMax(0.0f); break;
      }
    }
    c.fout = in;
    return dac(in);
  }

 public:
  /// The DAC after the features: clamp to [0, 1], 2^bits levels, map to [dac_low, dac_high].
  MatrixF dac(const MatrixF& f) const {
    const float lo = static_cast<float>(s_.dac_low), span = static_cast<float>(s_.dac_high - s_.dac_low);
    const float steps = s_.dac_bits > 0 ? static_cast<float>((1 << s_.dac_bits) - 1) : 0.0f;
    return f.unaryExpr([=](float v) {
      float u = std::clamp(v, 0.0f, 1.0f);
      if (steps > 0) u = std::nearbyint(u * steps) / steps;
      return lo + span * u;
    });
  }

  MatrixF features_only(const Network& net, const MatrixF& x) const {
    Cache c;
    return features_forward(net, x, c);
  }

 private:

  /// The feature extractor's backward pass from dL/d(output): conv gradients into g.
  void features_backward(const Network& net, const Cache& c, MatrixF d, Gradient& g) const {
    g.conv_w.clear();
    g.conv_b.clear();
    for (const auto& conv : net.conv) {
      g.conv_w.push_back(nn::Matrix::Zero(conv.w.rows(), conv.w.cols()));
      g.conv_b.push_back(nn::Vector::Zero(conv.b.size()));
    }
    // Through the DAC: straight through its quantizer, zero where the clamp holds.
    const float span = static_cast<float>(s_.dac_high - s_.dac_low);
    for (Eigen::Index i = 0; i < d.size(); ++i) {
      const float f = c.fout.data()[i];
      d.data()[i] = f > 0.0f && f < 1.0f ? d.data()[i] * span : 0.0f;
    }
    size_t ci = net.conv.size();
    for (size_t k = s_.features.size(); k-- > 0;) {
      const auto& f = s_.features[k];
      switch (f.kind) {
        case nn::FeatureLayer::Kind::relu: d = (c.fin[k].array() > 0.0f).select(d, 0.0f); break;
        case nn::FeatureLayer::Kind::pool: d = nn::pool_backward(f.pool, shapes_[k], d, &c.argmax[k]); break;
        case nn::FeatureLayer::Kind::conv: {
          --ci;
          MatrixF dx;
          nn::conv_backward(net.conv[ci], shapes_[k], c.fin[k], d, g.conv_w[ci], g.conv_b[ci], k > 0 ? &dx : nullptr);
          d = std::move(dx);
          break;
        }
      }
    }
  }

  /// L (1 - rho) / (1 + rho): independent bits worth of L correlated ones.
  double sc_effective_length() const { return s_.sc_length * (1 - s_.sc_rho) / (1 + s_.sc_rho); }

  /// Quantized / stochastic-computing activation of hidden layer k from its pre-activation z.
  void sc_activation(const Network& net, size_t k, Cache& c, const MatrixF& z, MatrixF& y, uint64_t key) const {
    const Eigen::Index b = z.rows(), m = z.cols();
    const int states = s_.act_states;
    auto quant = [states](double a) { return states == 0 ? a : std::round(a * (states - 1)) / (states - 1); };
    if (s_.sc_length == 0) {
      for (Eigen::Index r = 0; r < b; ++r)
        for (Eigen::Index j = 0; j < m; ++j) {
          double d = 0;
          double a = neuron_.value(z(r, j), &d);
          y(r, j) = static_cast<float>(quant(a));
          c.dy[k](r, j) = static_cast<float>(d);
        }
      return;
    }
    const MatrixF& xa = c.xa[k];
    MatrixF v = bit_variance(xa) * c.q[k].cwiseProduct(c.q[k]);
    const double sc = net.scale[k], cpi = std::numbers::pi / 8, leff = sc_effective_length();
    c.dv[k].resize(b, m);
    c.ds[k].resize(b, m);
    devices::CellRng rng(key, static_cast<int64_t>(k), 1, 0, devices::Purpose::other);
    for (Eigen::Index r = 0; r < b; ++r) {
      for (Eigen::Index j = 0; j < m; ++j) {
        const double vv = std::max(0.0f, v(r, j)), p = c.p[k](r, j);
        const double rr = std::sqrt(1 + cpi * sc * sc * vv);
        const double u = z(r, j) / rr;
        const double pbar = 1 / (1 + std::exp(-u)), dsig = pbar * (1 - pbar);
        const double a = std::clamp(pbar + std::sqrt(dsig / leff) * rng.normal(), 0.0, 1.0);
        y(r, j) = static_cast<float>(quant(a));
        c.dy[k](r, j) = static_cast<float>(dsig / rr);
        c.dv[k](r, j) = static_cast<float>(dsig * (-cpi * sc * sc * sc * p / (2 * rr * rr * rr)));
        c.ds[k](r, j) = static_cast<float>(dsig * p / (rr * rr * rr));
      }
    }
  }

  MatrixF crossbar_forward(size_t k, Cache& c, const Network& net, const Draw& draw) const {
    devices::ConversionSpec cv = netlist::conversion_of(s_.hardware, static_cast<int>(k) + 1);
    if (cv.converts()) cv.range = k < net.range.size() ? net.range[k] : 0;
    const bool convert = cv.converts() && cv.range > 0;  // an uncalibrated layer stays analog
    const auto& sot = s_.hardware.sot_converter;
    const double scale = cv.mode == devices::ConversionMode::stochastic ? devices::stochastic_scale(cv, sot) : 0;
    const double slope0 = sot.slope();
    const int layer = static_cast<int>(k) + 1;
    const MatrixF& q = c.q[k];
    const float dg = static_cast<float>(dg_);
    c.gp[k] = q.unaryExpr([dg](float v) { return 1.0f - dg * std::max(0.0f, -v); });
    c.gn[k] = q.unaryExpr([dg](float v) { return 1.0f - dg * std::max(0.0f, v); });
    const Eigen::Index b = c.xa[k].rows(), m = q.cols();
    MatrixF z = MatrixF::Zero(b, m);
    const auto& sizes = h_sizes_[k];
    const double merge = s_.hardware.merge == netlist::MergeMode::average ? 1.0 / static_cast<double>(sizes.size()) : 1.0;
    Eigen::Index c0 = 0;
    int h = 0;
    const MatrixF* rho = k < net.wire.size() && net.wire[k].size() > 0 ? &net.wire[k] : nullptr;
    for (int size : sizes) {
      MatrixF np, nn;
      if (rho) {  // the wires: every cell's current into the amplifier scaled by its factor
        np = c.xa[k].middleCols(c0, size) * c.gp[k].middleRows(c0, size).cwiseProduct(rho->middleRows(c0, size));
        nn = c.xa[k].middleCols(c0, size) * c.gn[k].middleRows(c0, size).cwiseProduct(rho->middleRows(c0, size));
      } else {
        np = c.xa[k].middleCols(c0, size) * c.gp[k].middleRows(c0, size);
        nn = c.xa[k].middleCols(c0, size) * c.gn[k].middleRows(c0, size);
      }
      RowF dp = c.gp[k].middleRows(c0, size).colwise().sum();
      RowF dn = c.gn[k].middleRows(c0, size).colwise().sum();
      if (zero_pair(h, sizes.size())) {  // R_low from VDD on both lines: fixed, nothing to train
        const float vdd = static_cast<float>(s_.hardware.vdd);
        np.array() += vdd;
        nn.array() += vdd;
        dp.array() += 1.0f;
        dn.array() += 1.0f;
      }
      std::vector<MatrixF> d(4, MatrixF(b, m));
      for (Eigen::Index r = 0; r < b; ++r) {
        for (Eigen::Index j = 0; j < m; ++j) {
          double part[4] = {0, 0, 0, 0};
          double a = laws_[k].eval(np(r, j) * g_low_, dp(j) * g_low_, nn(r, j) * g_low_, dn(j) * g_low_, part);
          if (c.collect) c.ps[k].push_back(static_cast<float>(std::fabs(a)));
          double ste = 1;  // d(conversion)/da, straight through
          if (convert) {
            const bool inside = std::fabs(a) < cv.range;
            if (cv.mode == devices::ConversionMode::adc) {
              a = devices::adc_value(cv, a, devices::adc_noise(cv, draw.seed, layer, h, static_cast<int>(j), draw.image(r)));
              ste = inside ? 1 : 0;
            } else {
              // Sample s is 1 when u_s <= p(x): the same event as x >= p^-1(u_s), the circuit's threshold test.
              const double x = std::clamp(a / cv.range, -1.0, 1.0);
              const double prob = devices::switching_probability(sot, x);
              const int ones = devices::count_switches(prob, draw.seed, layer, h, static_cast<int>(j), draw.image(r), cv.samples);
              a = scale * (2 * ones - cv.samples);
              ste = inside ? devices::switching_slope(sot, x) / slope0 : 0;
            }
          }
          z(r, j) += static_cast<float>(merge * a);
          for (int t = 0; t < 4; ++t) d[t](r, j) = static_cast<float>(merge * ste * part[t] * g_low_);  // per unit of G_low
        }
      }
      c.part[k].insert(c.part[k].end(), std::make_move_iterator(d.begin()), std::make_move_iterator(d.end()));
      c0 += size;
      ++h;
    }
    if (k < net.wire_offset.size() && net.wire_offset[k].size() > 0) z += c.xa[k] * net.wire_offset[k];
    return z;
  }

  void crossbar_backward(size_t k, const Cache& c, const MatrixF& dz, MatrixF& dq, MatrixF& dxa, bool need_dx,
                         const MatrixF* rho) const {
    const MatrixF& xa = c.xa[k];
    const Eigen::Index rows = c.q[k].rows(), m = c.q[k].cols();
    MatrixF dgp = MatrixF::Zero(rows, m), dgn = MatrixF::Zero(rows, m);
    if (need_dx) dxa = MatrixF::Zero(xa.rows(), xa.cols());
    Eigen::Index c0 = 0;
    size_t pi = 0;
    for (int size : h_sizes_[k]) {
      const auto* d = &c.part[k][4 * pi];
      MatrixF dnp = dz.cwiseProduct(d[0]), dnn = dz.cwiseProduct(d[2]);
      RowF ddp = dz.cwiseProduct(d[1]).colwise().sum(), ddn = dz.cwiseProduct(d[3]).colwise().sum();
      dgp.middleRows(c0, size) = xa.middleCols(c0, size).transpose() * dnp;
      dgn.middleRows(c0, size) = xa.middleCols(c0, size).transpose() * dnn;
      if (rho) {
        dgp.middleRows(c0, size).array() *= rho->middleRows(c0, size).array();
        dgn.middleRows(c0, size).array() *= rho->middleRows(c0, size).array();
      }
      dgp.middleRows(c0, size).rowwise() += ddp;
      dgn.middleRows(c0, size).rowwise() += ddn;
      if (need_dx && rho)
        dxa.middleCols(c0, size) = dnp * c.gp[k].middleRows(c0, size).cwiseProduct(rho->middleRows(c0, size)).transpose() +
                                   dnn * c.gn[k].middleRows(c0, size).cwiseProduct(rho->middleRows(c0, size)).transpose();
      else if (need_dx)
        dxa.middleCols(c0, size) = dnp * c.gp[k].middleRows(c0, size).transpose() +
                                   dnn * c.gn[k].middleRows(c0, size).transpose();
      c0 += size;
      ++pi;
    }
    // G+ = 1 - dg max(0, -q), G- = 1 - dg max(0, q) (units of G_low); at q = 0 half of each slope.
    const float dg = static_cast<float>(dg_);
    dq.resize(rows, m);
    for (Eigen::Index i = 0; i < dq.size(); ++i) {
      float q = c.q[k].data()[i];
      float sp = q < 0 ? dg : q == 0 ? dg / 2 : 0.0f;
      float sn = q > 0 ? -dg : q == 0 ? -dg / 2 : 0.0f;
      dq.data()[i] = dgp.data()[i] * sp + dgn.data()[i] * sn;
    }
  }
};

/// Softmax cross-entropy of oriented logits: loss (mean) and dL/dz.
double softmax_loss(const Neuron& n, const MatrixF& z, const std::vector<int>& y, const int* rows, MatrixF& dz,
                    int* correct) {
  const Eigen::Index b = z.rows(), m = z.cols();
  dz.resize(b, m);
  double loss = 0;
  std::vector<double> l(m);
  for (Eigen::Index r = 0; r < b; ++r) {
    double top = -INFINITY;
    for (Eigen::Index j = 0; j < m; ++j) {
      l[j] = n.orient * z(r, j) / n.width;
      top = std::max(top, l[j]);
    }
    double sum = 0;
    for (Eigen::Index j = 0; j < m; ++j) sum += std::exp(l[j] - top);
    const int label = y[rows ? rows[r] : r];
    loss += std::log(sum) - (l[label] - top);
    if (correct && top_class(z, r, n.orient) == label) ++*correct;
    for (Eigen::Index j = 0; j < m; ++j) {
      double p = std::exp(l[j] - top) / sum - (j == label ? 1.0 : 0.0);
      dz(r, j) = static_cast<float>(p * n.orient / n.width / static_cast<double>(b));
    }
  }
  return loss / static_cast<double>(b);
}

/// One optimizer step of a parameter block w from its gradient gw, with its moment buffers (Adam:
/// first and second moments; SGD: the velocity in m1).
template <typename W, typename G>
void optimizer_step(const TrainOptions& opt, int64_t step, double lr, W&& w, const G& gw, MatrixF& m1, MatrixF& m2) {
  if (opt.optimizer == Optimizer::adam) {
    const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
    const float c1 = 1 - std::pow(b1, static_cast<float>(step)), c2 = 1 - std::pow(b2, static_cast<float>(step));
    m1 = b1 * m1 + (1 - b1) * gw;
    m2 = b2 * m2 + (1 - b2) * gw.cwiseProduct(gw);
    w.array() -= static_cast<float>(lr) * (m1.array() / c1) / ((m2.array() / c2).sqrt() + eps);
  } else {
    m1 = static_cast<float>(opt.momentum) * m1 - static_cast<float>(lr) * gw;
    w += m1;
  }
}

/// The same step for a scalar (a layer's scale), in scalar arithmetic: its rounding order is the one
/// the committed models were trained with.
void scale_step(const TrainOptions& opt, int64_t step, double lr, float& w, float gw, float& m1, float& m2) {
  if (opt.optimizer == Optimizer::adam) {
    const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
    const float c1 = 1 - std::pow(b1, static_cast<float>(step)), c2 = 1 - std::pow(b2, static_cast<float>(step));
    m1 = b1 * m1 + (1 - b1) * gw;
    m2 = b2 * m2 + (1 - b2) * gw * gw;
    w -= static_cast<float>(lr) * (m1 / c1) / (std::sqrt(m2 / c2) + eps);
  } else {
    m1 = static_cast<float>(opt.momentum) * m1 - static_cast<float>(lr) * gw;
    w += m1;
  }
}

/// Moment buffers of every parameter block: dense weights, dense scales, conv weights and conv biases.
struct OptimizerState {
  std::vector<MatrixF> m, v, conv_m, conv_v;
  std::vector<float> ms, vs;
};

}  // namespace

void validate(const ModelSpec& s) {
  if (s.sizes.size() < 2) fail("network.sizes: needs at least two sizes");
  for (int v : s.sizes)
    if (v < 1) fail("network.sizes: sizes must be >= 1, got {}", v);
  if (s.levels != 0 && !devices::supported_levels(s.levels))
    fail("train.weights: levels must be float, 2, 3, 5 or 11, got {}", s.levels);
  if (!devices::supported_states(s.act_states))
    fail("sc.states: must be 0 (not quantized), 2, 3, 5 or 11, got {}", s.act_states);
  if (s.sc_length < 0) fail("sc.length: must be >= 1, got {}", s.sc_length);
  if ((s.act_states != 0 || s.sc_length > 0) && (s.model != LayerModel::software || s.activation != Activation::sigmoid))
    fail("sc: quantized and stochastic activations need the software model with sigmoid neurons");
  if (!s.features.empty()) {
    if (s.dac_bits < 0 || s.dac_bits > 16) fail("cnn.dac_bits: must be in [0, 16], got {}", s.dac_bits);
    if (!(s.dac_high > s.dac_low)) fail("cnn.dac_high: must be above cnn.dac_low ({} V), got {} V", s.dac_low, s.dac_high);
    const auto shapes = nn::feature_shapes(s.input_shape, s.features);
    if (shapes.back().size() != s.sizes.front())
      fail("cnn: the features give {} values ({}), network.sizes starts with {}", shapes.back().size(),
           nn::to_string(shapes.back()), s.sizes.front());
  }
  if (s.model != LayerModel::crossbar && netlist::converts_any(s.hardware))
    fail("conversion.mode: partial-sum conversion needs train.model = \"crossbar\" (the software model has no tiles)");
  if (!(s.range_quantile > 0 && s.range_quantile <= 1))
    fail("conversion.quantile: must be in (0, 1], got {}", s.range_quantile);
  if (s.model == LayerModel::crossbar) {
    if (s.hardware.layers.size() + 1 != s.sizes.size()) fail("train: one amplifier gain per layer needed");
    const auto& n = s.hardware.neuron;
    if (n.kind != netlist::NeuronKind::ideal && n.curve_in.size() < 2)
      fail("neuron: the crossbar model needs the ideal sigmoid or a characterized curve");
  } else if (s.activation == Activation::curve) {
    if (s.curve_in.size() < 2 || s.curve_in.size() != s.curve_out.size())
      fail("train.activation: curve needs a transfer curve (neuron.curve or neuron.model = sot)");
  }
}

Network init_network(const ModelSpec& spec, uint64_t seed) {
  validate(spec);
  Network net;
  net.spec = spec;
  for (size_t k = 0; k + 1 < spec.sizes.size(); ++k) {
    const int n = spec.sizes[k], m = spec.sizes[k + 1];
    MatrixF w(n + 1, m);
    devices::CellRng rng(seed, static_cast<int64_t>(k), -1, -1, devices::Purpose::other);
    // Float: Glorot uniform. Quantized: latent weights uniform in [-1, 1] (their signs/levels are
    // the weights; the magnitude is how far each is from flipping).
    const double a = spec.levels == 0 ? std::sqrt(6.0 / (n + m)) : 1.0;
    for (Eigen::Index i = 0; i < w.size(); ++i) w.data()[i] = static_cast<float>(a * (2 * rng.uniform() - 1));
    if (spec.levels == 0) w.row(n).setZero();
    net.w.push_back(std::move(w));
    net.scale.push_back(spec.levels == 0 ? 1.0f : static_cast<float>(1 / std::sqrt(n + 1.0)));
    const auto cv = netlist::conversion_of(spec.hardware, static_cast<int>(k) + 1);
    net.range.push_back(cv.converts() ? cv.range : 0.0);
  }
  // Conv layers: He uniform (fan-in in_channels k k), zero biases.
  int64_t ci = 0;
  for (const auto& f : spec.features) {
    if (f.kind != nn::FeatureLayer::Kind::conv) continue;
    nn::Conv conv = f.conv;
    const int fan_in = conv.in_channels * conv.kernel * conv.kernel;
    conv.w.resize(conv.out_channels, fan_in);
    conv.b = nn::Vector::Zero(conv.out_channels);
    devices::CellRng rng(seed, 1000 + ci++, -1, -1, devices::Purpose::other);
    const double a = std::sqrt(6.0 / fan_in);
    for (Eigen::Index i = 0; i < conv.w.size(); ++i) conv.w.data()[i] = static_cast<float>(a * (2 * rng.uniform() - 1));
    net.conv.push_back(std::move(conv));
  }
  return net;
}

MatrixF quantized(const Network& net, size_t k) {
  return net.w[k].unaryExpr([&](float w) { return quantize(w, net.spec.levels); });
}

Gradient loss_gradient(const Network& net, const MatrixF& x, const std::vector<int>& y) {
  Model model(net.spec);
  Cache c;
  MatrixF z = model.forward(net, x, c, 0, 0, Draw{net.spec.hardware.conversion_seed});
  MatrixF dz;
  Gradient g;
  g.loss = softmax_loss(model.neuron(), z, y, nullptr, dz, nullptr);
  model.backward(net, c, dz, g);
  return g;
}

MatrixF predict(const Network& net, const MatrixF& x, int64_t first_image) {
  Model model(net.spec);
  Cache c;
  model.forward(net, x, c, 0, 0, Draw{net.spec.hardware.conversion_seed, nullptr, first_image});
  return c.out;
}

void calibrate_ranges(Network& net, const MatrixF& x) {
  const auto& conv = net.spec.hardware.conversion;
  if (net.spec.model != LayerModel::crossbar) return;
  net.range.resize(net.w.size(), 0.0);
  Model model(net.spec);
  for (size_t k = 0; k < net.w.size() && k < conv.size(); ++k) {
    if (!conv[k].converts() || net.range[k] > 0) continue;
    Cache c;
    c.collect = true;
    model.forward(net, x, c, 0, 0, Draw{net.spec.hardware.conversion_seed});
    std::vector<float>& v = c.ps[k];
    if (v.empty()) continue;
    const size_t at = std::min(v.size() - 1, static_cast<size_t>(net.spec.range_quantile * static_cast<double>(v.size())));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(at), v.end());
    net.range[k] = v[at] > 0 ? static_cast<double>(v[at]) : 1e-3;
  }
}

std::vector<double> read_conversion_ranges(const std::filesystem::path& model_json) {
  const std::string source = model_json.string();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_input_file(model_json));
    if (!j.contains("conversion_range")) return {};
    auto v = j.at("conversion_range").get<std::vector<double>>();
    for (double r : v)
      if (!(r >= 0) || !std::isfinite(r)) fail("{}: conversion_range: values must be finite and >= 0 V, got {}", source, r);
    return v;
  } catch (const nlohmann::json::exception& e) {
    fail("{}: {}", source, e.what());
  }
}

namespace {

/// Predicted class of rows `rows` of x, -1 on a tie (ranked by the oriented pre-activation, which
/// orders classes exactly as the monotone neuron's outputs do).
std::vector<int> classify_rows(const Model& model, const Network& net, const MatrixF& x, const std::vector<int>& rows,
                               int64_t first_image = 0) {
  std::vector<int> out(rows.size());
  const size_t chunk = 2048;
  for (size_t s = 0; s < rows.size(); s += chunk) {
    size_t e = std::min(rows.size(), s + chunk);
    MatrixF xb(static_cast<Eigen::Index>(e - s), x.cols());
    for (size_t r = s; r < e; ++r) xb.row(static_cast<Eigen::Index>(r - s)) = x.row(rows[r]);
    Cache c;
    MatrixF z = model.forward(net, xb, c, 0, 0, Draw{net.spec.hardware.conversion_seed, rows.data() + s, first_image});
    for (Eigen::Index r = 0; r < z.rows(); ++r)
      out[s + static_cast<size_t>(r)] = static_cast<int>(top_class(z, r, model.neuron().orient));
  }
  return out;
}

/// Correct predictions over rows `rows` of x (ties count as wrong).
int64_t count_correct(const Model& model, const Network& net, const MatrixF& x, const std::vector<int>& y,
                      const std::vector<int>& rows) {
  std::vector<int> predicted = classify_rows(model, net, x, rows);
  int64_t correct = 0;
  for (size_t k = 0; k < rows.size(); ++k)
    if (predicted[k] == y[rows[k]]) ++correct;
  return correct;
}

}  // namespace

MatrixF crossbar_sensitivity(const Network& net, size_t layer) {
  if (net.spec.model != LayerModel::crossbar) fail("crossbar_sensitivity: the network is not a crossbar model");
  return Model(net.spec).sensitivity(net, layer);
}

std::vector<int> classify(const Network& net, const MatrixF& x, int64_t first_image) {
  std::vector<int> rows(static_cast<size_t>(x.rows()));
  for (size_t k = 0; k < rows.size(); ++k) rows[k] = static_cast<int>(k);
  return classify_rows(Model(net.spec), net, x, rows, first_image);
}

MatrixF features(const Network& net, const MatrixF& x) {
  if (net.spec.features.empty()) return x;
  return Model(net.spec).features_only(net, x);
}

double accuracy(const Network& net, const Samples& data) {
  Model model(net.spec);
  std::vector<int> rows(static_cast<size_t>(data.x.rows()));
  for (size_t k = 0; k < rows.size(); ++k) rows[k] = static_cast<int>(k);
  if (rows.empty()) return 0;
  return static_cast<double>(count_correct(model, net, data.x, data.y, rows)) / static_cast<double>(rows.size());
}

std::vector<EpochLog> train(Network& net, const Samples& data, const TrainOptions& opt,
                            const std::function<void(const EpochLog&)>& progress) {
  validate(net.spec);
  const auto count = static_cast<int>(data.x.rows());
  if (count == 0) fail("train: no samples");
  const int inputs = net.spec.features.empty() ? net.spec.sizes.front() : net.spec.input_shape.size();
  if (data.x.cols() != inputs) fail("train: samples have {} inputs, the network {}", data.x.cols(), inputs);
  if (opt.batch < 1) fail("train.batch: must be >= 1, got {}", opt.batch);
  Model model(net.spec);
  // Hold out the validation set: a seeded permutation, its tail.
  std::vector<int> order(count);
  for (int k = 0; k < count; ++k) order[k] = k;
  auto shuffle = [](std::vector<int>& v, devices::CellRng& rng) {
    for (size_t k = v.size(); k > 1; --k) std::swap(v[k - 1], v[rng.next() % k]);
  };
  devices::CellRng split_rng(opt.seed, -1, -1, -1, devices::Purpose::other);
  shuffle(order, split_rng);
  const int nval = static_cast<int>(std::lround(opt.validation * count));
  std::vector<int> val(order.end() - nval, order.end());
  std::vector<int> tr(order.begin(), order.end() - nval);
  if (tr.empty()) fail("train.validation: leaves no training samples");
  // Conversion ranges not given: calibrated on (up to) 2048 training rows.
  if (netlist::converts_any(net.spec.hardware)) {
    const int n = std::min<int>(2048, static_cast<int>(tr.size()));
    MatrixF xc(n, data.x.cols());
    for (int r = 0; r < n; ++r) xc.row(r) = data.x.row(tr[static_cast<size_t>(r)]);
    calibrate_ranges(net, xc);
  }

  const bool quantized_levels = net.spec.levels != 0;
  const bool learn_scale = net.spec.model == LayerModel::software && quantized_levels && net.spec.learn_scale;
  OptimizerState st;
  for (const auto& w : net.w) {
    st.m.push_back(MatrixF::Zero(w.rows(), w.cols()));
    st.v.push_back(MatrixF::Zero(w.rows(), w.cols()));
    st.ms.push_back(0);
    st.vs.push_back(0);
  }
  for (const auto& conv : net.conv) {
    for (auto* buffers : {&st.conv_m, &st.conv_v}) {
      buffers->push_back(MatrixF::Zero(conv.w.rows(), conv.w.cols()));
      buffers->push_back(MatrixF::Zero(conv.b.size(), 1));
    }
  }
  int64_t step = 0;
  double lr = opt.learning_rate;
  std::vector<EpochLog> logs;
  if (opt.refit) opt.refit(net);
  // Refits within epochs: every refit_epochs' share of the batches (an epoch's end refits anyway).
  const int64_t per_epoch = static_cast<int64_t>((tr.size() + static_cast<size_t>(opt.batch) - 1) / static_cast<size_t>(opt.batch));
  const int64_t refit_batches = opt.refit_epochs < 1 ? std::max<int64_t>(1, std::llround(opt.refit_epochs * per_epoch)) : 0;
  Network best = net;
  double best_acc = -1;
  int since_best = 0;
  for (int epoch = 1; epoch <= opt.epochs; ++epoch) {
    check_interrupt();
    auto t0 = std::chrono::steady_clock::now();
    devices::CellRng rng(opt.seed, epoch, -2, -2, devices::Purpose::other);
    shuffle(tr, rng);
    double loss_sum = 0;
    int64_t correct = 0, batches = 0;
    for (size_t s = 0; s < tr.size(); s += static_cast<size_t>(opt.batch)) {
      const size_t e = std::min(tr.size(), s + static_cast<size_t>(opt.batch));
      MatrixF xb(static_cast<Eigen::Index>(e - s), data.x.cols());
      for (size_t r = s; r < e; ++r) xb.row(static_cast<Eigen::Index>(r - s)) = data.x.row(tr[r]);
      Cache c;
      const uint64_t key = devices::mix64(opt.seed ^ (static_cast<uint64_t>(epoch) << 40) ^ static_cast<uint64_t>(batches));
      MatrixF z = model.forward(net, xb, c, opt.noise, key, Draw{key});
      MatrixF dz;
      int ok = 0;
      loss_sum += softmax_loss(model.neuron(), z, data.y, tr.data() + s, dz, &ok);
      correct += ok;
      Gradient g;
      model.backward(net, c, dz, g);
      ++step;
      ++batches;
      if (opt.refit && refit_batches > 0 && step % refit_batches == 0 && s + static_cast<size_t>(opt.batch) < tr.size())
        opt.refit(net);
      check_interrupt();
      for (size_t k = 0; k < net.w.size(); ++k) {
        optimizer_step(opt, step, lr, net.w[k], g.w[k], st.m[k], st.v[k]);
        if (learn_scale) scale_step(opt, step, lr, net.scale[k], g.scale[k], st.ms[k], st.vs[k]);
        if (quantized_levels) net.w[k] = net.w[k].cwiseMax(-1.0f).cwiseMin(1.0f);
        if (learn_scale) net.scale[k] = std::max(net.scale[k], 1e-6f);
      }
      for (size_t ci = 0; ci < net.conv.size(); ++ci) {
        Eigen::Map<MatrixF> bias(net.conv[ci].b.data(), net.conv[ci].b.size(), 1);
        Eigen::Map<const MatrixF> gbias(g.conv_b[ci].data(), g.conv_b[ci].size(), 1);
        optimizer_step(opt, step, lr, net.conv[ci].w, g.conv_w[ci], st.conv_m[2 * ci], st.conv_v[2 * ci]);
        optimizer_step(opt, step, lr, bias, gbias, st.conv_m[2 * ci + 1], st.conv_v[2 * ci + 1]);
      }
    }
    if (opt.refit) opt.refit(net);
    EpochLog log;
    log.epoch = epoch;
    log.loss = loss_sum / static_cast<double>(batches);
    log.train_accuracy = static_cast<double>(correct) / static_cast<double>(tr.size());
    log.validation_accuracy =
        val.empty() ? log.train_accuracy
                    : static_cast<double>(count_correct(model, net, data.x, data.y, val)) / static_cast<double>(val.size());
    log.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    logs.push_back(log);
    if (progress) progress(log);
    if (log.validation_accuracy > best_acc) {
      best_acc = log.validation_accuracy;
      best = net;
      since_best = 0;
    } else if (opt.patience > 0 && ++since_best >= opt.patience) {
      break;
    }
    lr *= opt.lr_decay;
  }
  net = std::move(best);
  return logs;
}

std::string to_json(const Network& net) {
  nlohmann::json j;
  j["format"] = "spinxbar-mlp";
  j["version"] = 1;
  j["sizes"] = net.spec.sizes;
  j["model"] = net.spec.model == LayerModel::crossbar ? "crossbar" : "software";
  j["levels"] = net.spec.levels;
  j["activation"] = to_string(net.spec.activation);
  j["activation_states"] = net.spec.act_states;
  j["sc_length"] = net.spec.sc_length;
  j["scale"] = net.scale;
  if (std::any_of(net.range.begin(), net.range.end(), [](double r) { return r > 0; })) {
    j["conversion_range"] = net.range;
    nlohmann::json modes = nlohmann::json::array();
    for (size_t k = 0; k < net.w.size(); ++k)
      modes.push_back(devices::to_string(netlist::conversion_of(net.spec.hardware, static_cast<int>(k) + 1).mode));
    j["conversion"] = std::move(modes);
  }
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& w : net.w) {
    nlohmann::json l;
    l["rows"] = w.rows();
    l["cols"] = w.cols();
    l["latent"] = std::vector<float>(w.data(), w.data() + w.size());
    layers.push_back(std::move(l));
  }
  j["layers"] = std::move(layers);
  if (!net.conv.empty()) {
    nlohmann::json conv = nlohmann::json::array();
    for (const auto& c : net.conv)
      conv.push_back({{"in_channels", c.in_channels}, {"out_channels", c.out_channels}, {"kernel", c.kernel},
                      {"stride", c.stride}, {"pad", c.pad},
                      {"w", std::vector<float>(c.w.data(), c.w.data() + c.w.size())},
                      {"b", std::vector<float>(c.b.data(), c.b.data() + c.b.size())}});
    j["conv"] = std::move(conv);
  }
  return j.dump(1) + "\n";
}

Network from_json(const std::string& text, const ModelSpec& spec, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not valid JSON: {}", source, e.what());
  }
  try {
    if (j.at("format") != "spinxbar-mlp") fail("{}: not a spinxbar model (format)", source);
    auto sizes = j.at("sizes").get<std::vector<int>>();
    if (sizes != spec.sizes) fail("{}: sizes {} do not match the configuration's {}", source, fmt::join(sizes, "-"), fmt::join(spec.sizes, "-"));
    if (j.contains("levels") && j.at("levels").get<int>() != spec.levels)
      fail("{}: {} weights, the configuration has {}", source, weights_name(j.at("levels").get<int>()), weights_name(spec.levels));
    Network net;
    net.spec = spec;
    net.scale = j.at("scale").get<std::vector<float>>();
    // Conversion ranges: the configuration's, else the model's (calibrated or trained with it).
    std::vector<double> ranges;
    if (j.contains("conversion_range")) ranges = j.at("conversion_range").get<std::vector<double>>();
    for (size_t k = 0; k + 1 < sizes.size(); ++k) {
      const auto cv = netlist::conversion_of(spec.hardware, static_cast<int>(k) + 1);
      double r = cv.converts() ? cv.range : 0.0;
      if (cv.converts() && !(r > 0) && k < ranges.size() && ranges[k] > 0 && std::isfinite(ranges[k])) r = ranges[k];
      net.range.push_back(r);
    }
    const auto& layers = j.at("layers");
    if (layers.size() + 1 != sizes.size() || net.scale.size() + 1 != sizes.size())
      fail("{}: {} layers expected", source, sizes.size() - 1);
    for (size_t k = 0; k < layers.size(); ++k) {
      auto rows = layers[k].at("rows").get<Eigen::Index>(), cols = layers[k].at("cols").get<Eigen::Index>();
      auto v = layers[k].at("latent").get<std::vector<float>>();
      if (rows != sizes[k] + 1 || cols != sizes[k + 1] || v.size() != static_cast<size_t>(rows * cols))
        fail("{}: layer {} must be {} x {}", source, k + 1, sizes[k] + 1, sizes[k + 1]);
      for (float& f : v) {
        if (!std::isfinite(f)) fail("{}: layer {} has a non-finite weight", source, k + 1);
        if (spec.levels != 0) f = std::clamp(f, -1.0f, 1.0f);  // latent range of quantized training
      }
      net.w.push_back(Eigen::Map<MatrixF>(v.data(), rows, cols));
    }
    // The feature extractor's conv layers: geometry must match the configuration's.
    const auto& convs = j.contains("conv") ? j.at("conv") : nlohmann::json::array();
    size_t ci = 0;
    for (const auto& f : spec.features) {
      if (f.kind != nn::FeatureLayer::Kind::conv) continue;
      if (ci >= convs.size()) fail("{}: {} conv layers, the configuration has more", source, convs.size());
      const auto& jc = convs[ci];
      nn::Conv c = f.conv;
      if (jc.at("in_channels") != c.in_channels || jc.at("out_channels") != c.out_channels || jc.at("kernel") != c.kernel ||
          jc.at("stride") != c.stride || jc.at("pad") != c.pad)
        fail("{}: conv layer {} has another geometry than the configuration's", source, ci + 1);
      auto w = jc.at("w").get<std::vector<float>>(), b = jc.at("b").get<std::vector<float>>();
      const size_t fan_in = static_cast<size_t>(c.in_channels) * c.kernel * c.kernel;
      if (w.size() != fan_in * static_cast<size_t>(c.out_channels) || b.size() != static_cast<size_t>(c.out_channels))
        fail("{}: conv layer {} has {} weights and {} biases, expected {} and {}", source, ci + 1, w.size(), b.size(),
             fan_in * static_cast<size_t>(c.out_channels), c.out_channels);
      for (float v : w)
        if (!std::isfinite(v)) fail("{}: conv layer {} has a non-finite weight", source, ci + 1);
      for (float v : b)
        if (!std::isfinite(v)) fail("{}: conv layer {} has a non-finite bias", source, ci + 1);
      c.w = Eigen::Map<nn::Matrix>(w.data(), c.out_channels, static_cast<Eigen::Index>(fan_in));
      c.b = Eigen::Map<nn::Vector>(b.data(), c.out_channels);
      net.conv.push_back(std::move(c));
      ++ci;
    }
    if (ci != convs.size()) fail("{}: {} conv layers, the configuration has {}", source, convs.size(), ci);
    return net;
  } catch (const nlohmann::json::exception& e) {
    fail("{}: {}", source, e.what());
  }
}

NetworkWeights to_weights(const Network& net) {
  NetworkWeights out;
  for (size_t k = 0; k < net.w.size(); ++k) {
    MatrixF q = quantized(net, k);
    const int n = static_cast<int>(q.rows()) - 1, m = static_cast<int>(q.cols());
    Matrix w, b;
    w.rows = n;
    w.cols = m;
    b.rows = m;
    b.cols = 1;
    // Quantized values as exact levels j/m in double precision (0.2, not the float 0.200000003).
    const int half = half_levels(net.spec.levels);
    auto value = [&](int r, int c) {
      return net.spec.levels == 0 ? static_cast<double>(q(r, c)) : std::round(q(r, c) * half) / half;
    };
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < m; ++c) w.data.push_back(value(r, c));
    for (int c = 0; c < m; ++c) b.data.push_back(value(n, c));
    out.w.push_back(std::move(w));
    out.b.push_back(std::move(b));
  }
  return out;
}

namespace {

/// The latent weight in the middle of the quantization bin of level value v: binary bins are [0, 1]
/// and [-1, 0) (so +-0.5); k = 2m+1 levels have bins of width 1/m around j/m, the outer two cut at
/// +-1 (so +-(1 - 1/(4m))). A latent at the edge of its bin (+-1) would need the most steps of any to
/// change level, and fine-tuning would barely move the weights.
double mid_bin(double v, int levels) {
  if (levels == 2) return v >= 0 ? 0.5 : -0.5;
  const int m = half_levels(levels);
  const double j = std::round(v * m);
  if (std::fabs(j) >= m) return (j > 0 ? 1 : -1) * (1 - 0.25 / m);
  return j / m;
}

}  // namespace

Network from_weights(const NetworkWeights& nw, const ModelSpec& spec) {
  Network net = init_network(spec, 0);
  for (size_t k = 0; k < net.w.size(); ++k) {
    const int n = spec.sizes[k], m = spec.sizes[k + 1];
    for (int r = 0; r <= n; ++r) {
      for (int c = 0; c < m; ++c) {
        double v = r < n ? nw.w[k].at(r, c) : nw.b[k].at(c, 0);
        if (!std::isfinite(v)) fail("{}: value is not finite", r < n ? nw.w[k].where(r, c) : nw.b[k].where(c, 0));
        net.w[k](r, c) = static_cast<float>(spec.levels != 0 ? mid_bin(std::clamp(v, -1.0, 1.0), spec.levels) : v);
      }
    }
  }
  return net;
}

Network from_weights(const NetworkWeights& nw, const ModelSpec& spec, const std::filesystem::path& conv_model) {
  Network net = from_weights(nw, spec);
  if (net.conv.empty()) return net;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(conv_model, ec))
    fail("{}: cannot open (the conv layers' parameters, written by spinxbar train beside the weight files)", conv_model.string());
  net.conv = from_json(read_file(conv_model), spec, conv_model.string()).conv;
  return net;
}

void export_network(const Network& net, const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail("{}: cannot create the directory: {}", dir.string(), ec.message());
  write_file_atomic(dir / "model.json", to_json(net));
  NetworkWeights w = to_weights(net);
  for (size_t k = 0; k < w.w.size(); ++k) {
    for (const char* ext : {"csv", "npy"}) {
      auto wp = weight_file(dir, 'W', k + 1, ext), bp = weight_file(dir, 'B', k + 1, ext);
      if (std::string(ext) == "csv") {
        write_csv(wp, w.w[k]);
        write_csv(bp, w.b[k]);
      } else {
        write_npy(wp, w.w[k]);
        write_npy(bp, w.b[k]);
      }
    }
  }
}

}  // namespace spx::mlp
