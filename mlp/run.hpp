// Circuit-level inference over a dataset (spinxbar run): every image is simulated at circuit level
// and turned into the numbers a researcher reports.
// - Analysis: an operating point per image, or one transient window per image. A window starts from
//   the operating point of the previous image of the dataset (all inputs at 0 V before the first
//   image), the inputs move to this image over input.edge, and the window lasts input.window: the
//   time-multiplexed windows of IMAC-Sim, one image at a time.
// - Backends: native operating points go through the port reduction (one reduction, then a small
//   dense solve per image, on several threads); native transients and every ngspice run solve the
//   whole circuit per image.
// - Prediction: the output with the largest voltage. Outputs that tie exactly (neurons saturated to the
//   same voltage, e.g. vdd, in double precision) are told apart by their neuron inputs as the neuron's
//   law orders them (the lower input for the inverting sigmoid): the order the outputs have before
//   rounding, and the one the software reference ranks classes by. Only when the inputs tie exactly as
//   well is there no prediction (-1), counted as an error.
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
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "devices/files.hpp"
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
  /// Images given in memory (e.g. from Python) instead of the config's dataset; `first` then counts
  /// within them. Their bytes and any in-memory weights go into the run's fingerprint through
  /// `manifest_extra`, whose keys are added to run.json.
  const InputSet* inputs = nullptr;
  nlohmann::json manifest_extra = nlohmann::json::object();
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

/// The W<k>/B<k> weight files a configuration names.
std::vector<std::filesystem::path> weight_files(const Config& config);
/// FNV-1a 64 of the config text, the given weight files and the data and label files: what a resumed
/// run must share with the run it continues.
std::string run_fingerprint(const Config& config, const std::vector<std::filesystem::path>& weights);

/// The results directory of a run, whatever computes its images (circuit, stochastic computing):
/// run.json says what the run is, images.csv gets one row per image in batches (each flushed and
/// synced), summary.json is written once every row is there, and DIR/run.lock is held for the run's
/// life. Until the first rows are on disk, a failure takes back whatever this made, so bad input
/// leaves nothing behind.
class RunDirectory {
 public:
  /// Makes and locks `dir`, then writes run.json, or with `resume` checks the earlier run.json against
  /// `manifest` key by key (a changed "fingerprint" names the files) and removes its summary.json.
  /// Without `resume`, an earlier run there is an error.
  RunDirectory(const std::filesystem::path& dir, const nlohmann::json& manifest, bool resume);
  RunDirectory(const RunDirectory&) = delete;
  RunDirectory& operator=(const RunDirectory&) = delete;
  const std::filesystem::path& csv() const { return csv_; }  ///< images.csv
  /// Simulates images [done, total) in batches: `simulate(from, n)` returns the CSV rows of images
  /// from .. from + n - 1, appended after `header` (written first into an empty file). Stops early
  /// for options.stop_after or options.interrupt, or when Interrupted is thrown; reports progress
  /// (seconds since t0). Returns the images done; `simulated` counts those done now.
  int run_batches(int done, int total, int batch, const std::string& header, const RunOptions& options,
                  std::chrono::steady_clock::time_point t0, int& simulated,
                  const std::function<std::string(int from, int n)>& simulate);
  /// Writes summary.json.
  void complete(const nlohmann::json& summary);
  /// The run stays, whatever happens next (e.g. after an interrupt during setup).
  void keep() { out_.keep(); }

 private:
  std::optional<RunLock> lock_;  // declared first, so out_ takes back its files while the lock is held
  OutputDir out_;
  std::filesystem::path csv_, manifest_, summary_;
};

/// Runs (or resumes) the circuit-level inference of a config whose network is loaded. Bad input
/// (images, labels, an earlier run in `out` that differs) throws InputError; a failed simulation
/// throws std::runtime_error naming the image.
RunOutcome run_network(const Config& config, const RunOptions& options);

/// A run's images.csv as columns: the header's names and each column's numbers as written (shortest
/// round trip, so exact). A row with another number of fields than the header is an InputError.
struct ImagesTable {
  std::vector<std::string> names;
  std::vector<std::vector<double>> columns;
  size_t rows = 0;
  /// The column of `name`, or -1.
  int column(const std::string& name) const;
};
ImagesTable read_images_table(const std::filesystem::path& csv);

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
