// Bounded reading of input files (files.hpp).
#include "devices/files.hpp"

#include <fmt/format.h>

#include <cctype>
#include <fstream>

#include "devices/error.hpp"
#include "devices/limits.hpp"

namespace spx {
namespace fs = std::filesystem;

std::string unreadable(const fs::path& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (!fs::exists(st) && (!ec || ec == std::errc::no_such_file_or_directory)) return "no such file";
  if (ec) {  // e.g. a symbolic link loop, a path through a file
    std::string why = ec.message();
    if (!why.empty()) why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
    return why;
  }
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

fs::path make_output_dir(const fs::path& dir, std::string_view option) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) fail("{}: {}: exists and is not a directory", dir.string(), option);
    return {};
  }
  fs::path top = fs::absolute(dir, ec).lexically_normal();
  if (!top.has_filename()) top = top.parent_path();  // "dir/"
  while (top.has_parent_path() && top.parent_path() != top && !fs::exists(top.parent_path(), ec)) top = top.parent_path();
  fs::create_directories(dir, ec);
  if (ec) fail("{}: {}: cannot create ({})", dir.string(), option, ec.message());
  return top;
}

void remove_made_dirs(const fs::path& dir, const fs::path& top) {
  if (top.empty()) return;
  std::error_code ec;
  fs::path p = fs::absolute(dir, ec).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();
  for (;;) {
    if (!fs::remove(p, ec) || p == top || !p.has_parent_path() || p.parent_path() == p) return;  // not empty, or done
    p = p.parent_path();
  }
}

std::string read_input_file(const fs::path& path) {
  if (std::string why = unreadable(path); !why.empty()) fail("{}: cannot open ({})", path.string(), why);
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(path, ec);
  std::ifstream in(path, std::ios::binary);
  std::string bytes(ec ? 0 : size, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (in.gcount() != static_cast<std::streamsize>(bytes.size())) fail("{}: read failed (the file shrank?)", path.string());
  return bytes;
}

}  // namespace spx
