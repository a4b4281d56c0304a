// Port reduction (port_reduction.hpp).
#include "solver/port_reduction.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <atomic>
#include <exception>
#include <tuple>
#include <unordered_map>
#include <map>
#include <mutex>
#include <thread>

#include "devices/error.hpp"
#include "devices/interrupt.hpp"
#include "solver/node_sets.hpp"

namespace spx::solver {

using netlist::Circuit;
using netlist::Element;
using netlist::ElementId;
using netlist::ElementKind;

namespace {

bool is_source(ElementKind k) { return k == ElementKind::vsource || k == ElementKind::isource; }

/// Adds y^T (unit right-hand side of source e) : V source -> y[branch]; I source a->b -> -y[a] + y[b].
double unit_response(const NodalSystem& sys, const Element& e, ElementId id, const double* y) {
  if (e.kind == ElementKind::vsource) return y[sys.branch_unknown(id)];
  double r = 0;
  if (e.a != netlist::ground) r -= y[sys.node_unknown(e.a)];
  if (e.b != netlist::ground) r += y[sys.node_unknown(e.b)];
  return r;
}

/// Writes source e's unit right-hand side into b (zero on entry), the vector unit_response reads.
void unit_rhs(const NodalSystem& sys, const Element& e, ElementId id, double* b) {
  if (e.kind == ElementKind::vsource) {
    b[sys.branch_unknown(id)] = 1;
    return;
  }
  if (e.a != netlist::ground) b[sys.node_unknown(e.a)] -= 1;
  if (e.b != netlist::ground) b[sys.node_unknown(e.b)] += 1;
}

/// Runs f(0 .. count-1) on count threads (f(0) on this one); rethrows the first exception.
template <class F>
void run_threads(int count, F&& f) {
  std::vector<std::thread> pool;
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto guarded = [&](int k) {
    try {
      f(k);
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
    }
  };
  for (int k = 1; k < count; ++k) pool.emplace_back(guarded, k);
  guarded(0);
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace

void PortReducedNetwork::Map::set(Eigen::MatrixXd d) {
  const Eigen::Index nnz = (d.array() != 0).count();
  is_sparse = d.size() > 0 && nnz * 4 <= d.size();
  if (is_sparse) {
    sparse = d.sparseView(0.0, 0.0);
    sparse.makeCompressed();
    dense.resize(0, 0);
  } else {
    dense = std::move(d);
  }
}

void PortReducedNetwork::Map::add_product(int32_t rows, const Eigen::VectorXd& x, Eigen::VectorXd& y) const {
  if (is_sparse) y.head(rows) += sparse.topRows(rows) * x;
  else y.head(rows) += dense.topRows(rows) * x;
}

void PortReducedNetwork::Map::add_products(int32_t rows, Eigen::Ref<const Eigen::MatrixXd> x, Eigen::Ref<Eigen::MatrixXd> y) const {
  // Y(r, b) += sum over k, in increasing k, of A(r, k) X(k, b): the same bits for any number of
  // columns b (images), so batching never changes a result.
  const Eigen::Index nb = x.cols();
  if (is_sparse) {
    // X transposed (an input's values for every image side by side), and a row's sums held apart.
    thread_local std::vector<double> xt, acc;
    const Eigen::Index nk = x.rows();
    xt.resize(static_cast<size_t>(nk * nb));
    acc.resize(static_cast<size_t>(nb));
    for (Eigen::Index b = 0; b < nb; ++b)
      for (Eigen::Index k = 0; k < nk; ++k) xt[static_cast<size_t>(k * nb + b)] = x(k, b);
    for (int32_t r = 0; r < rows; ++r) {
      Eigen::SparseMatrix<double, Eigen::RowMajor>::InnerIterator it(sparse, r);
      if (!it) continue;
      for (Eigen::Index b = 0; b < nb; ++b) acc[static_cast<size_t>(b)] = y(r, b);
      for (; it; ++it) {
        const double v = it.value();
        const double* xk = xt.data() + it.col() * nb;
        for (Eigen::Index b = 0; b < nb; ++b) acc[static_cast<size_t>(b)] += v * xk[b];
      }
      for (Eigen::Index b = 0; b < nb; ++b) y(r, b) = acc[static_cast<size_t>(b)];
    }
    return;
  }
  const Eigen::Index nk = dense.cols();
  constexpr Eigen::Index block = 32;  // columns of A kept in cache across the images
  for (Eigen::Index k0 = 0; k0 < nk; k0 += block) {
    const Eigen::Index k1 = std::min(nk, k0 + block);
    for (Eigen::Index b = 0; b < nb; ++b) {
      double* yb = y.col(b).data();
      for (Eigen::Index k = k0; k < k1; ++k) {
        const double xk = x(k, b);
        if (xk == 0) continue;
        const double* ak = dense.col(k).data();
        for (int32_t r = 0; r < rows; ++r) yb[r] += ak[r] * xk;
      }
    }
  }
}

void PortReducedNetwork::Map::index_columns(int32_t rows) {
  if (is_sparse) cols = sparse.topRows(rows);
  else cols = dense.topRows(rows).sparseView(0.0, 0.0);
  cols.makeCompressed();
}

void PortReducedNetwork::Map::subtract_row(int32_t r, double g, Eigen::Ref<Eigen::RowVectorXd, 0, Eigen::InnerStride<>> target) const {
  if (!is_sparse) {
    target -= g * dense.row(r);
    return;
  }
  for (Eigen::SparseMatrix<double, Eigen::RowMajor>::InnerIterator it(sparse, r); it; ++it) target(it.col()) -= g * it.value();
}

namespace {

/// Calls f on every node an element's equations involve (a current-controlled source's control too).
template <class F>
void for_each_node(const Circuit& c, const Element& e, F&& f) {
  f(e.a);
  f(e.b);
  if (e.kind == ElementKind::vcvs || e.kind == ElementKind::vccs || e.kind == ElementKind::mosfet) {
    f(e.c);
    f(e.d);
  }
  if ((e.kind == ElementKind::cccs || e.kind == ElementKind::ccvs) && e.control >= 0) {
    f(c.elements[e.control].a);
    f(c.elements[e.control].b);
  }
}

/// One electrically separate part of the linear circuit and what it contributes to [P M] and w_c.
struct IslandResult {
  std::vector<std::pair<int32_t, double>> constant;             // (row, value)
  std::vector<std::tuple<int32_t, int32_t, double>> entries;    // (row, column of [P M], value)
};

}  // namespace

PortReducedNetwork::PortReducedNetwork(const Circuit& circuit, std::vector<ElementId> inputs,
                                       std::vector<netlist::NodeId> outputs, const std::vector<ElementId>& currents,
                                       int threads) {
  auto t0 = std::chrono::steady_clock::now();
  n_inputs_ = static_cast<int32_t>(inputs.size());
  for (ElementId id : inputs)
    if (!is_source(circuit.elements.at(id).kind))
      fail("port reduction: input '{}' is not an independent source", circuit.elements[id].name);
  const auto& elements = circuit.elements;
  const int32_t ne = static_cast<int32_t>(elements.size()), nn = circuit.node_count();

  // The linear circuit: behavioral sources become independent sources (the ports); inputs and ports
  // are zero.
  std::vector<ElementId> port_ids;
  std::vector<int32_t> port_of(ne, -1), input_of(ne, -1);
  for (int32_t i = 0; i < ne; ++i)
    if (elements[i].kind == ElementKind::behavioral_v || elements[i].kind == ElementKind::behavioral_i) {
      port_of[i] = static_cast<int32_t>(port_ids.size());
      port_ids.push_back(i);
    }
  for (int32_t j = 0; j < n_inputs_; ++j) {
    if (input_of[inputs[j]] >= 0) fail("port reduction: input '{}' is given twice", elements[inputs[j]].name);
    input_of[inputs[j]] = j;
  }
  auto linear = [&](ElementId i) {
    Element e = elements[i];
    if (port_of[i] >= 0) {
      e.kind = e.kind == ElementKind::behavioral_v ? ElementKind::vsource : ElementKind::isource;
      e.expr = {};
    }
    if (port_of[i] >= 0 || input_of[i] >= 0) {
      e.wave = devices::Waveform{};
      e.wave.dc_given = true;
    }
    return e;
  };
  auto voltage_source = [&](ElementId i) {
    return elements[i].kind == ElementKind::vsource || elements[i].kind == ElementKind::behavioral_v;
  };

  // Direct inputs: grounded V sources whose node nothing else touches.
  std::vector<int32_t> touches(nn, 0);
  for (const Element& e : elements)
    for (netlist::NodeId n : {e.a, e.b, e.c, e.d})
      if (n != netlist::ground) ++touches[n];
  std::map<netlist::NodeId, int32_t> direct_of;  // node -> input position
  std::vector<int32_t> regular_pos(n_inputs_, -1);
  for (int32_t j = 0; j < n_inputs_; ++j) {
    const Element& e = elements[inputs[j]];
    if (e.kind == ElementKind::vsource && e.b == netlist::ground && e.a != netlist::ground && touches[e.a] == 1) {
      direct_of[e.a] = j;
    } else {
      regular_pos[j] = static_cast<int32_t>(regular_.size());
      regular_.push_back(j);
    }
  }
  const int32_t nr = static_cast<int32_t>(regular_.size()), np = static_cast<int32_t>(port_ids.size());
  // Column of [P M] of an element that is an input or a port, else -1.
  auto column_of = [&](ElementId i) {
    if (port_of[i] >= 0) return nr + port_of[i];
    if (input_of[i] >= 0 && regular_pos[input_of[i]] >= 0) return regular_pos[input_of[i]];
    return -1;
  };

  // Fixed nodes: a node held by exactly one grounded V source (input, port or constant) that no
  // current-controlled source reads. Such a source separates the circuit: what hangs on either
  // side of its node is solved apart, with a copy of the source in each part ("island"). A tile's
  // lines, between the line drivers and the amplifiers, are one island.
  std::vector<char> controls(ne, 0);
  for (const Element& e : elements)
    if ((e.kind == ElementKind::cccs || e.kind == ElementKind::ccvs) && e.control >= 0) controls[e.control] = 1;
  std::vector<int32_t> fix_count(nn, 0);
  std::vector<ElementId> fixer(nn, -1);
  auto held_node = [&](ElementId i) -> netlist::NodeId {
    const Element& e = elements[i];
    if (!voltage_source(i) || controls[i] || (e.a == netlist::ground) == (e.b == netlist::ground)) return -1;
    return e.a == netlist::ground ? e.b : e.a;
  };
  for (int32_t i = 0; i < ne; ++i)
    if (netlist::NodeId n = held_node(i); n >= 0) {
      ++fix_count[n];
      fixer[n] = i;
    }
  for (int32_t n = 0; n < nn; ++n)
    if (fix_count[n] != 1) fixer[n] = -1;
  auto fixed = [&](netlist::NodeId n) { return n != netlist::ground && fixer[n] >= 0; };
  auto is_fixer = [&](ElementId i) {
    const netlist::NodeId n = held_node(i);
    return n >= 0 && fixer[n] == i;
  };

  // Islands: free nodes joined by the elements; elements on fixed nodes and ground only form one more.
  NodeSets sets(nn);
  for (int32_t i = 0; i < ne; ++i) {
    if (is_fixer(i)) continue;
    netlist::NodeId first = -1;
    for_each_node(circuit, elements[i], [&](netlist::NodeId n) {
      if (n == netlist::ground || fixed(n)) return;
      if (first < 0) first = n;
      else sets.unite(first, n);
    });
  }
  std::vector<int32_t> island_of_root(nn, -1), element_island(ne, -1);
  int32_t islands = 0, boundary = -1;
  for (int32_t i = 0; i < ne; ++i) {
    if (is_fixer(i)) continue;
    netlist::NodeId first = -1;
    for_each_node(circuit, elements[i], [&](netlist::NodeId n) {
      if (first < 0 && n != netlist::ground && !fixed(n)) first = n;
    });
    if (first < 0) {
      if (boundary < 0) boundary = islands++;
      element_island[i] = boundary;
      continue;
    }
    int32_t& id = island_of_root[sets.find(first)];
    if (id < 0) id = islands++;
    element_island[i] = id;
  }
  // A current-controlled source must sit with its control (else solve the circuit as one island).
  bool split = true;
  for (int32_t i = 0; i < ne; ++i)
    if ((elements[i].kind == ElementKind::cccs || elements[i].kind == ElementKind::ccvs) && elements[i].control >= 0 &&
        element_island[i] != element_island[elements[i].control])
      split = false;
  if (!split) {
    std::fill(fixer.begin(), fixer.end(), -1);
    islands = ne > 0 ? 1 : 0;
    std::fill(element_island.begin(), element_island.end(), 0);
  }
  std::vector<std::vector<ElementId>> members(islands);  // ascending element ids, then the fixer copies
  for (int32_t i = 0; i < ne; ++i)
    if (element_island[i] >= 0) members[element_island[i]].push_back(i);
  std::vector<std::vector<ElementId>> copies(islands);   // fixers each island holds a copy of
  for (int32_t k = 0; k < islands; ++k) {
    auto& f = copies[k];
    for (ElementId i : members[k])
      for_each_node(circuit, elements[i], [&](netlist::NodeId n) {
        if (fixed(n)) f.push_back(fixer[n]);
      });
    std::sort(f.begin(), f.end());
    f.erase(std::unique(f.begin(), f.end()), f.end());
  }
  auto node_island = [&](netlist::NodeId n) { return split ? island_of_root[sets.find(n)] : 0; };

  // Quantities: every variable of every expression, then the outputs. A row is a node voltage or a
  // branch current.
  struct Quantity {
    bool current;
    int32_t ref;  // node or element
  };
  std::vector<Quantity> rows;
  std::vector<int32_t> row_of_key(static_cast<size_t>(nn) + ne, -1);
  auto row = [&](bool current, int32_t ref) {
    int32_t& r = row_of_key[current ? static_cast<size_t>(nn) + ref : static_cast<size_t>(ref)];
    if (r < 0) {
      if (!current && touches[ref] == 0)
        fail("port reduction: node '{}' is connected to nothing", circuit.node_name(ref));
      if (current && !voltage_source(ref) && elements[ref].kind != ElementKind::inductor &&
          elements[ref].kind != ElementKind::vcvs && elements[ref].kind != ElementKind::ccvs)
        fail("port reduction: '{}' has no branch current", elements[ref].name);
      r = static_cast<int32_t>(rows.size());
      rows.push_back({current, ref});
    }
    return r;
  };
  for (ElementId id : port_ids) {
    const Element& e = elements[id];
    Port p{id, netlist::ExprEvaluator(e.expr), {}};
    for (const auto& v : p.eval.variables()) {
      if (v.kind == netlist::ExprOp::time) fail("port reduction: '{}' depends on time", e.name);
      if (v.kind == netlist::ExprOp::voltage)
        if (auto it = direct_of.find(v.ref); it != direct_of.end()) {
          p.var_row.push_back(-1 - it->second);
          continue;
        }
      if (v.kind == netlist::ExprOp::voltage && v.ref == netlist::ground) fail("port reduction: '{}' reads the ground node", e.name);
      p.var_row.push_back(row(v.kind != netlist::ExprOp::voltage, v.ref));
    }
    ports_.push_back(std::move(p));
  }
  n_read_ = static_cast<int32_t>(rows.size());
  readers_.assign(n_read_, {});
  for (size_t j = 0; j < ports_.size(); ++j)
    for (int32_t r : ports_[j].var_row)
      if (r >= 0 && (readers_[r].empty() || readers_[r].back() != static_cast<int32_t>(j))) readers_[r].push_back(static_cast<int32_t>(j));
  for (netlist::NodeId n : outputs) {
    if (auto it = direct_of.find(n); it != direct_of.end()) out_row_.push_back(-2 - it->second);
    else out_row_.push_back(n == netlist::ground ? -1 : row(false, n));
  }
  for (ElementId id : currents) out_row_.push_back(row(true, id));
  const int32_t nq = static_cast<int32_t>(rows.size());
  n_quantities_ = nq;

  // Rows known without a solve (the voltage of a fixed node is its source's value), and the rows
  // each island contributes to: its free nodes' voltages, its elements' currents, and its share of
  // a fixer's current.
  wc_ = Eigen::VectorXd::Zero(nq);
  Eigen::MatrixXd p = Eigen::MatrixXd::Zero(nq, nr), m = Eigen::MatrixXd::Zero(nq, np);
  std::vector<std::vector<int32_t>> island_rows(islands);
  std::map<ElementId, std::vector<int32_t>> holders;
  for (int32_t k = 0; k < islands; ++k)
    for (ElementId f : copies[k]) holders[f].push_back(k);
  for (int32_t i = 0; i < nq; ++i) {
    const Quantity& q = rows[i];
    if (!q.current) {
      if (fixed(q.ref)) {
        const ElementId f = fixer[q.ref];
        const double sign = elements[f].a == q.ref ? 1.0 : -1.0;
        const int32_t col = column_of(f);
        if (col < 0) wc_(i) = sign * elements[f].wave.op_value();
        else if (col < nr) p(i, col) = sign;
        else m(i, col - nr) = sign;
      } else {
        island_rows[node_island(q.ref)].push_back(i);
      }
    } else if (split && is_fixer(q.ref)) {
      if (auto it = holders.find(q.ref); it != holders.end())
        for (int32_t k : it->second) island_rows[k].push_back(i);
    } else {
      island_rows[element_island[q.ref]].push_back(i);
    }
  }

  // Each island: its circuit, one solve for w_c, then [P M] by transposed solves per row or forward
  // solves per column, whichever are fewer. Islands go to the threads in turn (largest first); one
  // island alone gets every thread (each on its own copy of the factorization: the same bits).
  // Every island is solved once, read or not, so a singular part is reported as before. An island
  // with at least 1/threads of the elements gets every thread for its solves, one after another; the
  // others share the threads, one island each.
  std::vector<IslandResult> results(islands);
  std::vector<int32_t> order(islands);
  for (int32_t k = 0; k < islands; ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return members[a].size() > members[b].size(); });
  threads = std::max(1, threads);
  size_t total_members = 0;
  for (const auto& mk : members) total_members += mk.size() + 1;
  size_t big = 0;
  while (big < order.size() && (members[order[big]].size() + 1) * static_cast<size_t>(threads) >= total_members) ++big;
  int inner = threads;
  auto solve_island = [&](int32_t k) {
    Circuit ck;
    std::unordered_map<netlist::NodeId, netlist::NodeId> local_node;
    auto local = [&](netlist::NodeId n) -> netlist::NodeId {
      if (n == netlist::ground) return netlist::ground;
      auto [it, inserted] = local_node.emplace(n, 0);
      if (inserted) it->second = ck.node(circuit.node_name(n));
      return it->second;
    };
    std::unordered_map<ElementId, ElementId> local_element;
    auto add = [&](ElementId i) {
      Element e = linear(i);
      e.a = local(e.a);
      e.b = local(e.b);
      e.c = local(e.c);
      e.d = local(e.d);
      local_element[i] = ck.add(std::move(e));
    };
    for (ElementId i : members[k]) add(i);
    for (ElementId f : copies[k]) add(f);
    // Then every current-controlled source reads its control's local copy (same island, checked).
    for (auto& e : ck.elements)
      if (e.control >= 0) e.control = local_element.at(e.control);
    SolverOptions lu;
    lu.method = Method::lu;
    NodalSystem sys(ck, lu);
    std::vector<double> xc;
    SolveReport rep = sys.solve(LoadContext{}, xc);

    if (!rep.ok()) fail("port reduction: the linear part cannot be solved: {}", rep.detail);
    // The island's rows (local unknowns) and columns (local sources).
    const auto& rk = island_rows[k];
    std::vector<int32_t> unknown(rk.size());
    for (size_t r = 0; r < rk.size(); ++r) {
      const Quantity& q = rows[rk[r]];
      unknown[r] = q.current ? sys.branch_unknown(local_element.at(q.ref)) : sys.node_unknown(local_node.at(q.ref));
    }
    std::vector<std::pair<int32_t, ElementId>> cols;  // (column of [P M], local element)
    for (const auto& [i, li] : local_element)
      if (const int32_t c = column_of(i); c >= 0) cols.emplace_back(c, li);
    std::sort(cols.begin(), cols.end());
    IslandResult& out = results[k];
    for (size_t r = 0; r < rk.size(); ++r) out.constant.emplace_back(rk[r], xc[unknown[r]]);
    if (cols.empty()) return;
    const int32_t size = sys.size(), batch = 32;
    const bool by_rows = rk.size() <= cols.size();
    const int32_t items = static_cast<int32_t>(by_rows ? rk.size() : cols.size());
    const int32_t blocks = (items + batch - 1) / batch;
    const int32_t workers = std::max(1, std::min(inner, blocks));
    sys.prepare_workers(workers);
    std::vector<std::vector<std::tuple<int32_t, int32_t, double>>> found(blocks);
    auto work = [&](int32_t worker) {
      std::vector<double> y;
      for (int32_t b = worker; b < blocks; b += workers) {
        if (worker == 0) check_interrupt();
        const int32_t i0 = b * batch, nb = std::min(batch, items - i0);
        y.assign(static_cast<size_t>(nb) * size, 0.0);
        auto& f = found[b];
        if (by_rows) {
          for (int32_t t = 0; t < nb; ++t) y[static_cast<size_t>(t) * size + unknown[i0 + t]] = 1;
          sys.solve_on(worker, y, nb, true);
          for (int32_t t = 0; t < nb; ++t) {
            const double* yt = y.data() + static_cast<size_t>(t) * size;
            for (const auto& [c, li] : cols)
              if (const double v = unit_response(sys, ck.elements[li], li, yt); v != 0) f.emplace_back(rk[i0 + t], c, v);
          }
        } else {
          for (int32_t t = 0; t < nb; ++t) {
            const ElementId li = cols[i0 + t].second;
            unit_rhs(sys, ck.elements[li], li, y.data() + static_cast<size_t>(t) * size);
          }
          sys.solve_on(worker, y, nb, false);
          for (int32_t t = 0; t < nb; ++t) {
            const double* yt = y.data() + static_cast<size_t>(t) * size;
            for (size_t r = 0; r < rk.size(); ++r)
              if (const double v = yt[unknown[r]]; v != 0) f.emplace_back(rk[r], cols[i0 + t].first, v);
          }
        }
      }
    };
    run_threads(workers, work);
    for (auto& f : found) out.entries.insert(out.entries.end(), f.begin(), f.end());
  };
  for (size_t o = 0; o < big; ++o) solve_island(order[o]);
  inner = 1;
  std::atomic<size_t> next{big};
  run_threads(std::min<int>(threads, static_cast<int>(order.size() - big)), [&](int) {
    for (size_t o; (o = next.fetch_add(1)) < order.size();) {
      try {
        solve_island(order[o]);
      } catch (...) {
        next = order.size();  // the others stop too
        throw;
      }
    }
  });
  // Sums in island order: the same bits for any number of threads.
  for (int32_t k = 0; k < islands; ++k) {
    for (const auto& [r, v] : results[k].constant) wc_(r) += v;
    for (const auto& [r, c, v] : results[k].entries) (c < nr ? p(r, c) : m(r, c - nr)) += v;
  }
  islands_ = static_cast<int32_t>(order.size());

  p_.set(std::move(p));
  m_.set(std::move(m));
  m_.index_columns(n_read_);
  max_sweeps_ = np + 1;
  setup_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

PortReducedNetwork::AffineMap PortReducedNetwork::affine_map() const {
  const int32_t np = ports(), nr = static_cast<int32_t>(regular_.size()), nq = quantities();
  const Eigen::Index no = static_cast<Eigen::Index>(out_row_.size());
  // [P M] by products with identities: the maps' own arithmetic, one column per input or port.
  Eigen::MatrixXd p = Eigen::MatrixXd::Zero(nq, nr), m = Eigen::MatrixXd::Zero(nq, np);
  p_.add_products(nq, Eigen::MatrixXd::Identity(nr, nr), p);
  m_.add_products(nq, Eigen::MatrixXd::Identity(np, np), m);
  AffineMap a;
  a.c = Eigen::VectorXd::Zero(no);
  a.inputs = Eigen::MatrixXd::Zero(no, n_inputs_);
  a.ports = Eigen::MatrixXd::Zero(no, np);
  for (Eigen::Index k = 0; k < no; ++k) {
    const int32_t r = out_row_[static_cast<size_t>(k)];
    if (r == -1) continue;  // ground
    if (r <= -2) {          // a direct input, read as it is
      a.inputs(k, -2 - r) = 1;
      continue;
    }
    a.c(k) = wc_(r);
    for (int32_t j = 0; j < nr; ++j) a.inputs(k, regular_[j]) = p(r, j);
    a.ports.row(k) = m.row(r);
  }
  for (const auto& port : ports_) a.port_elements.push_back(port.element);
  return a;
}

PortReport PortReducedNetwork::solve(std::span<const double> inputs, std::span<double> outputs) const {
  PortReport rep;
  solve_batch(ports_, inputs, outputs, 1, std::span<PortReport>(&rep, 1));
  return rep;
}

void PortReducedNetwork::solve_batch(std::vector<Port>& state, std::span<const double> inputs, std::span<double> outputs,
                                     int count, std::span<PortReport> reports) const {
  const int32_t np = ports(), nr = static_cast<int32_t>(regular_.size()), nq = quantities();
  const size_t ni = static_cast<size_t>(n_inputs_), no = out_row_.size();
  // Scratch as vectors viewed as matrices (column b: image b).
  std::vector<double> xs(static_cast<size_t>(nr) * count), w0s(static_cast<size_t>(n_read_) * count),
      us(static_cast<size_t>(np) * count), alls(static_cast<size_t>(nq) * count);
  Eigen::Map<Eigen::MatrixXd> x(xs.data(), nr, count), w0(w0s.data(), n_read_, count), u(us.data(), np, count),
      all(alls.data(), nq, count);
  for (int b = 0; b < count; ++b)
    for (int32_t j = 0; j < nr; ++j) x(j, b) = inputs[b * ni + static_cast<size_t>(regular_[j])];
  // The sweeps and Newton need only the rows the expressions read (the first n_read_); the outputs
  // follow once u is known.
  w0.colwise() = wc_.head(n_read_);
  p_.add_products(n_read_, x, w0);
  for (int b = 0; b < count; ++b) reports[b] = solve_ports(state, inputs.subspan(b * ni, ni), w0.col(b), u.col(b));
  all.colwise() = wc_;
  p_.add_products(nq, x, all);
  m_.add_products(nq, u, all);
  for (int b = 0; b < count; ++b)
    for (size_t k = 0; k < no; ++k) {
      const int32_t r = out_row_[k];
      outputs[b * no + k] = r >= 0 ? all(r, b) : r == -1 ? 0.0 : inputs[b * ni + static_cast<size_t>(-2 - r)];
    }
}

PortReport PortReducedNetwork::solve_ports(std::vector<Port>& state, std::span<const double> inputs,
                                           Eigen::Ref<const Eigen::VectorXd> w0, Eigen::Ref<Eigen::VectorXd> u_out) const {
  PortReport rep;
  const int32_t np = ports();
  Eigen::VectorXd u = Eigen::VectorXd::Zero(np), w = w0, g(np);
  std::vector<double> vals, grad;
  std::vector<char> dirty(np, 1);  // ports whose read quantities changed since their last evaluation
  // A port's variables: quantities from w, direct inputs from the input vector.
  auto read = [&](const Port& p) {
    vals.resize(p.var_row.size());
    for (size_t k = 0; k < p.var_row.size(); ++k) {
      const int32_t r = p.var_row[k];
      vals[k] = r >= 0 ? w(r) : inputs[-1 - r];
    }
  };
  auto evaluate = [&](bool with_grad, Eigen::MatrixXd* jac) {
    for (int32_t j = 0; j < np; ++j) {
      if (!with_grad && !dirty[j]) continue;
      dirty[j] = 0;
      Port& p = state[j];
      read(p);
      grad.resize(p.var_row.size());
      g(j) = with_grad ? p.eval.evaluate(vals, grad) : p.eval.evaluate(vals);
      if (jac)
        for (size_t k = 0; k < p.var_row.size(); ++k)
          if (p.var_row[k] >= 0) m_.subtract_row(p.var_row[k], grad[k], jac->row(j));
    }
  };
  auto converged = [&](double& worst) {
    worst = 0;
    for (int32_t j = 0; j < np; ++j) worst = std::max(worst, std::fabs(u(j) - g(j)) / (1e-12 + 1e-10 * std::fabs(g(j))));
    return worst <= 1;
  };
  double worst = 0;
  // Gauss-Seidel sweeps in port order: a changed port value updates the quantities that read it at
  // once (w += M(:, j) du) and marks their readers for evaluation. A sweep with no change beyond the
  // tolerance has u = g(w).
  bool settled = false;
  for (int32_t s = 0; s < max_sweeps_ && !settled; ++s) {
    ++rep.iterations;
    settled = true;
    for (int32_t j = 0; j < np; ++j) {
      if (!dirty[j]) continue;
      dirty[j] = 0;
      Port& p = state[j];
      read(p);
      const double gj = p.eval.evaluate(vals);
      g(j) = gj;
      const double du = gj - u(j);
      if (!(std::fabs(du) <= 1e-12 + 1e-10 * std::fabs(gj))) settled = false;
      if (du == 0) continue;
      u(j) = gj;
      for (Eigen::SparseMatrix<double, Eigen::ColMajor>::InnerIterator it(m_.cols, j); it; ++it) {
        w(it.row()) += it.value() * du;
        for (int32_t q : readers_[it.row()]) dirty[q] = 1;
      }
    }
    if (!std::isfinite(u.sum())) break;
  }
  if (settled) {
    converged(worst);
  } else {
    // Not settled: from here on w = w0 + M u afresh, and Newton.
    w = w0;
    m_.add_product(n_read_, u, w);
    std::fill(dirty.begin(), dirty.end(), 1);
    evaluate(false, nullptr);
  }
  if (!converged(worst)) {
    // Newton on F(u) = u - g(w0 + M u): J = I - dg/dw M.
    for (int32_t it = 0; it < 50; ++it) {
      Eigen::MatrixXd jac = Eigen::MatrixXd::Identity(np, np);
      evaluate(true, &jac);
      ++rep.iterations;
      if (converged(worst)) break;
      Eigen::VectorXd du = jac.partialPivLu().solve(g - u);
      u += du;
      w = w0;
      m_.add_product(n_read_, u, w);
      std::fill(dirty.begin(), dirty.end(), 1);
      evaluate(false, nullptr);
      if (converged(worst)) break;
    }
  }
  rep.residual = worst;
  if (!(worst <= 1) || !u.allFinite()) {
    rep.ok = false;
    rep.detail = fmt::format("port system did not converge (scaled residual {:.3g})", worst);
  }
  u_out = u;
  return rep;
}

std::vector<PortReport> PortReducedNetwork::solve_many(std::span<const double> inputs, std::span<double> outputs,
                                                      int count, int threads) const {
  std::vector<PortReport> reps(count);
  const size_t ni = n_inputs_, no = out_row_.size();
  // Chunks of images dealt to the threads in turn; each thread works on its own copy of the ports
  // (the expression evaluators keep scratch space). A chunk's maps are applied as matrix products.
  // Up to 16 per chunk, fewer when there are few images per thread (chunking changes no bit).
  const int chunk = std::max(1, std::min(16, (count + std::max(threads, 1) - 1) / std::max(threads, 1)));
  const int chunks = (count + chunk - 1) / chunk;
  const int step = std::max(1, std::min(threads, chunks));
  run_threads(step, [&](int first) {
    std::vector<Port> local = ports_;
    for (int c = first; c < chunks; c += step) {
      const int k0 = c * chunk, n = std::min(chunk, count - k0);
      solve_batch(local, inputs.subspan(k0 * ni, n * ni), outputs.subspan(k0 * no, n * no), n,
                  std::span<PortReport>(reps.data() + k0, static_cast<size_t>(n)));
    }
  });
  return reps;
}

}  // namespace spx::solver
