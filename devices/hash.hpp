// FNV-1a 64 (Fowler, Noll, Vo): the fingerprints of run and study directories, which say whether a
// resumed run or study still has the same inputs. Not cryptographic; a changed byte changes it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace spx {

class Fnv1a {
 public:
  void add(const void* data, size_t size) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t k = 0; k < size; ++k) h_ = (h_ ^ p[k]) * 1099511628211ull;
  }
  void add(std::string_view bytes) { add(bytes.data(), bytes.size()); }
  uint64_t value() const { return h_; }
  std::string hex() const { return fmt::format("{:016x}", h_); }

 private:
  uint64_t h_ = 1469598103934665603ull;
};

}  // namespace spx
