// Numbers at the edges of the program: SPICE engineering notation in (1k, 2.2u, 1meg, 10mil) and
// round-trip text out. Internally every quantity is a double in SI units.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace spx::devices {

/// Parses a SPICE number: mantissa, optional exponent, optional scale suffix
/// (f p n u m k meg g t mil, case-insensitive), then any trailing letters (units) which are ignored.
/// Returns nullopt when the text does not start like a number, has junk after it or is out of the
/// finite double range.
std::optional<double> parse_spice_number(std::string_view text);

/// True when the token starts like a number (digit, or sign/point followed by a digit).
bool looks_numeric(std::string_view text);

/// ASCII lower case (SPICE names and keywords are case-insensitive).
std::string ascii_lower(std::string_view text);

/// Shortest text that reads back to exactly the same double (e.g. "1000", "1e-15").
std::string format_number(double value);

}  // namespace spx::devices
