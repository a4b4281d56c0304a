// The quantized SC-MLP study in one command (spinxbar sc-table): for every network shape and state
// count k (k-level weights and k-state hidden activations), two trainings from the same seed:
// - without SC (quantization-aware, deterministic): `epochs`, then `tune_epochs` more;
// - with SC: `epochs` with the sampling noise of the shortest stream, then, for every bitstream
//   length L, `tune_epochs` more with the noise of that L.
// Both see the same number of epochs and learning-rate schedule, so they differ only in the noise.
// Every model runs on the SC engine over the test set once per device seed (the model without SC at
// every L). Writes table.csv (one row per shape x states x L x training: accuracy mean, std and 95 %
// interval over seeds, energy and latency per inference with the analog-activation baseline's),
// table.md, accuracy.gp with accuracy.png / accuracy.svg (gnuplot), and the trained models under
// models/.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "mlp/config.hpp"

namespace spx::sc {

/// What the table covers and how long it trains.
struct TableOptions {
  std::vector<std::vector<int>> shapes;        ///< network sizes (inputs first)
  std::vector<int> states = {5, 11};           ///< hidden activation states
  std::vector<int> lengths = {100, 200, 300, 400, 500};
  int seeds = 3;                               ///< device seeds per evaluation
  int epochs = 7;                              ///< first training (with and without SC)
  int tune_epochs = 2;                         ///< then: with SC per L, and the plain model continued
  int limit = -1;                              ///< at most this many training and test images (-1: all)
  int threads = 2;
  std::filesystem::path out;
  std::function<void(const std::string&)> log;  ///< progress lines
};

/// One row of the table.
struct TableRow {
  std::string shape;
  int hidden = 0, states = 0, length = 0;
  bool with_sc = false;
  std::vector<double> accuracy;   ///< per seed
  double mean = 0, std = 0, ci95 = 0;
  double energy = 0, latency = 0, baseline_energy = 0, baseline_latency = 0;
};

/// Runs the study for a stochastic-computing configuration (training and device settings from it).
std::vector<TableRow> run_table(const mlp::Config& config, const TableOptions& options);

}  // namespace spx::sc
