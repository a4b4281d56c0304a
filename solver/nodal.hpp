// Native modified nodal analysis (MNA) of a Circuit. Unknowns: the voltage of every node but ground,
// then the current of every element with a branch (V, L, E, H, B-voltage), positive from its first
// terminal through the element to its second, as ngspice reports i(vname).
//
// Life cycle:
// 1. NodalSystem(circuit) once per topology: number the unknowns, run every element's stamp once in
//    recording mode to collect the (row, col) positions, build the compressed-column pattern and a
//    slot for every stamp call, then do KLU's symbolic analysis.
// 2. load(context, x): zero the values, run the same stamps in numeric mode (each call adds into its
//    recorded slot; no searching), linearizing behavioral sources at x (Newton companion).
// 3. factor + solve, then one step of iterative refinement (r = b - A x, solve A d = r, x += d) on the
//    LU path: refactoring with earlier pivots, and the ideal sources tied through milliohm resistors
//    of generated networks, can otherwise cost digits; a linear circuit with unchanged values is not
//    factorized again.
// Transient: the caller gives the integration formula as dx/dt ~ a0 x_n + a1 x_{n-1} + a2 x_{n-2}
// (backward Euler: 1/h, -1/h, 0; variable-step BDF2 with w = h/h_prev: (1+2w)/((1+w)h), -(1+w)/h,
// w^2/((1+w)h)). A capacitor becomes g = C a0 in parallel with the history current C (a1 v1 + a2 v2);
// an inductor's branch equation becomes v = L (a0 i + a1 i1 + a2 i2).
// Nonlinear DC: Newton with a damped step; when it fails, gmin stepping (a conductance from every node
// to ground, 1e-3 S down to 0, each solution starting the next), then source stepping.
// Fast path: a circuit of resistors, capacitors, current sources and voltage sources that each tie
// one node to ground is solved on the free nodes only — the source-fixed voltages move to the
// right-hand side, the matrix (G + C/h) is symmetric positive definite, and CHOLMOD's Cholesky
// factorizes it; the source currents follow from KCL at their nodes afterwards. Everything
// else (controlled sources, inductors, behavioral sources, floating sources) uses KLU on the full MNA
// system. SolverOptions::method overrides the choice.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "netlist/circuit.hpp"
#include "solver/cholesky.hpp"
#include "solver/sparse_lu.hpp"

namespace spx::solver {

/// Outcome of a numerical solve: a result, not an exception.
struct SolveReport {
  enum class Status : uint8_t { ok, singular, no_convergence };
  Status status = Status::ok;
  int32_t iterations = 0;   ///< Newton iterations of the last solve
  double residual = 0;      ///< largest scaled update of the last iteration
  std::string detail;       ///< names the node or element when status != ok
  std::string fallback;     ///< "gmin stepping" or "source stepping" when plain Newton did not converge
  bool ok() const { return status == Status::ok; }
};

/// Linear solver of the nodal system.
enum class Method : uint8_t { automatic, lu, cholesky };

/// Transient integration formula.
enum class Integration : uint8_t { be, bdf2 };

/// Integration and solve settings.
struct SolverOptions {
  Integration integration = Integration::bdf2;  ///< bdf2 (backward Euler on the first step and after corners)
  bool adaptive = false;      ///< transient steps from local truncation error control (else fixed steps)
  double lte_reltol = 1e-4;   ///< relative local truncation error allowed per step (adaptive)
  double lte_abstol = 1e-7;   ///< V, absolute local truncation error allowed per step (adaptive)
  Method method = Method::automatic;  ///< automatic: Cholesky when the circuit allows it, else LU
  Ordering ordering = Ordering::amd;  ///< Cholesky ordering: amd (cheap to compute) or metis (less fill:
                                      ///< faster factor and solve, worth it when one analysis serves many)
  bool ordering_automatic = true;     ///< a generated crossbar (cell positions known, >= 4,096
                                      ///< unknowns) gets geometric nested dissection; otherwise
                                      ///< simulate_native picks metis for adaptive transients
  bool supernodal = false;            ///< Cholesky: supernodal (BLAS) instead of simplicial factorization
  double reltol = 1e-9;       ///< relative Newton tolerance on unknowns
  double vntol = 1e-12;       ///< V, absolute tolerance on node voltages
  double abstol = 1e-15;      ///< A, absolute tolerance on branch currents
  int32_t max_newton = 100;   ///< Newton iterations per solve before giving up
  bool chord = true;          ///< transients: Newton keeps the last factorization while it converges
                              ///< fast (chord iterations), see NodalSystem::newton
  double max_step_v = 2.0;    ///< V, largest change per Newton iteration of a voltage a nonlinear element reads
  std::vector<std::string> save;  ///< vectors to record (names as in results, e.g. "v(out)", "i(vdd)"); empty: all
};

/// What a load() evaluates.
struct LoadContext {
  enum class Mode : uint8_t { dc, tran };
  Mode mode = Mode::dc;
  double time = 0;            ///< s, source time (tran, and the op that starts a tran)
  bool source_time = false;   ///< sources take their time function at `time` (else op values)
  devices::TimeAxis axis;     ///< resolves omitted source arguments
  double h = 0;               ///< s, time step (tran)
  double a0 = 0, a1 = 0, a2 = 0;  ///< 1/s, integration coefficients (tran), see the file comment
  double source_scale = 1;    ///< multiplies independent sources (source stepping)
  double gmin = 0;            ///< S, conductance from every node to ground (gmin stepping)
  int32_t swept = -1;         ///< element whose value is replaced by swept_value (.dc)
  double swept_value = 0;
};

/// The nodal system of one circuit.
class NodalSystem {
 public:
  explicit NodalSystem(const netlist::Circuit& circuit, SolverOptions options = {});

  /// Number of unknowns.
  int32_t size() const { return n_; }
  /// Unknown index of a node voltage (node id - 1), or -1 for ground.
  int32_t node_unknown(netlist::NodeId id) const { return id - 1; }
  /// Unknown index of an element's branch current, or -1 if it has none.
  int32_t branch_unknown(netlist::ElementId id) const { return branch_[id]; }
  /// Name of an unknown for messages and output: "v(name)" or "i(name)".
  std::string unknown_name(int32_t k) const;
  /// The circuit the system was built for.
  const netlist::Circuit& circuit() const { return c_; }
  /// True when some element is nonlinear (behavioral sources).
  bool nonlinear() const { return !behavioral_.empty(); }

  /// Solves for x (initial guess on entry) at the context; updates x in place.
  SolveReport solve(const LoadContext& ctx, std::vector<double>& x);
  /// Takes the solution of an accepted time point as the previous state of C and L.
  void accept(const std::vector<double>& x);
  /// Sets the previous state from element initial conditions (UIC), zero where none.
  void initial_conditions();
  /// Forgets the numeric factorizations' history (the pattern and the analysis stay), so the next
  /// solve gives the bits a new system would: for reusing one system while source values change.
  void reset_numeric() {
    lu_.drop_numeric();
    factored_ = false;
    linear_ok_ = false;
    linear_changed_ = true;
    spd_factored_ = false;
  }
  /// Number of numeric factorizations done.
  int64_t factorizations() const { return lu_.factorizations() + chol_.factorizations(); }
  /// Stored nonzeros of the matrix that is factorized (lower triangle for Cholesky).
  int64_t nonzeros() const { return static_cast<int64_t>(spd_ ? spd_values_.size() : values_.size()); }
  /// The Cholesky-path matrix (lower triangle, compressed columns) as last loaded; empty on the LU path.
  struct Csc {
    int32_t n = 0;
    std::vector<int32_t> colptr, rowidx;
    std::vector<double> values;
  };
  Csc spd_matrix() const { return {nfree_, spd_colptr_, spd_rowidx_, spd_values_}; }
  /// The fill-reducing permutation given to the Cholesky analysis (geometric nested dissection), or
  /// empty when CHOLMOD ordered the matrix itself.
  const std::vector<int32_t>& spd_permutation() const { return spd_perm_; }
  /// Solves A^T y = b with the last LU factorization (after a successful solve() on the LU path),
  /// for `nrhs` right-hand sides of size() stored one after another.
  void solve_transposed(std::span<double> rhs, int32_t nrhs) const { lu_.solve_transposed(rhs, nrhs); }
  /// Solves A y = b the same way (forward), for `nrhs` right-hand sides.
  void solve_forward(std::span<double> rhs, int32_t nrhs) const { lu_.solve(rhs, nrhs); }
  /// Concurrent solves on the LU path (SparseLu::prepare_workers / solve_on), after a solve.
  void prepare_workers(int32_t count) { lu_.prepare_workers(count, last_values_); }  // the factored values
  void solve_on(int32_t worker, std::span<double> rhs, int32_t nrhs, bool transposed) const {
    lu_.solve_on(worker, rhs, nrhs, transposed);
  }
  /// The linear solver in use (lu or cholesky).
  Method method() const { return spd_ ? Method::cholesky : Method::lu; }

 private:
  struct Behavioral {
    netlist::ExprEvaluator eval;
    std::vector<int32_t> unknown;  // per variable: unknown index, -1 for ground, -2 for time
    std::vector<double> values, grad;
  };
  const netlist::Circuit& c_;
  SolverOptions opt_;
  int32_t n_ = 0;
  std::vector<int32_t> branch_;        // per element
  std::vector<int32_t> branch_element_;  // per branch unknown (k - nodes): its element
  std::vector<int32_t> behavioral_;    // element ids of B sources
  std::vector<int32_t> limited_;       // node unknowns read by B expressions (damped in Newton)
  /// The few fields of an element that per-step loops read, packed (Element itself is large: visiting
  /// tens of thousands of them per time step is bound by memory traffic).
  struct Twig {
    netlist::ElementKind kind;
    int32_t id;             // element id
    netlist::NodeId a, b;
    double value;
  };
  std::vector<Twig> stateful_;         // capacitors and inductors (their history is kept by accept)
  /// A resistor, capacitor or current source at the context: the current from a to b is
  /// g (v_a - v_b) + j. The one place these laws live: both matrices' stamps and the source
  /// currents recovered by KCL use it.
  struct Companion {
    double g = 0, j = 0;
  };
  static bool two_terminal(netlist::ElementKind k) {
    return k == netlist::ElementKind::resistor || k == netlist::ElementKind::capacitor || k == netlist::ElementKind::isource;
  }
  Companion companion(const Twig& e, const LoadContext& ctx) const;
  std::vector<Behavioral> beval_;
  std::vector<double> cap_v_;          // per element: capacitor voltage at the previous point
  std::vector<double> ind_i_;          // per element: inductor current at the previous point
  std::vector<double> cap_v2_;         // per element: capacitor voltage two points back
  std::vector<double> ind_i2_;         // per element: inductor current two points back
  // Stamping
  bool recording_ = false;
  std::vector<std::pair<int32_t, int32_t>> coords_;
  std::vector<int32_t> slot_;          // per stamp call -> value index
  size_t cursor_ = 0;
  std::vector<double> values_, rhs_;
  std::vector<int32_t> colptr_, rowidx_;  // LU-path pattern, for residuals (iterative refinement)
  SparseLu lu_;
  bool factored_ = false;
  std::vector<double> last_values_;
  std::vector<int32_t> sources_;       // independent V and I sources (right-hand side)
  std::vector<double> linear_values_;  // the linear elements' matrix at linear_a0_, linear_gmin_
  double linear_a0_ = 0, linear_gmin_ = 0;
  bool linear_ok_ = false;
  size_t behavioral_cursor_ = 0;       // stamp calls before the behavioral sources'
  bool linear_changed_ = true;         // the linear matrix was stamped since the last factorization
  std::vector<int32_t> b_slots_;       // value slots the behavioral sources stamp (sorted, unique)
  std::vector<int32_t> b_slot_col_;    // and their columns
  int32_t bad_element_ = -1;
  bool behavioral_off_ = false;      // load B sources as zero (linear pre-solve for a starting point)         // first B source whose value was not finite in the last load

  void add(int32_t row, int32_t col, double v);
  /// A branch current k between nodes a and b: its KCL entries and its row's voltage terms.
  void branch_kcl(int32_t a, int32_t b, int32_t k);
  void rhs(int32_t row, double v) {
    if (row >= 0) rhs_[row] += v;
  }
  /// Loads the system at x; `same_context`: ctx and the histories are those of the last load, so the
  /// linear elements' right-hand side is copied, not computed.
  void load(const LoadContext& ctx, const std::vector<double>& x, bool same_context = false);
  void linear_rhs(const LoadContext& ctx);
  void behavioral_load(const LoadContext& ctx, const std::vector<double>& x);
  std::vector<double> linear_rhs_;
  double source_value(const netlist::Element& e, netlist::ElementId id, const LoadContext& ctx) const;
  std::string floating_detail() const;
  SolveReport newton(const LoadContext& ctx, std::vector<double>& x);
  /// max |b - A x| of the loaded LU system, with the residual vector in r.
  double residual(const std::vector<double>& x, std::vector<double>& r) const;
  /// One step of iterative refinement of an LU solution.
  void refine(std::vector<double>& x);
  std::vector<double> refine_r_, refine_x_;  // scratch of refine()

  // Cholesky path (see the file comment).
  bool spd_ = false;
  std::vector<int32_t> free_;          // node id -> free unknown, -1 for ground and fixed nodes
  std::vector<int32_t> fixed_by_;      // node id -> grounded V source fixing it, -1 otherwise
  std::vector<double> node_v_;         // node id -> voltage of fixed nodes at the current load
  int32_t nfree_ = 0;
  std::vector<double> spd_values_, spd_rhs_;
  std::vector<int32_t> spd_slot_;
  std::vector<int32_t> spd_colptr_, spd_rowidx_;
  std::vector<int32_t> spd_perm_;  // geometric nested dissection, or empty
  std::vector<std::pair<int32_t, int32_t>> spd_coords_;
  size_t spd_cursor_ = 0;
  bool spd_factored_ = false;
  bool spd_dc_checked_ = false;      // the structural floating-node check ran (DC)
  double spd_key_ = NAN;             // C multiplier (0 in DC, a0 in transient) of the loaded matrix
  std::vector<Twig> spd_rhs_elems_;      // elements that touch the right-hand side: R to a source-fixed
                                         // node, C, I (the matrix-unchanged load visits only these)
  std::vector<Twig> spd_touching_;       // R, C, I elements with a terminal on a source-fixed node (KCL)
  std::vector<int32_t> spd_sources_;     // the grounded V sources
  std::vector<double> spd_x_, spd_leaving_;  // scratch of solve_spd
  SparseCholesky chol_;
  bool spd_eligible() const;
  void setup_spd();
  void add_lower(int32_t row, int32_t col, double v);
  void load_spd(const LoadContext& ctx);
  SolveReport solve_spd(const LoadContext& ctx, std::vector<double>& x);
};

}  // namespace spx::solver
