// Studies (spinxbar sweep STUDY.toml): one base configuration, axes of config keys, Monte Carlo seeds,
// and one circuit-level run (spinxbar run) per point and seed, collected into one tidy table.
//
// The study file:
//   [study]
//   config = "../mnist/mnist.toml"   # base configuration, relative to the study file
//   name = "parasitic"               # optional (default: the file's stem)
//   set = ["run.threads=2"]          # optional: overrides for every point (--set syntax)
//   combine = "cross"                # cross (every combination of the axes) | zip (side by side)
//   seeds = 5                        # Monte Carlo: seeds 1..5 per point, or a list [3, 7, 11]
//   seed_keys = ["network.seed"]     # the config keys each seed is written to (default below)
//   images = 10000                   # optional: test images per run (default: all from input.first)
//   first = 0                        # optional: first test image
//   backend = "native"               # native | ngspice
//   [[axis]]
//   key = "interconnect.resistance_scale"   # any config key
//   values = [1, 2, 5, 10]                  # TOML values (numbers, strings, arrays such as [32, 32])
//   [[axis]]
//   key = "synapse.variation_percent"
//   from = 0; to = 20; steps = 5; scale = "linear"   # or a range: linear or log, steps values
//   name = "variation"                                # optional: the table's column (default: key)
// Default seed keys: network.seed (device variation), and conversion.seed or sc.seed when the base
// config has a [conversion] or [sc] section (the converters' and the p-bits' streams).
//
// Results in OUT (default out/<name>):
// - study.json: the study (its text, the points) and, once every run is done, the results per point.
// - runs/pNNN-sK/: the run directory of point NNN with seed K (run.json, images.csv, summary.json), or
//   failed.json when its simulation failed (the reason; the study goes on without it).
// - results.csv: one row per point: the axes' values, then for accuracy, the parasitic-free
//   reference's accuracy, energy and latency per inference, area and the energy of each part: the
//   mean, std (n - 1) and the 95 % interval of the mean (Student t) over the seeds that completed
//   (std and interval are empty with one seed).
// - seeds.csv: one row per point and seed with the same quantities.
// - figures (study/figures.hpp).
// Resuming: the same command continues a stopped study: complete runs are kept, a run that stopped
// part way continues from its last complete batch of images, failed runs stay failed. A changed study
// file or base config is refused; --force starts the study again.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlp/run.hpp"

namespace spx::study {

/// One axis of a study: a config key and its values.
struct Axis {
  std::string key;                  ///< section.key
  std::string name;                 ///< column name (default: key)
  std::vector<std::string> values;  ///< each value as TOML text, for the override "key=value"
  std::vector<std::string> labels;  ///< each value for tables and figures: 2, gaussian, 32x32
  std::vector<double> numeric;      ///< the values as numbers, when all are numbers (else empty)
  std::vector<int> lines;           ///< study-file line of each value
  int line = 0;                     ///< study-file line of the axis
  bool log = false;                 ///< a log range, or positive numbers spanning two decades or more
};

/// A parsed study file.
struct Study {
  std::filesystem::path file;           ///< the study file
  std::string text;                     ///< its bytes
  std::string name;                     ///< study.name or the file's stem
  std::filesystem::path config;         ///< base configuration
  std::vector<std::string> set;         ///< overrides for every point
  int set_line = 0;                     ///< line of study.set
  std::vector<Axis> axes;
  bool zip = false;                     ///< combine = zip: point k takes value k of every axis
  std::vector<uint64_t> seeds = {1};    ///< Monte Carlo seeds
  int seeds_line = 0;                   ///< line of study.seeds
  std::vector<std::string> seed_keys;   ///< config keys each seed is written to
  int first = -1, images = -1;          ///< test images (-1: the config's)
  mlp::Backend backend = mlp::Backend::native;
};

/// One point of a study: an index into each axis' values.
struct Point {
  int index = 0;
  std::vector<int> at;                  ///< value index per axis
  std::vector<std::string> overrides;   ///< study.set, then "key=value" per axis
};

/// Reads and checks a study file: an unknown key, an empty axis, a seed <= 0, a malformed range
/// or zipped axes of different lengths are an InputError naming the file and line.
Study load_study(const std::filesystem::path& file);

/// The study's points, in order: crossed axes vary the last axis fastest.
std::vector<Point> study_points(const Study& study);

/// The overrides of one run: the point's, then the seed on every seed key.
std::vector<std::string> run_overrides(const Study& study, const Point& point, uint64_t seed);

struct SweepOptions {
  std::filesystem::path out;         ///< results directory (default: out/<name>)
  bool force = false;                ///< start again, replacing an earlier study in `out`
  int threads = -1;                  ///< threads per run (-1: the config's run.threads)
  int images = -1;                   ///< overrides study.images
  const std::atomic<bool>* interrupt = nullptr;
  std::string version;
  std::function<void(const std::string&)> log;  ///< progress lines
  /// Scale-out (MPI): this process is `rank` of `ranks`; it runs runs rank, rank + ranks, ... of the
  /// study (point-major, seed-minor), on a directory all processes see. Rank 0 owns the directory (makes
  /// it, checks and locks it, writes study.json) and, once every rank is done, collects the runs from
  /// disk and writes the tables and figures: the same bytes as one process.
  int rank = 0, ranks = 1;
  std::function<void()> barrier;    ///< waits for every process (empty: one process)
};

struct SweepOutcome {
  bool complete = false;             ///< every run is done (or failed) and the tables are written (rank 0)
  int runs = 0, done = 0, failed = 0, now = 0;  ///< runs in all, done (incl. failed), failed, run now
  bool figures = false;              ///< gnuplot drew the figures
  std::filesystem::path out;
};

/// Runs (or continues) a study. Bad input throws InputError; a run whose simulation fails is recorded
/// as failed and the study goes on.
SweepOutcome run_sweep(const Study& study, const SweepOptions& options);

/// Mean, sample standard deviation and 95 % interval of the mean (Student t) of some values.
struct Stats {
  int n = 0;
  double mean = 0, std = 0, low = 0, high = 0;  ///< std, low, high: meaningful for n >= 2
};
Stats stats_of(const std::vector<double>& v);
/// The 0.975 quantile of Student's t distribution with `df` degrees of freedom.
double t975(int df);

}  // namespace spx::study
