// Weight files: IMAC-Sim CSV layout, .npy in several dtypes and orders, shapes, levels, errors.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <filesystem>
#include <fstream>

#include "devices/error.hpp"
#include "devices/limits.hpp"
#include "errors.hpp"
#include "mlp/weights.hpp"

using namespace spx::mlp;
namespace fs = std::filesystem;

namespace {

fs::path dir() {
  auto p = fs::temp_directory_path() / "spx_weights_test";
  fs::create_directories(p);
  return p;
}

void write(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

/// A version-1 .npy file with the given descr, order, shape and raw little-endian data.
std::string npy(const std::string& descr, bool fortran, const std::string& shape, const std::string& data) {
  std::string h = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
  size_t total = 10 + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(h.size() & 0xff);
  out += static_cast<char>(h.size() >> 8);
  return out + h + data;
}

template <typename T>
std::string raw(std::initializer_list<T> v) {
  std::string s;
  for (T x : v) s.append(reinterpret_cast<const char*>(&x), sizeof(T));
  return s;
}

}  // namespace

TEST_CASE("CSV with CRLF line ends and spaces") {
  write(dir() / "W1.csv", "1, -1 ,1\r\n-1,1,-1\r\n");
  Matrix m = read_csv(dir() / "W1.csv");
  CHECK(m.rows == 2);
  CHECK(m.cols == 3);
  CHECK(m.at(0, 1) == -1);
  CHECK(m.at(1, 2) == -1);
}

TEST_CASE("CSV errors name file:row:col") {
  write(dir() / "bad.csv", "1,2,3\n4,x,6\n");
  CHECK(error_of([] { read_csv(dir() / "bad.csv"); }) == "bad.csv:2:2: not a number: 'x'");
  write(dir() / "ragged.csv", "1,2,3\n4,5\n");
  CHECK(error_of([] { read_csv(dir() / "ragged.csv"); }) == "ragged.csv:2: expected 3 values like the rows above, got 2");
  CHECK(error_of([] { read_csv(dir() / "missing.csv"); }).find("missing.csv: cannot open") != std::string::npos);
  write(dir() / "inf.csv", "1,2\n-inf,1\n");
  CHECK(error_of([] { read_csv(dir() / "inf.csv"); }) == "inf.csv:2:1: not a finite number: '-inf'");
  write(dir() / "big.csv", "1e400\n");
  CHECK(error_of([] { read_csv(dir() / "big.csv"); }) == "big.csv:1:1: not a number: '1e400'");
}

TEST_CASE(".npy: float32, float64, int8, int32, Fortran order, 1-D") {
  write(dir() / "f4.npy", npy("<f4", false, "(2, 2)", raw<float>({1.5f, -1, 0.25f, 2})));
  Matrix a = read_npy(dir() / "f4.npy");
  CHECK(a.rows == 2);
  CHECK(a.at(0, 0) == 1.5);
  CHECK(a.at(1, 0) == 0.25);
  write(dir() / "i1.npy", npy("|i1", false, "(1, 3)", raw<int8_t>({-1, 0, 1})));
  CHECK(read_npy(dir() / "i1.npy").at(0, 0) == -1);
  write(dir() / "i4f.npy", npy("<i4", true, "(2, 3)", raw<int32_t>({1, 2, 3, 4, 5, 6})));
  Matrix f = read_npy(dir() / "i4f.npy");  // column-major: first column is 1, 2
  CHECK(f.at(0, 0) == 1);
  CHECK(f.at(1, 0) == 2);
  CHECK(f.at(0, 1) == 3);
  CHECK(f.at(1, 2) == 6);
  write(dir() / "v.npy", npy("<f8", false, "(3,)", raw<double>({1, 2, 3})));
  Matrix v = read_npy(dir() / "v.npy");
  CHECK(v.rows == 3);
  CHECK(v.cols == 1);
  write(dir() / "be.npy", npy(">f8", false, "(1,)", raw<double>({1})));
  CHECK(error_of([] { read_npy(dir() / "be.npy"); }) ==
        "be.npy: unsupported dtype '>f8' (little-endian float32/64 or int8/16/32/64)");
  write(dir() / "short.npy", npy("<f8", false, "(4,)", raw<double>({1})));
  CHECK(error_of([] { read_npy(dir() / "short.npy"); }) == "short.npy: 4 values expected, file is too short");
}

TEST_CASE("write and read back exactly (CSV and .npy)") {
  Matrix m;
  m.rows = 2;
  m.cols = 3;
  m.data = {0.1, -1.0 / 3.0, 2e-17, 5, -0.0, 123456.789};
  write_csv(dir() / "rt.csv", m);
  write_npy(dir() / "rt.npy", m);
  CHECK(read_csv(dir() / "rt.csv").data == m.data);
  CHECK(read_npy(dir() / "rt.npy").data == m.data);
}

TEST_CASE("network weights: shapes checked against the sizes, bias as row or column") {
  fs::path d = dir() / "net";
  fs::create_directories(d);
  write(d / "W1.csv", "1,-1\n-1,1\n1,1\n");
  write(d / "B1.csv", "1,-1\n");  // a row is accepted
  write(d / "W2.csv", "1\n-1\n");
  write(d / "B2.csv", "1\n");
  NetworkWeights nw = read_weights(d, {3, 2, 1}, "csv");
  CHECK(nw.b[0].rows == 2);
  CHECK(nw.b[0].cols == 1);
  CHECK(error_of([&] { read_weights(d, {4, 2, 1}, "csv"); }) == "W1.csv: expected 4 x 2 (inputs x outputs), got 3 x 2");
  CHECK(error_of([&] { read_weights(d, {3, 2, 1}, "mat"); }) == "network.weights_format: must be csv or npy, got 'mat'");
}

TEST_CASE("levels: values must be levels of the synapse map; NaN is named") {
  Matrix m;
  m.rows = 2;
  m.cols = 2;
  m.source = "W1.csv";
  m.csv = true;
  m.data = {1, -1, -1, 1};
  spx::devices::SynapseMap bin{2, 5e3, 15e3};
  CHECK(to_levels(m, bin) == std::vector<int>{1, -1, -1, 1});
  m.data[3] = 0.5;
  CHECK(error_of([&] { to_levels(m, bin); }) ==
        "W1.csv:2:2: 0.5 is not one of the 2 weight levels (multiples of 1/1 in [-1, 1], not 0)");
  spx::devices::SynapseMap five{5, 5e3, 15e3};
  CHECK(to_levels(m, five)[3] == 1);
  m.data[1] = NAN;
  CHECK(error_of([&] { to_levels(m, five); }) == "W1.csv:1:2: value is NaN");
}

TEST_CASE(".npy headers: parsed without recursion, shapes checked in 64 bits") {
  auto d = dir();
  auto err = [&](const std::string& bytes) {
    write(d / "h.npy", bytes);
    return error_of([&] { read_npy(d / "h.npy"); });
  };
  // A 50 KB header with an unclosed descr string.
  std::string h = "{'descr': '" + std::string(50000, 'f');
  std::string v1("\x93NUMPY\x01\x00", 8);
  v1 += static_cast<char>(h.size() & 0xff);
  v1 += static_cast<char>(h.size() >> 8);
  CHECK(err(v1 + h).find("h.npy: header: unclosed string at byte 11") == 0);
  CHECK(err(npy("<f8", false, "(4294967312, 1)", "")) == "h.npy: shape dimension 4294967312 is too large");
  CHECK(err(npy("<f8", false, "(99999999999999999999999, 1)", "")).find("h.npy: header: shape number out of range") == 0);
  CHECK(err(npy("<f8", false, "(-2, 1)", "")).find("h.npy: header: a shape number expected") == 0);
  CHECK(err(npy("<f99999999999", false, "(1, 1)", "")).find("h.npy: unsupported dtype '<f99999999999'") == 0);
  CHECK(err(npy("<f8", false, "(2, 2)", raw<double>({1, 2, 3}))) == "h.npy: 4 values expected, file is too short");
  CHECK(err(npy("<f8", false, "()", "")) == "h.npy: only 1-D and 2-D arrays are supported, got 0 dimensions");
  CHECK(err(npy("<f8", false, "(2,)", raw<double>({1, 2}))) == "(no error)");
  CHECK(err(npy("<f8", false, "(1, 2)", raw<double>({1, -INFINITY}))) == "h.npy[0,1]: not a finite number: -inf");
}
