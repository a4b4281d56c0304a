// SPICE number parsing: mantissa [exponent] [scale] [unit letters]. The scale table follows the
// SPICE convention (ngspice manual, "Conventions"): T=1e12, G=1e9, MEG=1e6, K=1e3, MIL=25.4e-6,
// M=1e-3, U=1e-6, N=1e-9, P=1e-12, F=1e-15.
#include "devices/units.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>

namespace spx::devices {
namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (lower(s[i]) != prefix[i]) return false;
  return true;
}

}  // namespace

bool looks_numeric(std::string_view t) {
  size_t i = 0;
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
  if (i < t.size() && t[i] == '.') ++i;
  return i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]));
}

std::optional<double> parse_spice_number(std::string_view t) {
  if (!looks_numeric(t)) return std::nullopt;
  // Mantissa and exponent: find the longest prefix that is a plain floating-point literal.
  size_t i = 0;
  if (t[i] == '+' || t[i] == '-') ++i;
  while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
  if (i < t.size() && t[i] == '.') {
    ++i;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    size_t j = i + 1;
    if (j < t.size() && (t[j] == '+' || t[j] == '-')) ++j;
    if (j < t.size() && std::isdigit(static_cast<unsigned char>(t[j]))) {
      while (j < t.size() && std::isdigit(static_cast<unsigned char>(t[j]))) ++j;
      i = j;
    }
  }
  std::string mantissa(t.substr(0, i));
  if (mantissa[0] == '+') mantissa.erase(0, 1);
  double value = 0;
  auto [end, ec] = std::from_chars(mantissa.data(), mantissa.data() + mantissa.size(), value);
  if (ec != std::errc() || end != mantissa.data() + mantissa.size()) return std::nullopt;

  std::string_view rest = t.substr(i);
  double scale = 1;
  if (starts_with_ci(rest, "meg")) {
    scale = 1e6;
    rest.remove_prefix(3);
  } else if (starts_with_ci(rest, "mil")) {
    scale = 25.4e-6;
    rest.remove_prefix(3);
  } else if (!rest.empty()) {
    switch (lower(rest[0])) {
      case 't': scale = 1e12; break;
      case 'g': scale = 1e9; break;
      case 'k': scale = 1e3; break;
      case 'm': scale = 1e-3; break;
      case 'u': scale = 1e-6; break;
      case 'n': scale = 1e-9; break;
      case 'p': scale = 1e-12; break;
      case 'f': scale = 1e-15; break;
      default: scale = 0; break;
    }
    if (scale != 0) rest.remove_prefix(1);
    else scale = 1;
  }
  // Whatever letters remain are a unit name (V, A, Ohm, F, s, Hz) and are ignored, as in SPICE.
  for (char c : rest)
    if (!std::isalpha(static_cast<unsigned char>(c))) return std::nullopt;
  const double v = value * scale;
  if (!std::isfinite(v)) return std::nullopt;  // 1e308k: out of range, as 1e400 is
  return v;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = lower(c);
  return out;
}

std::string format_number(double value) {
  if (std::isnan(value)) return "nan";
  return fmt::format("{}", value);
}

}  // namespace spx::devices
