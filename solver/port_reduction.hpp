// Exact port reduction of a circuit whose only nonlinear elements are behavioral sources, for solving
// the same circuit for many input vectors (images).
// Replace every behavioral source j by an independent source of value u_j (V for B-voltage, A for
// B-current). The circuit is then linear, so every quantity w_i that the expressions read (node
// voltages and branch currents) and every requested output is affine in the input-source values x and
// in u:  w = w_c + P x + M u. Row i of [P M] is y_i^T applied to the unit right-hand sides of those
// sources, with y_i = A^-T e_i: one transposed solve per quantity, once. w_c is one solve with the
// inputs and ports at zero. Per input vector only a small system remains:
//   u_j = g_j(w),  w = w_c + P x + M u,
// solved by fixed-point sweeps (exact after as many sweeps as the network has layers when it is
// feed-forward) followed by Newton on the dense port system, J = I - G M with G = dg/dw. A sweep is
// Gauss-Seidel in circuit order (a port's new value updates the quantities that depend on it at
// once, and only ports whose read quantities changed are evaluated again), so a feed-forward network
// whose ports come in layer order, as generated networks do, settles in one sweep and a check.
// This is the Schur complement of the linear part onto the ports, so it agrees with the full solve
// to rounding. Images are independent: solve_many spreads them over threads with identical results.
// Building [P M] takes one transposed solve per quantity, or one forward solve per input and port
// (column j is A^-1 applied to source j's unit right-hand side), whichever is fewer. Maps with few
// nonzeros (a tile's outputs depend on its own lines only) are kept sparse, so a solve costs what
// the couplings cost.
// Islands: a grounded V source (an input, a port or a constant source) holds its node at its value,
// so what hangs on the node's sides is solved apart, each part ("island") with a copy of the source;
// the source's current is the sum of its copies'. A network's tiles, between their line drivers and
// amplifiers, are islands of a few thousand unknowns, so a solve costs a tile, not the network; the
// islands are reduced on the threads in turn, and summed in a fixed order (the same bits for any
// number of threads).
// Direct inputs: an input V source from a node to ground that no other element touches (its node is
// only read by expressions, e.g. a converter's per-image threshold) holds that node at its value and
// affects nothing else; such inputs are read by the expressions straight from the input vector and
// take no column of P.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Dense>
#include <Eigen/SparseCore>

#include "netlist/circuit.hpp"
#include "solver/nodal.hpp"

namespace spx::solver {

/// Outcome of one reduced solve.
struct PortReport {
  bool ok = true;
  int32_t iterations = 0;  ///< fixed-point sweeps plus Newton iterations
  double residual = 0;     ///< largest |u - g(w)| scaled by the tolerance at the end
  std::string detail;
};

/// A circuit reduced onto the ports of its behavioral sources.
class PortReducedNetwork {
 public:
  /// `inputs`: the independent sources whose values change per solve (in the order of the values);
  /// `outputs`: nodes whose voltages are returned; `currents`: elements with a branch current (V
  /// sources, B-voltage sources, E, H, L) whose currents are returned after the voltages, with the
  /// results' sign (positive from the first terminal through the element). Throws InputError if an
  /// input is not an independent source, a current has no branch, a behavioral expression uses time,
  /// or the linear part is singular. The maps are built on `threads` threads (the same bits for any
  /// number).
  PortReducedNetwork(const netlist::Circuit& circuit, std::vector<netlist::ElementId> inputs,
                     std::vector<netlist::NodeId> outputs, const std::vector<netlist::ElementId>& currents = {},
                     int threads = 1);

  /// Solves for one input vector; writes the output voltages, then the currents. Not thread-safe (the expression
  /// evaluators keep scratch space); solve_many gives every thread its own copy.
  PortReport solve(std::span<const double> inputs, std::span<double> outputs) const;
  /// Solves `count` input vectors (row-major count x inputs) into outputs (count x outputs) on
  /// `threads` threads; returns the reports in order.
  std::vector<PortReport> solve_many(std::span<const double> inputs, std::span<double> outputs, int count,
                                     int threads = 2) const;

  /// The outputs as the affine function of the inputs and the port values that the reduction is:
  /// out = c + inputs * x + ports * u, with u the behavioral sources' values (voltage or current) in
  /// port_elements' order. Exact for the linear part (node voltages and branch currents alike).
  struct AffineMap {
    Eigen::VectorXd c;                              ///< the outputs with every input and port at zero
    Eigen::MatrixXd inputs;                         ///< outputs x inputs
    Eigen::MatrixXd ports;                          ///< outputs x ports
    std::vector<netlist::ElementId> port_elements;  ///< the behavioral source of each port
  };
  AffineMap affine_map() const;

  int32_t ports() const { return static_cast<int32_t>(ports_.size()); }       ///< behavioral sources
  int32_t direct_inputs() const { return n_inputs_ - static_cast<int32_t>(regular_.size()); }  ///< see above
  bool sparse() const { return p_.is_sparse; }                                  ///< maps stored sparse
  int32_t quantities() const { return n_quantities_; }                          ///< rows of [P M]
  double setup_seconds() const { return setup_seconds_; }                       ///< reduction time
  int32_t islands() const { return islands_; }  ///< separately solved parts of the linear circuit

 private:
  struct Port {
    netlist::ElementId element;
    netlist::ExprEvaluator eval;
    std::vector<int32_t> var_row;  // per expression variable: row in w, or -1 - (direct input position)
  };
  /// `count` input vectors through the maps as matrix products, the port system per vector.
  void solve_batch(std::vector<Port>& state, std::span<const double> inputs, std::span<double> outputs, int count,
                   std::span<PortReport> reports) const;
  /// The port values u for one input vector whose read quantities are w0 with the ports at zero.
  PortReport solve_ports(std::vector<Port>& state, std::span<const double> inputs, Eigen::Ref<const Eigen::VectorXd> w0,
                         Eigen::Ref<Eigen::VectorXd> u) const;
  /// A map (P or M), dense or sparse (row-major).
  struct Map {
    Eigen::MatrixXd dense;
    Eigen::SparseMatrix<double, Eigen::RowMajor> sparse;
    bool is_sparse = false;
    /// Keeps `d` sparse when at most a quarter of it is nonzero.
    void set(Eigen::MatrixXd d);
    /// y += rows [0, rows) of the map times x.
    void add_product(int32_t rows, const Eigen::VectorXd& x, Eigen::VectorXd& y) const;
    /// Y += rows [0, rows) of the map times X, column by column, each entry summed in a fixed order
    /// (the result of a column does not depend on the others).
    void add_products(int32_t rows, Eigen::Ref<const Eigen::MatrixXd> x, Eigen::Ref<Eigen::MatrixXd> y) const;
    /// target -= g * row r.
    void subtract_row(int32_t r, double g, Eigen::Ref<Eigen::RowVectorXd, 0, Eigen::InnerStride<>> target) const;
    /// Column access for Gauss-Seidel updates of the first `rows` rows (M only).
    Eigen::SparseMatrix<double, Eigen::ColMajor> cols;
    void index_columns(int32_t rows);
  };
  mutable std::vector<Port> ports_;
  std::vector<std::vector<int32_t>> readers_;  // per row read by the expressions: the ports that read it
  int32_t n_quantities_ = 0;       // rows of w
  std::vector<int32_t> out_row_;   // per output voltage, then current: row in w (-1: ground, <= -2: direct
                                   // input -2 - out_row)
  std::vector<int32_t> regular_;   // positions of the inputs that are columns of P
  Eigen::VectorXd wc_;
  Map p_, m_;
  int32_t n_inputs_ = 0;
  int32_t n_read_ = 0;             // rows read by the expressions (the first ones)
  int32_t max_sweeps_ = 0;
  int32_t islands_ = 0;
  double setup_seconds_ = 0;
};

}  // namespace spx::solver
