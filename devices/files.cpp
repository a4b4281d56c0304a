// Bounded reading of input files (files.hpp).
#include "devices/files.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

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

OutputDir::OutputDir(const fs::path& dir, std::string_view option) : dir_(dir) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) fail("{}: {}: exists and is not a directory", dir.string(), option);
  } else {
    top_ = fs::absolute(dir, ec).lexically_normal();
    if (!top_.has_filename()) top_ = top_.parent_path();  // "dir/"
    while (top_.has_parent_path() && top_.parent_path() != top_ && !fs::exists(top_.parent_path(), ec))
      top_ = top_.parent_path();
    fs::create_directories(dir, ec);
    if (ec) fail("{}: {}: cannot create ({})", dir.string(), option, ec.message());
  }
  if (::access(dir.c_str(), W_OK) != 0) {
    take_back();
    fail("{}: {}: not writable", dir.string(), option);
  }
}

OutputDir::~OutputDir() {
  if (!kept_) take_back();
}

void OutputDir::take_back() {
  std::error_code ec;
  for (auto it = files_.rbegin(); it != files_.rend(); ++it) fs::remove(*it, ec);
  files_.clear();
  if (top_.empty()) return;
  fs::path p = fs::absolute(dir_, ec).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();
  for (;;) {  // the directory, then its parents up to top_, while each is empty
    if (!fs::remove(p, ec) || p == top_ || !p.has_parent_path() || p.parent_path() == p) break;
    p = p.parent_path();
  }
  top_.clear();
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

RunLock::RunLock(const std::filesystem::path& dir) : file_(dir / "run.lock") {
  for (int attempt = 0;; ++attempt) {
    fd_ = ::open(file_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    created_ = fd_ >= 0;
    if (fd_ < 0 && errno == EEXIST) fd_ = ::open(file_.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd_ < 0) fail("{}: cannot lock the run directory ({})", dir.string(), std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      char buf[200] = {};
      const ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
      ::close(fd_);
      fd_ = -1;
      std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "holder unknown";
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
      fail("{}: in use by another run ({}); wait for it to end or choose another --out", dir.string(), one_line(holder, 100));
    }
    struct stat locked {}, named {};
    if (::fstat(fd_, &locked) == 0 && ::stat(file_.c_str(), &named) == 0 && locked.st_ino == named.st_ino &&
        locked.st_dev == named.st_dev)
      break;
    ::close(fd_);  // removed or replaced meanwhile: lock the file that is there now
    fd_ = -1;
    if (attempt == 10) fail("{}: cannot lock the run directory (its run.lock keeps changing)", dir.string());
  }
  const std::time_t now = std::time(nullptr);
  char when[32] = {};
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", std::localtime(&now));
  const std::string me = fmt::format("pid {}, started {}\n", ::getpid(), when);
  // Without the note the lock still holds; only a second writer's message is poorer.
  [[maybe_unused]] const bool noted =
      ::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, me.data(), me.size(), 0) == static_cast<ssize_t>(me.size());
}
RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

}  // namespace spx
