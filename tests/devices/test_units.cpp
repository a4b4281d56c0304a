// SPICE number parsing and round-trip formatting.
#include <doctest/doctest.h>

#include "devices/units.hpp"

using spx::devices::format_number;
using spx::devices::parse_spice_number;

TEST_CASE("engineering suffixes scale the mantissa") {
  CHECK(*parse_spice_number("1k") == doctest::Approx(1e3));
  CHECK(*parse_spice_number("2.2u") == doctest::Approx(2.2e-6));
  CHECK(*parse_spice_number("1meg") == doctest::Approx(1e6));
  CHECK(*parse_spice_number("1MEG") == doctest::Approx(1e6));
  CHECK(*parse_spice_number("3m") == doctest::Approx(3e-3));
  CHECK(*parse_spice_number("10mil") == doctest::Approx(254e-6));
  CHECK(*parse_spice_number("5f") == doctest::Approx(5e-15));
  CHECK(*parse_spice_number("7p") == doctest::Approx(7e-12));
  CHECK(*parse_spice_number("4n") == doctest::Approx(4e-9));
  CHECK(*parse_spice_number("2g") == doctest::Approx(2e9));
  CHECK(*parse_spice_number("1t") == doctest::Approx(1e12));
  CHECK(*parse_spice_number("-1.5e-3") == doctest::Approx(-1.5e-3));
  CHECK(*parse_spice_number("1e3k") == doctest::Approx(1e6));
  CHECK(*parse_spice_number(".5") == doctest::Approx(0.5));
}

TEST_CASE("unit letters after the scale are ignored, as in SPICE") {
  CHECK(*parse_spice_number("10pF") == doctest::Approx(10e-12));
  CHECK(*parse_spice_number("5V") == doctest::Approx(5));
  CHECK(*parse_spice_number("1kohm") == doctest::Approx(1e3));
  CHECK(*parse_spice_number("1F") == doctest::Approx(1e-15));  // F is femto, the classic trap
}

TEST_CASE("text that is not a number is rejected") {
  CHECK_FALSE(parse_spice_number("abc"));
  CHECK_FALSE(parse_spice_number(""));
  CHECK_FALSE(parse_spice_number("1k2"));
  CHECK_FALSE(parse_spice_number("1.2.3"));
}

TEST_CASE("formatted numbers read back exactly") {
  for (double v : {1e3, 0.1, 1.0 / 3.0, -2.5e-15, 8.49e3, 123456789.125, 1e-300}) {
    auto back = parse_spice_number(format_number(v));
    REQUIRE(back);
    CHECK(*back == v);
  }
}
