// Results of one analysis, in the same shape for every backend: a scale (time or swept value, empty
// for .op) and named vectors, "v(node)" for node voltages and "i(element)" for branch currents with
// ngspice's sign convention (positive from the first terminal through the element to the second).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "netlist/circuit.hpp"
#include "solver/nodal.hpp"

namespace spx::solver {

/// One analysis' output.
struct AnalysisResult {
  netlist::AnalysisKind kind = netlist::AnalysisKind::op;
  std::vector<double> scale;                            ///< time (s) or sweep value; empty for op
  std::map<std::string, std::vector<double>> vectors;   ///< name -> values (one per scale point)
  SolveReport report;                                   ///< failure details; vectors may be partial
  int64_t factorizations = 0;                           ///< numeric factorizations (native only)
  int64_t rejected_steps = 0;                           ///< transient steps rejected by error control
};

/// "op", "tran" or "dc".
const char* analysis_name(netlist::AnalysisKind kind);

}  // namespace spx::solver
