// Shared by the ngspice test files: the process-wide session and a run of one circuit on both
// backends with their agreement.
#pragma once

#include <doctest/doctest.h>

#include "netlist/circuit.hpp"
#include "solver/compare.hpp"
#include "solver/native.hpp"
#include "solver/ngspice.hpp"

namespace spx::test {

inline solver::NgspiceSession& session() { return solver::ngspice_session(); }

/// First analysis of a circuit on ngspice (reference) and native, and how far apart they are.
struct BothBackends {
  solver::AnalysisResult ngspice, native;
  solver::Agreement agreement;
};

inline BothBackends run_both(const netlist::Circuit& c) {
  BothBackends out;
  auto ng = session().run(c);
  REQUIRE_MESSAGE(ng.ok, ng.error);
  auto nat = solver::simulate_native(c);
  REQUIRE_MESSAGE(nat.at(0).report.ok(), nat.at(0).report.detail);
  out.ngspice = std::move(ng.analyses.at(0));
  out.native = std::move(nat.at(0));
  out.agreement = solver::compare(out.ngspice, out.native);
  return out;
}

}  // namespace spx::test
