// CHOLMOD wrapper (cholesky.hpp).
#include "solver/cholesky.hpp"

#include <cholmod.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace spx::solver {

struct SparseCholesky::Impl {
  struct Slot {
    cholmod_factor* l = nullptr;
    std::vector<double> values;  // the values it factorizes
    uint64_t used = 0;           // last use, for replacement
  };
  cholmod_common common{};
  cholmod_sparse* a = nullptr;
  cholmod_factor* l = nullptr;   // the symbolic analysis (and a numeric factorization when in use)
  std::vector<Slot> slots;
  int current = -1;
  uint64_t clock = 0;
  cholmod_dense* b = nullptr;
  cholmod_dense* x = nullptr;
  cholmod_dense* y = nullptr;
  cholmod_dense* e = nullptr;
  int32_t n = 0;

  Impl() {
    cholmod_start(&common);
    common.print = 0;
    common.supernodal = CHOLMOD_SIMPLICIAL;
  }
  ~Impl() {
    release();
    cholmod_finish(&common);
  }
  void release() {
    for (cholmod_dense** d : {&b, &x, &y, &e})
      if (*d) cholmod_free_dense(d, &common);
    for (auto& s : slots)
      if (s.l) cholmod_free_factor(&s.l, &common);
    slots.clear();
    current = -1;
    if (l) cholmod_free_factor(&l, &common);
    if (a) cholmod_free_sparse(&a, &common);
  }
};

SparseCholesky::SparseCholesky() : impl_(std::make_unique<Impl>()) {}
SparseCholesky::~SparseCholesky() = default;

void SparseCholesky::analyze(int32_t n, const std::vector<int32_t>& colptr, const std::vector<int32_t>& rowidx,
                             Ordering ordering, bool supernodal, const std::vector<int32_t>& perm) {
  Impl& m = *impl_;
  m.release();
  m.n = n;
  m.common.supernodal = supernodal ? CHOLMOD_SUPERNODAL : CHOLMOD_SIMPLICIAL;
  m.common.nmethods = 1;
  m.common.method[0].ordering = ordering == Ordering::metis ? CHOLMOD_METIS : CHOLMOD_AMD;
  m.common.postorder = 1;
  if (n == 0) return;
  m.a = cholmod_allocate_sparse(n, n, rowidx.size(), 1, 1, -1, CHOLMOD_REAL, &m.common);
  if (!m.a) throw std::runtime_error("cholmod_allocate_sparse failed");
  std::memcpy(m.a->p, colptr.data(), colptr.size() * sizeof(int32_t));
  std::memcpy(m.a->i, rowidx.data(), rowidx.size() * sizeof(int32_t));
  std::fill_n(static_cast<double*>(m.a->x), rowidx.size(), 0.0);
  for (int32_t j = 0; j < n; ++j) static_cast<double*>(m.a->x)[colptr[j]] = 1;  // any SPD values for analysis
  if (!perm.empty()) {
    if (static_cast<int32_t>(perm.size()) != n) throw std::invalid_argument("SparseCholesky::analyze: permutation size");
    m.common.method[0].ordering = CHOLMOD_GIVEN;
    m.l = cholmod_analyze_p(m.a, const_cast<int32_t*>(perm.data()), nullptr, 0, &m.common);
  } else {
    m.l = cholmod_analyze(m.a, &m.common);
  }
  if (!m.l) throw std::runtime_error("cholmod_analyze failed");
  m.b = cholmod_allocate_dense(n, 1, n, CHOLMOD_REAL, &m.common);
}

FactorStatus SparseCholesky::factor(std::span<const double> values) {
  Impl& m = *impl_;
  if (m.n == 0) return {};
  ++m.clock;
  for (size_t s = 0; s < m.slots.size(); ++s) {
    auto& slot = m.slots[s];
    if (slot.values.size() == values.size() && std::equal(values.begin(), values.end(), slot.values.begin())) {
      slot.used = m.clock;
      m.current = static_cast<int>(s);
      return {};
    }
  }
  // A new slot (a copy of the symbolic analysis), or the least recently used one.
  int s = -1;
  if (m.slots.size() < 4) {
    m.slots.push_back({cholmod_copy_factor(m.l, &m.common), {}, 0});
    s = static_cast<int>(m.slots.size()) - 1;
  } else {
    s = 0;
    for (size_t k = 1; k < m.slots.size(); ++k)
      if (m.slots[k].used < m.slots[s].used) s = static_cast<int>(k);
  }
  auto& slot = m.slots[s];
  std::memcpy(m.a->x, values.data(), values.size() * sizeof(double));
  cholmod_factorize(m.a, slot.l, &m.common);
  ++factorizations_;
  if (m.common.status == CHOLMOD_NOT_POSDEF || slot.l->minor < static_cast<size_t>(m.n)) {
    size_t k = std::min(slot.l->minor, static_cast<size_t>(m.n - 1));
    const int32_t* perm = static_cast<const int32_t*>(slot.l->Perm);
    slot.values.clear();
    m.current = -1;
    return {false, perm ? perm[k] : static_cast<int32_t>(k)};
  }
  if (m.common.status < 0) throw std::runtime_error("cholmod_factorize failed");
  slot.values.assign(values.begin(), values.end());
  slot.used = m.clock;
  m.current = s;
  return {};
}

void SparseCholesky::solve(std::span<double> rhs) {
  Impl& m = *impl_;
  if (m.n == 0) return;
  std::memcpy(m.b->x, rhs.data(), rhs.size() * sizeof(double));
  if (m.current < 0) throw std::logic_error("SparseCholesky::solve without a factorization");
  if (!cholmod_solve2(CHOLMOD_A, m.slots[m.current].l, m.b, nullptr, &m.x, nullptr, &m.y, &m.e, &m.common))
    throw std::runtime_error("cholmod_solve2 failed");
  std::memcpy(rhs.data(), m.x->x, rhs.size() * sizeof(double));
}

}  // namespace spx::solver
