// Bounded reading of input files (files.hpp).
#include "devices/files.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "devices/error.hpp"
#include "devices/limits.hpp"

namespace spx {
namespace fs = std::filesystem;

std::string unreadable(const fs::path& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return "no such file";
  if (fs::is_directory(st)) return "a directory";
  if (!fs::is_regular_file(st)) return "not a regular file";
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) return "size unknown";
  if (size > work_limits().bytes)
    return fmt::format("{} bytes, above the limit of {} (raise it with --max-bytes)", size, work_limits().bytes);
  std::ifstream in(path, std::ios::binary);
  if (!in) return "permission denied";
  return {};
}

std::string read_input_file(const fs::path& path) {
  if (std::string why = unreadable(path); !why.empty()) fail("{}: cannot open ({})", path.string(), why);
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) fail("{}: read failed", path.string());
  std::string bytes = ss.str();
  if (bytes.size() > work_limits().bytes)  // grew while being read
    fail("{}: cannot open ({} bytes, above the limit of {})", path.string(), bytes.size(), work_limits().bytes);
  return bytes;
}

}  // namespace spx
