// Source time functions against their definitions.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

#include "devices/waveform.hpp"

using namespace spx::devices;

TEST_CASE("PULSE follows v1 -> ramp -> v2 -> ramp -> v1 and repeats") {
  Waveform w{WaveKind::pulse, 0, false, {0, 1, 1e-9, 1e-9, 2e-9, 5e-9, 20e-9}};
  TimeAxis ax{1e-10, 100e-9};
  CHECK(w.at(0, ax) == 0);
  CHECK(w.at(1e-9, ax) == 0);
  CHECK(w.at(1.5e-9, ax) == doctest::Approx(0.5));
  CHECK(w.at(4e-9, ax) == 1);
  CHECK(w.at(7e-9, ax) == 1);                           // end of width: td + tr + pw = 7 ns
  CHECK(w.at(8e-9, ax) == doctest::Approx(0.5));        // half of the 2 ns fall
  CHECK(w.at(10e-9, ax) == 0);
  CHECK(w.at(21.5e-9, ax) == doctest::Approx(0.5));     // second period
  auto bp = w.breakpoints(ax);
  REQUIRE(bp.size() >= 8);
  CHECK(bp[0] == doctest::Approx(1e-9));
  CHECK(bp[1] == doctest::Approx(2e-9));
  CHECK(bp[2] == doctest::Approx(7e-9));
  CHECK(bp[3] == doctest::Approx(9e-9));
  CHECK(bp[4] == doctest::Approx(21e-9));
}

TEST_CASE("PULSE takes tstep for omitted rise/fall and tstop for width and period") {
  Waveform w{WaveKind::pulse, 0, false, {0, 2}};
  TimeAxis ax{1e-9, 50e-9};
  CHECK(w.at(0.5e-9, ax) == doctest::Approx(1.0));  // rise over tstep = 1 ns
  CHECK(w.at(30e-9, ax) == 2);                       // width = tstop
}

TEST_CASE("SIN with delay, damping and phase") {
  Waveform w{WaveKind::sin, 0, false, {0.5, 2, 1e6, 1e-6, 1e5, 90}};
  TimeAxis ax{1e-8, 5e-6};
  CHECK(w.at(0.5e-6, ax) == doctest::Approx(0.5 + 2));  // before td: vo + va*sin(phase)
  double t = 1.3e-6, u = t - 1e-6;
  double expect = 0.5 + 2 * std::exp(-u * 1e5) * std::sin(2 * std::numbers::pi * 1e6 * u + std::numbers::pi / 2);
  CHECK(w.at(t, ax) == doctest::Approx(expect));
}

TEST_CASE("PWL interpolates and holds its end values") {
  Waveform w{WaveKind::pwl, 0, false, {1e-9, 0, 2e-9, 1, 4e-9, -1}};
  TimeAxis ax{1e-10, 10e-9};
  CHECK(w.at(0, ax) == 0);
  CHECK(w.at(1.5e-9, ax) == doctest::Approx(0.5));
  CHECK(w.at(3e-9, ax) == doctest::Approx(0));
  CHECK(w.at(9e-9, ax) == -1);
  CHECK(w.breakpoints(ax) == std::vector<double>{1e-9, 2e-9, 4e-9});
}

TEST_CASE("operating-point value: DC when given, else the function at t = 0") {
  Waveform a{WaveKind::pulse, 3, true, {1, 2}};
  CHECK(a.op_value() == 3);
  Waveform b{WaveKind::pulse, 0, false, {1, 2}};
  CHECK(b.op_value() == 1);
  Waveform c{WaveKind::dc, 0.25, true, {}};
  CHECK(c.op_value() == 0.25);
}
