// MLP training on Eigen (single precision), for networks that run as crossbar circuits.
// Two layer models:
// - software: z = s (W_q [x; 1]) with W_q the float or quantized weights (bias as the last row) and s
//   a per-layer scale (1 for float weights; learned or fixed for quantized ones); activations sigmoid,
//   reverse sigmoid 1/(1+e^z), ReLU, hard-tanh or a tabulated transfer curve.
// - crossbar: the ideal circuit of netlist/mlp.hpp without wire resistance, in closed form. Each
//   h-partition p of the input lines (bias line at vdd last) sees the conductances G+/G- of the
//   weight levels (devices/synapse.hpp) and gives N = sum x G and D = sum G per line; the readout
//   turns them into a_p:
//     loaded, ideal amplifier:   a = g (N+/D+ - N-/D-)
//     loaded, four-resistor amplifier with op-amp gain A (R1 = R2 = r_in, R3 = R4 = g r_in):
//       u = N+ R4 / (1 + D+ (R2 + R4)),  k = 1/D- + R1,
//       a = A (u (R3 + k) - (N-/D-) R3) / (R3 + k (1 + A))
//     virtual ground:            a = g r_in (N+ - N-)
//   partitions merge by average or sum into z, and the neuron is vdd/(1+exp((z-offset)/slope)) or
//   the characterized curve (linear extension past its ends, as pwl()). Training this model trains
//   what the circuit computes.
// Quantization: binary sign(w); k = 2m+1 levels round(m w)/m; latent float weights clipped to
// [-1, 1] and straight-through gradients inside it (BinaryConnect). Loss: softmax cross-entropy on
// the last layer's pre-activation oriented so that larger means a larger output (for an inverting
// neuron -(z - offset)/slope), which ranks classes exactly as the outputs do.
// Quantized activations and stochastic computing (software model, sigmoid; sc/network.hpp is the
// hardware this models): hidden activations are quantized to k states, round(a (k-1)) / (k-1), with
// straight-through gradients. With a bitstream length L, a hidden neuron's activation is the count of
// its p-bit's ones over L clocks whose column sum s(t) = sum_i b_i(t) q_i varies with the input bits
// (unipolar streams, P(b_i = 1) = x_i): mean mu = x q, variance v = x (1 - x) q^2. Its expected bit is
// E[sigmoid(scale s)] ~ sigmoid(u), u = scale mu / sqrt(1 + pi scale^2 v / 8) (the probit
// approximation of a logistic-normal mean; MacKay 1992), and the count is binomial: the forward pass
// draws a = p + sqrt(p (1 - p) / L_eff) n (n standard normal, a clipped to [0, 1]) with
// L_eff = L (1 - rho) / (1 + rho) for bits correlated by rho, then quantizes. The last layer's
// integrated readout is scale (mu + sqrt(v / L_eff) n). Gradients flow through u (mu, v and the
// scale); the sampling noise and the rounding pass straight through. Without L ("training without
// SC") the activation is quantize(sigmoid(scale mu)). Evaluation of such a model samples with a
// fixed key, so accuracies estimate the stochastic network.
// Partial-sum conversion (crossbar model; devices/converter.hpp): with an ADC or stochastic SOT-MTJ
// conversion on a layer, each partition's a is converted before the merge, with the converter's
// draws (noise, switching) from its seeded stream for the image: evaluation uses the circuit's streams
// (conversion seed, dataset image), so it computes what the circuit computes; training draws from the
// batch's stream. Gradients pass straight through: the ADC's quantizer has slope 1 inside its range and
// 0 where it clips; a stochastic conversion has the slope of its mean, p'(x) / p'(0) (the samples'
// sum is scaled to unit small-signal gain). Ranges left at 0 are calibrated before training.
// Features (CPU-IMAC): an optional stack of convolution, pooling and ReLU layers (nn/conv.hpp, float,
// software) turns each input row into the dense layers' inputs; gradients flow back through it, and
// its conv parameters train with the same optimizer.
// Optimizers: SGD with momentum, Adam. Shuffling, initialization and noise come from seeded
// SplitMix64 streams; results are identical for a given seed and thread count.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "mlp/weights.hpp"
#include "nn/conv.hpp"
#include "netlist/mlp.hpp"

namespace spx::mlp {

using MatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

enum class LayerModel : uint8_t { software, crossbar };
enum class Activation : uint8_t { sigmoid, reverse_sigmoid, relu, hardtanh, curve };
enum class Optimizer : uint8_t { sgd, adam };

/// Parses "sigmoid", "reverse-sigmoid", "relu", "hardtanh", "curve"; nullopt otherwise.
std::optional<Activation> parse_activation(const std::string& s);
std::string to_string(Activation a);
/// "float", "binary", "ternary", "5-level" or "11-level" for 0, 2, 3, 5, 11 levels.
std::string weights_name(int levels);

/// What the network is: sizes, weight quantization and how a layer computes.
struct ModelSpec {
  std::vector<int> sizes;                       ///< inputs first
  LayerModel model = LayerModel::software;
  int levels = 0;                               ///< 0 float, 2 binary, 3 ternary, 5, 11
  Activation activation = Activation::sigmoid;  ///< software model
  std::vector<double> curve_in, curve_out;      ///< activation curve (software model, curve)
  bool learn_scale = true;                      ///< software, quantized: learn the per-layer scale
  int act_states = 0;                           ///< software sigmoid: hidden activations quantized to
                                                ///< this many states (0: not quantized)
  int sc_length = 0;                            ///< software sigmoid: bitstream length L of the
                                                ///< stochastic-computing forward model (0: none)
  double sc_rho = 0;                            ///< lag-one correlation of the bitstreams (telegraph)
  nn::Shape input_shape;                        ///< features: the shape of an input row
  std::vector<nn::FeatureLayer> features;       ///< CPU feature extractor (conv, pool, ReLU) in front of
                                                ///< the dense layers; its output size is sizes[0]
  int dac_bits = 8;                             ///< features: the DAC between the CPU features and the
  double dac_low = 0, dac_high = 1;             ///< first FC layer: clamp to [0, 1], 2^bits levels (0:
                                                ///< not quantized), mapped to [dac_low, dac_high] (V)
  double range_quantile = 0.99;                 ///< conversion ranges left at 0 are calibrated to this
                                                ///< quantile of |partial sum| before training
  netlist::MlpSpec hardware;                    ///< crossbar model: devices, partitions, readout,
                                                ///< neuron, vdd; hardware.layers[k].gain per layer
};

/// A network's parameters: latent weights (inputs+1) x outputs per layer, bias row last, and scales.
struct Network {
  ModelSpec spec;
  std::vector<MatrixF> w;
  std::vector<float> scale;
  std::vector<double> range;  ///< V per layer: the partial-sum conversion's clipping range (0: analog layer)
  std::vector<nn::Conv> conv;  ///< the feature extractor's conv layers, in order (geometry and parameters)
  /// Crossbar model: per layer, (inputs+1) x outputs factors on every cell's current into its
  /// amplifier, which make the closed form the circuit's with its wires (mlp/parasitic.hpp); empty:
  /// ideal wires.
  std::vector<MatrixF> wire;
  /// With the factors: per layer, (inputs+1) x outputs added to dz/d[x; vdd] where no factor can make
  /// an entry the circuit's (a cell whose two currents cancel in the closed form); empty: none.
  std::vector<MatrixF> wire_offset;
};

/// Training settings.
struct TrainOptions {
  Optimizer optimizer = Optimizer::adam;
  double learning_rate = 1e-3;
  double lr_decay = 1.0;       ///< learning rate factor per epoch
  double momentum = 0.9;       ///< SGD
  int batch = 64;
  int epochs = 10;
  int patience = 3;            ///< epochs without validation improvement before stopping (0: never)
  double validation = 0.1;     ///< fraction of the training set held out
  double noise = 0;            ///< std of Gaussian noise added to every pre-activation while training
  uint64_t seed = 1;
  /// Called before the first epoch, every `refit_epochs` epochs of updates (a fraction: that share of
  /// an epoch's batches) and after every epoch's updates, before its validation: e.g. fit_wires
  /// (mlp/parasitic.hpp), so training and validation see the circuit of the current weights.
  std::function<void(Network&)> refit;
  double refit_epochs = 1;
};

/// One epoch's record.
struct EpochLog {
  int epoch = 0;
  double loss = 0, train_accuracy = 0, validation_accuracy = 0, seconds = 0;
};

/// Samples: inputs row-major (count x inputs) and labels.
struct Samples {
  MatrixF x;
  std::vector<int> y;
};

/// A fresh network for the spec (seeded initialization).
Network init_network(const ModelSpec& spec, uint64_t seed);
/// Checks a spec (sizes, levels against the model, hardware partitions); throws InputError.
void validate(const ModelSpec& spec);

/// Trains in place; calls `progress` after every epoch. Returns the epoch logs. The weights of the
/// epoch with the best validation accuracy are kept (all of training when validation is 0).
std::vector<EpochLog> train(Network& net, const Samples& data, const TrainOptions& opt,
                            const std::function<void(const EpochLog&)>& progress = {});

/// The feature extractor's output for every row of x: conv, pool and ReLU layers, then the DAC
/// (clamp to [0, 1], quantize to 2^dac_bits levels, map to [dac_low, dac_high]); the input vectors
/// of the first FC layer. x itself when the network has no features.
MatrixF features(const Network& net, const MatrixF& x);

/// Outputs of the last layer (activation values: volts for the crossbar model), count x classes.
/// Row r is dataset image first_image + r: the image a partial-sum converter's draws belong to.
MatrixF predict(const Network& net, const MatrixF& x, int64_t first_image = 0);
/// d z / d [x; vdd] of crossbar layer `layer` (0-based) at the network's weights, without wire factors:
/// (inputs+1) x outputs. The crossbar model is affine in a layer's inputs, so this is its whole map.
MatrixF crossbar_sensitivity(const Network& net, size_t layer);
/// Class of every row of x: the largest output, -1 on a tie.
std::vector<int> classify(const Network& net, const MatrixF& x, int64_t first_image = 0);
/// Sets every converting layer's range left at 0 to spec.range_quantile of its |partial sums| over the
/// rows of x (layer by layer, each with the layers before it converting).
void calibrate_ranges(Network& net, const MatrixF& x);
/// The conversion ranges a model.json holds (empty when it has none).
std::vector<double> read_conversion_ranges(const std::filesystem::path& model_json);
/// Fraction of samples whose largest output is the label (a tie counts as wrong).
double accuracy(const Network& net, const Samples& data);

/// Quantized weight values of layer k ((inputs+1) x outputs), in [-1, 1] for quantized levels.
MatrixF quantized(const Network& net, size_t k);

/// Loss and gradient with respect to the latent weights and scales, for tests (no noise).
struct Gradient {
  double loss = 0;
  std::vector<MatrixF> w;
  std::vector<float> scale;
  std::vector<nn::Matrix> conv_w;  ///< per conv layer of the features
  std::vector<nn::Vector> conv_b;
};
Gradient loss_gradient(const Network& net, const MatrixF& x, const std::vector<int>& y);

/// The project's own format: JSON with the spec summary, scales and latent weights (exact round trip).
std::string to_json(const Network& net);
/// Reads to_json's output into a network of the given spec; the sizes and levels must match.
Network from_json(const std::string& text, const ModelSpec& spec, const std::string& source);

/// Weight files of the quantized (or float) network in IMAC-Sim layout: W<k> inputs x outputs, B<k>
/// outputs x 1 (the software model's scale is not part of them).
NetworkWeights to_weights(const Network& net);
/// A network whose latent weights are the given weight files' values, for fine-tuning: float weights
/// as they are; quantized weights in the middle of their level's bin (binary +-0.5; k levels j/m,
/// the outer levels +-(1 - 1/(4m))), so they quantize to the file's levels and every weight is as
/// free to change level as training from scratch allows (a latent of +-1 would barely move). Scales
/// start as in init_network.
Network from_weights(const NetworkWeights& w, const ModelSpec& spec);
/// The same, for a network with CPU conv layers: those come from conv_model (the model.json written
/// beside the weight files), which must exist.
Network from_weights(const NetworkWeights& w, const ModelSpec& spec, const std::filesystem::path& conv_model);
/// Writes model.json, W<k>/B<k>.csv and W<k>/B<k>.npy into dir (created if needed).
void export_network(const Network& net, const std::filesystem::path& dir);

}  // namespace spx::mlp
