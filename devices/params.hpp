// Parameter tables: one row per physical field (config name, member, unit, meaning, valid range),
// used to validate configurations with errors that name the key, to print help and to write docs,
// all from one place.
#pragma once

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "devices/error.hpp"

namespace spx::devices {

/// One numeric parameter of a value type T.
template <typename T>
struct ParamSpec {
  std::string_view name;     ///< key in configuration files
  double T::*member;         ///< field
  std::string_view unit;     ///< SI unit, "" when dimensionless
  std::string_view meaning;  ///< one line for help and docs
  double min;                ///< smallest valid value
  double max;                ///< largest valid value
  bool min_exclusive = false;  ///< min itself is invalid
};

/// The complaint about a value of one parameter ("section.name: must be ..., got v"), or "" if valid.
template <typename T>
std::string check(const ParamSpec<T>& p, double v, std::string_view section) {
  bool low = p.min_exclusive ? !(v > p.min) : !(v >= p.min);
  if (std::isfinite(v) && !low && v <= p.max) return {};  // an open max still needs a finite value
  std::string range = p.max == INFINITY ? fmt::format("{} {}", p.min_exclusive ? ">" : ">=", p.min)
                                        : fmt::format("in {}{}, {}]", p.min_exclusive ? "(" : "[", p.min, p.max);
  return fmt::format("{}.{}: must be {}{}{}, got {}", section, p.name, range, p.unit.empty() ? "" : " ", p.unit, v);
}

/// Throws InputError "section.name: must be ..., got v unit" for the first field out of range.
template <typename T>
void validate(const T& value, const std::vector<ParamSpec<T>>& table, std::string_view section) {
  for (const auto& p : table)
    if (std::string e = check(p, value.*(p.member), section); !e.empty()) throw InputError(e);
}

/// "name  [unit]  meaning (default d)" lines for help output.
template <typename T>
std::string describe(const std::vector<ParamSpec<T>>& table, const T& defaults, std::string_view section) {
  std::string out;
  for (const auto& p : table)
    out += fmt::format("  {:<34} {:<10} {} (default {})\n", fmt::format("{}.{}", section, p.name),
                       p.unit.empty() ? "" : fmt::format("[{}]", p.unit), p.meaning, defaults.*(p.member));
  return out;
}

}  // namespace spx::devices
