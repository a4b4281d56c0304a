// Native backend: runs a Circuit's analyses on the NodalSystem.
//   .op    one Newton solve with sources at their DC values.
//   .dc    the swept source takes each value start, start+step, ... up to stop (inclusive within a
//          1e-9 step tolerance); each point starts from the previous solution.
//   .tran  operating point with sources at t = 0 (skipped with uic: capacitor voltages and inductor
//          currents from ic=, else 0), then steps of min(tstep, tmax), shortened to land on every
//          source corner (breakpoint): BDF2, with backward Euler on the first step and after every
//          corner; adaptive steps under local truncation error control, or fixed steps (native.cpp).
#pragma once

#include <vector>

#include "netlist/circuit.hpp"
#include "solver/results.hpp"

namespace spx::solver {

/// Runs every analysis of the circuit, in order. A failed analysis carries its report and stops the run.
std::vector<AnalysisResult> simulate_native(const netlist::Circuit& circuit, const SolverOptions& options = {});

/// Runs one analysis on an existing system.
AnalysisResult run_analysis(const netlist::Circuit& circuit, NodalSystem& system, const netlist::Analysis& analysis,
                            const SolverOptions& options = {});

}  // namespace spx::solver
