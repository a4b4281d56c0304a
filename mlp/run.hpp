// Circuit-level inference over a dataset (spinxbar run): every image is simulated at circuit level
// and turned into the numbers a researcher reports.
// - Analysis: an operating point per image, or one transient window per image. A window starts from
//   the operating point of the previous image of the dataset (all inputs at 0 V before the first
//   image), the inputs move to this image over input.edge, and the window lasts input.window: the
//   time-multiplexed windows of IMAC-Sim, one image at a time.
// - Backends: native operating points go through the port reduction (one reduction, then a small
//   dense solve per image, on several threads); native transients and every ngspice run solve the
//   whole circuit per image.
// - Prediction: the output with the largest voltage; an exact tie is no prediction (-1) and counts as
//   an error.
// - Energy comes from the currents of the circuit's drivers only: the input sources, the VDD supply
//   and the neurons' output sources (which drive the next layer's lines). The power a driver delivers
//   is -(v(a) - v(b)) i, with i its branch current. Elements' dissipation is never summed: the
//   milliohm merge links between partition amplifiers carry large circulating currents that no
//   supply pays for, and the ideal amplifiers are not drivers. Operating points report the static
//   power and energy = power x input.window; transients integrate the power over the window
//   (trapezoid rule on the time points).
// - Latency (transient): the time from the start of the input edge until every output stays within
//   run.tolerance x vdd of its value at the end of the window; resolved to the time step.
// - Results in DIR: run.json (what the run is: config fingerprint, backend, analysis, images),
//   images.csv (one row per image, flushed to disk after every batch) and, once every image is done,
//   summary.json. An interrupted run continues with resume: rows already written are kept, a partly
//   written last row is dropped, and the run goes on from the next image, so the rows are the same as
//   in an uninterrupted run.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlp/config.hpp"

namespace spx::mlp {

/// Simulator behind a run.
enum class Backend : uint8_t { native, ngspice };

/// Settings of one invocation.
struct RunOptions {
  Backend backend = Backend::native;
  int first = -1;                    ///< first image (-1: input.first)
  int images = -1;                   ///< images (-1: all from first on)
  std::optional<bool> transient;     ///< overrides run.analysis
  int threads = -1;                  ///< -1: run.threads
  std::filesystem::path out;         ///< results directory
  bool resume = false;               ///< continue the run in `out` (a fresh run when there is none)
  int stop_after = -1;               ///< simulate at most this many images now, leaving a resumable run
  const std::atomic<bool>* interrupt = nullptr;  ///< set (e.g. by SIGINT): stop after the current batch
  std::string version;               ///< spinxbar version for the summary
  /// Called after every batch: images done (of total), images simulated now, seconds since the start.
  std::function<void(int done, int total, int simulated, double seconds)> progress;
};

/// What an invocation did.
struct RunOutcome {
  bool complete = false;   ///< every image has its row; summary.json written
  int total = 0;           ///< images in the run
  int done = 0;            ///< rows in images.csv
  int simulated = 0;       ///< images simulated by this invocation
  nlohmann::json summary;  ///< summary.json's content (complete runs)
};

/// Runs (or resumes) the circuit-level inference of a config whose network is loaded. Bad input
/// (images, labels, an earlier run in `out` that differs) throws InputError; a failed simulation
/// throws std::runtime_error naming the image.
RunOutcome run_network(const Config& config, const RunOptions& options);

/// Agreement of two runs on the images both hold (e.g. native vs ngspice, or two parasitic settings).
struct RunAgreement {
  int images = 0;               ///< images in both runs
  int same_prediction = 0;      ///< images with the same predicted class (ties included)
  double max_output_diff = 0;   ///< V, largest output difference
  int worst_image = -1;         ///< image of the largest output difference
  double max_energy_rel = 0;    ///< largest relative energy difference
};

/// Compares the images.csv of two result directories; they must have the same outputs per image.
RunAgreement compare_runs(const std::filesystem::path& a, const std::filesystem::path& b);

}  // namespace spx::mlp
