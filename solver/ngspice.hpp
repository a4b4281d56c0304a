// Embedded ngspice through its shared library (sharedspice.h), loaded with dlopen so that it can be
// reloaded. Life cycle of a run: ngSpice_Circ(lines) loads the deck (the first line is the title, a
// final .end is required), "run" executes its analyses, each producing one new plot whose vectors
// are copied at once (ngGet_Vec_Info returns one static struct); then "remcirc" and "destroy all"
// free the circuit and plots, or memory grows by megabytes per run. A run fails when ngspice printed
// an error on stderr or did not create one new plot per analysis. After ngspice calls its
// ControlledExit callback the library is unloaded and loaded afresh before the next use, because a
// load after such an exit aborts the process. ngspice is not reentrant: one session per process.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "netlist/circuit.hpp"
#include "netlist/spice_writer.hpp"
#include "solver/results.hpp"

namespace spx::solver {

/// Result of one ngspice run.
struct NgspiceRun {
  bool ok = false;
  std::string error;                       ///< first error line, mapped to an origin when possible
  std::vector<std::string> log;            ///< everything ngspice printed ("stdout ..."/"stderr ...")
  std::vector<AnalysisResult> analyses;    ///< one per new plot, in execution order
};

/// An embedded ngspice instance.
class NgspiceSession {
 public:
  /// Loads the library (default: the one found at build time, or $SPX_NGSPICE_LIB).
  explicit NgspiceSession(std::string library = {});
  ~NgspiceSession();
  NgspiceSession(const NgspiceSession&) = delete;
  NgspiceSession& operator=(const NgspiceSession&) = delete;

  /// Loads netlist text and runs the analyses in it; `expected` analyses must each make a plot
  /// (pass -1 to accept any number of plots).
  NgspiceRun run_text(std::string_view netlist, int expected = -1);
  /// Writes the circuit in the ngspice dialect and runs it; errors name the element's origin.
  NgspiceRun run(const netlist::Circuit& circuit);
  /// Sends one interactive command (e.g. "quit"); false when ngspice rejected it or exited.
  bool execute(const std::string& cmd) { return command(cmd); }
  /// Times the library was (re)loaded.
  int loads() const { return loads_; }
  /// Path of the library in use.
  const std::string& library() const { return path_; }

  struct Api;

 private:
  std::string path_;
  std::unique_ptr<Api> api_;
  int loads_ = 0;
  bool exited_ = false;
  std::vector<std::string> lines_;
  std::string temp_copy_;

  void load();
  void unload();
  bool command(const std::string& cmd);
  std::vector<std::string> plots() const;
  static int on_char(char* text, int id, void* self);
  static int on_stat(char* text, int id, void* self);
  static int on_exit(int status, bool unload, bool quit, int id, void* self);
};

/// The process-wide session, created on first use (ngspice allows one per process).
NgspiceSession& ngspice_session();

}  // namespace spx::solver
