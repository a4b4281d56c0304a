// The partial-sum conversion comparison (spinxbar conversion-table): one network, every way of
// turning its tiles' partial sums into neuron inputs, at equal training budget.
// Rows: analog merge; ADC of 1..8 bits; stochastic SOT-MTJ conversion with 1, 2, 4, 8 and 16 samples;
// inhomogeneous sampling: 16 samples in the most sensitive layer, 4 in the others. The most sensitive
// is the last: its few conversions decide between the classes directly (on the MNIST MLP, 16 samples
// there gained 1.8 points over 4 everywhere after 4 epochs, 16 in the first layer 1.3 points, at 52x
// the conversions).
// Per row:
// 1. Training: the config's weights (network.weights) fine-tuned for `epochs` epochs through the row's
//    conversion (partial-sum-quantization-aware: straight-through gradients, mlp/train.hpp), ranges
//    calibrated first (conversion.quantile); the analog row gets the same epochs. Written to
//    OUT/<row>/weights.
// 2. Inference: spinxbar run of the test images at circuit level (native operating points, the
//    config's wires and devices) once per seed; the seed is conversion.seed, the converters' streams
//    (stochastic samples, ADC noise), so the spread is the converters' randomness on one trained
//    network; a row without either (analog, noiseless ADCs) runs once. Runs go to OUT/<row>/seed<k>.
// 3. Figures: accuracy (mean, std over seeds; an exact tie among the largest outputs counts as an
//    error, as in every run, and `accuracy_tie_split` breaks ties at random instead: an image whose
//    label is among k tied classes counts 1/k; coarse conversions make ties common), energy, latency and area per inference (run summary)
//    and per conversion (the converter model: mean over the network's conversions), and the ratios
//    baseline / row against the 8-bit ADC: energy, latency, area and energy-delay product, for the
//    whole inference and for the conversion alone.
// Output: OUT/conversion.csv (one row per setting), OUT/conversion.json, and OUT/conversion.{png,svg}
// (accuracy against the energy-delay product per inference, with the gnuplot script beside it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlp/config.hpp"

namespace spx::study {

/// One setting of the table.
struct ConversionSetting {
  std::string name;                                  ///< "analog", "adc-4", "stochastic-4", "inhomogeneous"
  std::vector<devices::ConversionSpec> layers;       ///< per layer (mode, bits, samples; ranges calibrated)
};

/// The table's rows for a network of `layers` layers.
std::vector<ConversionSetting> conversion_settings(int layers);

struct ConversionTableOptions {
  std::filesystem::path out;
  int epochs = 2;                  ///< fine-tuning epochs per row
  std::vector<uint64_t> seeds = {1, 2, 3};
  int images = -1;                 ///< test images per run (-1: all)
  int train_limit = -1;            ///< training images (-1: all)
  int threads = 2;
  std::vector<std::string> only;   ///< row names to run (empty: all)
  std::function<void(const std::string&)> log;  ///< progress lines
};

/// Runs the comparison for a config whose network is loaded (load_network); returns conversion.json's content.
nlohmann::json conversion_table(const mlp::Config& config, const ConversionTableOptions& options);

}  // namespace spx::study
