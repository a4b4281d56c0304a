// Figures: gnuplot (Debian gnuplot-nox) draws every figure from a script written beside it, so users can
// restyle a figure by editing its script and rerunning gnuplot.
#pragma once

#include <filesystem>

namespace spx::sc {

/// Runs `gnuplot script` with `dir` as its working directory; true when it exits with 0 (false when
/// gnuplot is missing or fails).
bool run_gnuplot(const std::filesystem::path& dir, const char* script);

}  // namespace spx::sc
