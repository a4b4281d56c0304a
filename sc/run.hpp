// Stochastic-computing inference over a dataset (spinxbar run on a config with an [sc] section):
// every image runs clock by clock through the SC engine (sc/network.hpp) and is priced by the cost
// model (sc/cost.hpp). Results in DIR, as for circuit runs: run.json (what the run is), images.csv
// (one row per image: label, prediction, outputs, energy by component, the analog-activation
// baseline's energy, latency; flushed after every batch) and, once every image is done,
// summary.json (accuracy, confusion, energy and latency statistics, the baseline comparison, the
// p-bit's characteristics). An interrupted run continues with resume from the next image, with the
// same rows as an uninterrupted one: each image's streams depend only on the seed and its index.
#pragma once

#include <nlohmann/json.hpp>

#include "mlp/config.hpp"
#include "mlp/run.hpp"

namespace spx::sc {

/// Runs (or resumes) the SC inference of a configuration with an [sc] section. Uses first, images,
/// threads, out, resume, stop_after, interrupt, version and progress of the options.
mlp::RunOutcome run_sc_network(const mlp::Config& config, const mlp::RunOptions& options);

}  // namespace spx::sc
