// Configuration files (TOML) for networks: device, interconnect, partition, network and input
// settings. Every key is checked: an unknown key, a wrong type or a value out of range is an
// InputError "config.toml:12: section.key: ...". Physical values are numbers in SI units or strings
// in SPICE notation ("8.49k", "22n"). Relative paths are relative to the config file.
// Sections and keys (defaults in examples/ and `spinxbar netlist --help`):
//   [network]      sizes, weights, weights_format, levels, gains, vdd, seed
//   [partition]    tile = [rows, cols], merge = average|sum, readout = loaded|virtual-ground
//   [conversion]   mode = analog|adc|stochastic-mtj, bits, range (V), offset, noise, inl (LSB), samples,
//                  each a value for all layers or an array with one per layer (devices/converter.hpp);
//                  seed; quantile (training calibrates ranges not given to this quantile of |partial
//                  sum|); range defaults to the one in network.weights/model.json
//   [adc]          fom, rate, area, area_exponent, e_add (ADC cost model)
//   [sot_converter] law = thermal|sigmoid, k, delta, tau0, ic0, pulse, i_half, r_channel, v_write, r_p, tmr,
//                  v_read, t_read, e_sense, t_reset, e_count, area
//   [amplifier]    ideal, r_in, open_loop_gain, merge_r, gbw, slew_rate, r_out, c_load, i_quiescent,
//                  supply, area (devices/amplifier.hpp)
//   [mtj]          ra, major_axis, minor_axis, tmr0, v_half, bias_dependence
//   [synapse]      r_low, r_high, variation = none|uniform|gaussian, variation_percent
//   [interconnect] resistance, capacitance, coupling = ground|explicit, node, width_factor, thickness,
//                  ... (devices/wire.hpp)
//   [neuron]       model = ideal|curve|sot|sot-transistor, slope, offset (ideal), curve (CSV of
//                  input,output points), range, step, tolerance (sot: characterization sweep),
//                  r_out, c_out, c_load, i_supply, area (devices/periphery.hpp)
//   [input]        values, dataset (CSV file, or mnist | fashion-mnist | IDX directory), labels (CSV:
//                  one-hot rows or one class per row), crop, resize, threshold, binarize, high, low,
//                  first, images, window, edge
//   [run]          analysis = op|tran, tolerance (latency band, fraction of vdd), step, threads,
//                  amplifier_currents, interconnect = reduced|full (transients)
//   [sc]           length, states, stream = telegraph|bernoulli, readout = integrate|count,
//                  training = sc|plain, seed, v_row, p_amplifier, e_counter, e_dac_bit, analog_bits
//   [smtj]         preset, then any p-bit parameter (devices/pbit.hpp): delta, tau0, ic0, clock ...
//   [cnn]          input = [channels, height, width], layers = ["conv 6 5 pad=2", "relu", "pool max 2",
//                  ...], model (model.json with the conv parameters), dac_bits, dac_low, dac_high
//   [cpu]          e_mac, e_overhead, macs_per_instruction, e_l1, e_l2, e_dram, reuse, l2_bytes, clock,
//                  macs_per_cycle, cores, dram_bandwidth, p_static (arch/cpu.hpp)
//   [driver]       r_out, p_static, e_transition, area (devices/periphery.hpp)
//   [train]        model = crossbar|software, weights = float|binary|ternary|5-level|11-level,
//                  activation, learn_scale, optimizer = adam|sgd, learning_rate, lr_decay, momentum,
//                  batch, epochs, patience, validation, noise, seed, threads, init, interconnect = ideal|circuit,
//                  refit (mlp/train.hpp, mlp/parasitic.hpp)
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "arch/cpu.hpp"
#include "devices/pbit.hpp"
#include "mlp/converter_circuit.hpp"
#include "mlp/dataset.hpp"
#include "mlp/train.hpp"
#include "nn/conv.hpp"
#include "netlist/mlp.hpp"

namespace spx::mlp {

/// Input settings.
struct InputConfig {
  std::vector<double> values;          ///< V, explicit DC values of the input lines
  std::filesystem::path dataset;       ///< IMAC-Sim style CSV, one image per row (N x inputs)
  std::filesystem::path labels;        ///< labels of a CSV dataset: N x classes one-hot, or N x 1 class
  std::string idx_dataset;             ///< "mnist", "fashion-mnist" or an IDX directory (instead of CSV)
  Preprocess preprocess;               ///< binarize, high, low (V); crop, resize, threshold for IDX
                                       ///< images (CSV data binarizes by sign: > 0 high, < 0 low, 0)
  int first = 0;                       ///< first image (row) used
  int images = 1;                      ///< images in one netlist (more than one: time windows)
  double window = 2e-9;                ///< s, time per image in a transient netlist
  double edge = 0.1e-9;                ///< s, input transition time between images
};

/// Training settings ([train]).
struct TrainConfig {
  LayerModel model = LayerModel::crossbar;
  int levels = -1;                     ///< -1: network.levels; 0: float
  Activation activation = Activation::sigmoid;  ///< software model
  bool learn_scale = true;
  TrainOptions options;
  int threads = 2;
  std::filesystem::path init;          ///< model.json to start from (fine-tuning)
  /// interconnect = circuit: the crossbar model trains through the circuit with its wires (per-cell
  /// factors fitted from the circuit's exact layer maps, mlp/parasitic.hpp), refitted every `refit`
  /// epochs (a fraction such as 0.25: four times per epoch) and before every validation; ideal: the
  /// closed form without wire resistance.
  bool circuit_wires = false;
  double refit_epochs = 1;
};

/// Circuit-level inference settings ([run], spinxbar run).
struct RunConfig {
  bool transient = false;   ///< one transient window per image (else an operating point per image)
  double tolerance = 0.01;  ///< latency band: outputs within tolerance * vdd of their final values
  double step = 0;          ///< s, transient time step (0: input.edge / 10)
  int threads = 2;
  /// Operating points: solve every op-amp output's current for the power it draws from its rails
  /// (one more reduced quantity per amplifier: the MNIST example's setup takes 16 s instead of 5 s).
  /// Off, operating points count the amplifiers' quiescent power only; transients always include it.
  bool amplifier_currents = false;
  /// Transients: the wires' RC reduced onto their ports (solver/interconnect.hpp: exact at DC and in
  /// the first moment, used where the wires' own time constant is below a quarter of the step), or
  /// the full circuit.
  bool reduce_interconnect = true;
};

/// The transient time step of a run: run.step, or a tenth of input.edge.
inline double time_step(const RunConfig& run, const InputConfig& input) { return run.step > 0 ? run.step : input.edge / 10; }

/// Stochastic computing on s-MTJ p-bits ([sc] and [smtj]; sc/network.hpp, sc/cost.hpp).
struct ScConfig {
  bool enabled = false;           ///< the config has an [sc] section: the network computes stochastically
  int length = 100;               ///< clocks per layer (bitstream length L)
  int states = 5;                 ///< hidden activation states (0: not quantized)
  bool telegraph = true;          ///< stream = telegraph (correlated, as read from the device) | bernoulli
  bool integrate = true;          ///< readout = integrate (column current over L clocks) | count
  bool train_sc = true;           ///< training = sc (sampling noise in the forward pass) | plain
  uint64_t seed = 1;              ///< device streams
  double v_row = 0.1;             ///< V, crossbar row voltage of a 1 bit
  double p_amplifier = 10e-6;     ///< W, column amplifier driving a neuron's channel, while streaming
  double e_counter = 10e-15;      ///< J, counter increment per counted 1
  double e_dac_bit = 5e-15;       ///< J, bias DAC energy per resolved bit per conversion
  int analog_bits = 8;            ///< precision of the analog-activation baseline (bits)
  std::string preset;             ///< [smtj] preset name
  devices::PbitParams pbit;       ///< [smtj]: the preset, then the keys given
};

/// The CPU part of a CPU-IMAC network ([cnn]): a feature extractor computed in software whose
/// output, through a DAC, drives the crossbar FC layers.
struct CnnConfig {
  bool enabled = false;                   ///< the config has a [cnn] section
  nn::Shape input;                        ///< cnn.input = [channels, height, width] of a preprocessed image
  std::vector<nn::FeatureLayer> layers;   ///< cnn.layers: "conv OUT K [stride=S] [pad=P]", "pool max|average
                                          ///< SIZE [stride=S]", "relu"
  std::filesystem::path model;            ///< cnn.model: model.json with the conv parameters (default:
                                          ///< network.weights/model.json)
  int dac_bits = 8;                       ///< cnn.dac_bits: DAC resolution (0: not quantized)
  double dac_low = 0, dac_high = 1;       ///< V, cnn.dac_low / dac_high: DAC output range
};

/// A loaded configuration.
struct Config {
  std::filesystem::path file;          ///< the config file
  std::vector<std::string> overrides;  ///< command-line "section.key=value" settings applied to it
  std::vector<int> sizes;              ///< layer sizes, inputs first
  std::filesystem::path weights_dir;   ///< directory of W<k>/B<k> files
  std::string weights_format = "csv";  ///< csv | npy
  NetworkWeights weights;              ///< the weight files' values, read by load_network()
  std::vector<double> gains;           ///< amplifier gain per layer
  netlist::MlpSpec spec;               ///< everything but the weights until load_network()
  InputConfig input;
  TrainConfig train;
  RunConfig run;
  ScConfig sc;
  CnnConfig cnn;
  arch::CpuParams cpu;                 ///< [cpu]: the CPU of CPU-IMAC (arch/cpu.hpp)
  devices::AdcParams adc;              ///< [adc]: the ADCs' cost model (devices/converter.hpp)
  std::string conversion_at;           ///< where conversion.mode was given ("" when not)
  bool conversion_range_given = false; ///< conversion.range is in the config (else model.json's)
  double conversion_quantile = 0.99;   ///< conversion.quantile: training calibrates missing ranges to it
  SotSampleCost sot_sample;            ///< per sample of the SOT-MTJ converter, measured from its circuit
                                       ///< when a layer converts stochastically (else zero)
};

/// Values per image of the config's input: the CNN's input size, or the first layer's.
inline int input_size(const Config& c) { return c.cnn.enabled ? c.cnn.input.size() : c.sizes.front(); }

/// Parses and checks a configuration file. `overrides` ("section.key=value", the value in TOML syntax
/// or a bare word for a string) replace or add keys before the checks; errors name "--set ...".
Config load_config(const std::filesystem::path& file, const std::vector<std::string>& overrides = {});

/// Reads the weights named by the config into config.spec.layers.
void load_network(Config& config);
/// Puts given weights (e.g. a network being trained, quantized) into config.spec.layers.
void use_weights(Config& config, NetworkWeights weights);

/// The model the [train] section describes (sizes, levels, hardware of the crossbar model).
ModelSpec model_spec(const Config& config);

/// Preprocessed inputs (V) and labels of an IDX dataset split (input.dataset names it); at most
/// `limit` images from input.first on (limit < 0: all). The input count must match network.sizes.
Samples load_samples(const Config& config, Split split, int limit = -1);

/// Images as input voltages, with their labels.
struct InputSet {
  int first = 0;               ///< dataset index of the first image
  int inputs = 0;              ///< values per image
  std::vector<double> x;       ///< V, count x inputs
  std::vector<int> labels;     ///< class per image, -1 when the dataset has no labels
  std::vector<double> before;  ///< V, the inputs before the first image (image first-1, or zeros)
  std::string source;          ///< dataset name or file, for reports
  int count() const { return inputs == 0 ? 0 : static_cast<int>(x.size() / inputs); }
};

/// Loads images first .. first+count-1 (count < 0: all from first on) of the config's input: the test
/// split of an IDX dataset, rows of a CSV dataset (labels from input.labels when given), or the
/// explicit values as one unlabelled image.
InputSet load_input_set(const Config& config, int first, int count);

/// Class labels from a CSV file: one-hot rows of `classes` values, or one class number per row.
std::vector<int> read_labels(const std::filesystem::path& path, int classes);

/// Input vectors (V) of images first .. first+count-1, or the explicit DC values as one image.
std::vector<std::vector<double>> load_inputs(const Config& config, int count);

}  // namespace spx::mlp
