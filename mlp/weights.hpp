// Weight files. Layouts: IMAC-Sim CSV (W1.csv is inputs x outputs, one row per input; B1.csv holds
// one bias per output as a column or a row; CRLF line ends allowed) and NumPy .npy (format versions
// 1-3, little-endian float32/float64/int8/int16/int32/int64, C or Fortran order). Every error names
// the file and, for CSV, the row and column (1-based).
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "devices/synapse.hpp"

namespace spx::mlp {

/// A dense matrix read from a file.
struct Matrix {
  int rows = 0;
  int cols = 0;
  std::vector<double> data;  ///< row-major
  std::string source;        ///< file it came from, for messages
  bool csv = false;          ///< positions in messages are row:col of a CSV file

  double at(int r, int c) const { return data[static_cast<size_t>(r) * cols + c]; }
  /// "W1.csv:3:7" (CSV) or "W1.npy[2,6]" (0-based element index) for element (r, c).
  std::string where(int r, int c) const;
};

/// Reads a CSV matrix (comma separated, optional spaces, no header).
Matrix read_csv(const std::filesystem::path& path);
/// Reads a 1-D or 2-D .npy array (1-D arrays become a column).
Matrix read_npy(const std::filesystem::path& path);
/// Reads by extension (.csv, .npy).
Matrix read_matrix(const std::filesystem::path& path);

/// The whole file as bytes; an error names the file.
std::string read_file(const std::filesystem::path& path);

/// Writes bytes to a file through a temporary file and a rename, so the file is complete or absent;
/// a path that cannot be written is an InputError naming it, and leaves no temporary file.
void write_file_atomic(const std::filesystem::path& path, const std::string& bytes);

/// Writes several files the same way: every temporary file first, then the renames in order (so the
/// last file is there only when the others are); on failure no temporary file is left.
void write_files_atomic(const std::vector<std::pair<std::filesystem::path, std::string>>& files);

/// Writes a CSV matrix with round-trip precision (temporary file, then rename).
void write_csv(const std::filesystem::path& path, const Matrix& m);
/// Writes a float64 C-order .npy (temporary file, then rename).
void write_npy(const std::filesystem::path& path, const Matrix& m);

/// Weights and biases of a network, one pair per layer.
struct NetworkWeights {
  std::vector<Matrix> w;  ///< inputs x outputs
  std::vector<Matrix> b;  ///< outputs x 1
};

/// File of layer k's (1-based) weights (kind 'W') or biases ('B') in a format ("csv" or "npy").
std::filesystem::path weight_file(const std::filesystem::path& dir, char kind, size_t layer, const std::string& format);

/// Reads W<k> and B<k> (k = 1..layers) from a directory in the given format ("csv" or "npy") and
/// checks their shapes against the layer sizes.
NetworkWeights read_weights(const std::filesystem::path& dir, const std::vector<int>& sizes, const std::string& format);

/// Weight levels of a matrix for a synapse map; a value that is not a level is an error naming it.
std::vector<int> to_levels(const Matrix& m, const devices::SynapseMap& map);

}  // namespace spx::mlp
