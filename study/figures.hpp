// Figures of studies and runs, drawn by gnuplot (Debian gnuplot-nox) from the results on disk, so
// `spinxbar plot DIR` redraws them at any time. Each figure STEM comes as STEM.png and STEM.svg, with
// STEM.dat (the numbers drawn) and STEM.gp (the script) beside it: edit the script and rerun
// `gnuplot STEM.gp` in DIR to restyle.
// Study (DIR/study.json, written by spinxbar sweep):
// - accuracy_<axis>: circuit accuracy against each axis, one line per combination of the other axes,
//   error bars the 95 % interval over seeds; with one line, the parasitic-free reference dashed.
// - pareto: accuracy against energy per inference for every point, and the Pareto front (no other
//   point is both more accurate and cheaper).
// - energy_parts: energy per inference of each point, stacked by part.
// Run (DIR/summary.json and images.csv, written by spinxbar run):
// - energy: energy per inference by part; cpu_imac: CPU only against CPU-IMAC (CNN configs).
// - outputs: histogram of the output voltages, the winning output of each image apart from the others.
// - confusion: label against prediction (counts; the last column counts ties).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace spx::study {

struct Figures {
  bool drawn = false;               ///< gnuplot drew every figure (false: missing or failed)
  std::vector<std::string> files;   ///< the files written into DIR (scripts, data, images)
};

/// Draws the figures of a complete study directory. Throws InputError when DIR holds no complete study.
Figures draw_study(const std::filesystem::path& dir);

/// Draws the figures of a complete run directory. Throws InputError when DIR holds no complete run.
Figures draw_run(const std::filesystem::path& dir);

}  // namespace spx::study
