// Input files read whole into memory (netlists, includes, configs, weights, datasets). Only regular
// files are read (a directory, a FIFO or a device such as /dev/zero is refused before reading), and
// only up to work_limits().bytes, so no input can make a read run forever or exhaust memory.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace spx {

/// Why `path` cannot be read as an input file, or "" when it can: "no such file", "a directory",
/// "not a regular file", "permission denied", or its size above the limit.
std::string unreadable(const std::filesystem::path& path);

/// An output directory named by the user (`option`, e.g. "--out"): made with its missing parents
/// before any work, or refused with an InputError ("`dir`: --out: exists and is not a directory",
/// "...: cannot create (why)", "...: not writable"). Unless keep() is called, the destructor takes
/// back what this made: the files given to made(), newest first, then the directories, each
/// only while empty. So a command that fails leaves nothing behind.
class OutputDir {
 public:
  OutputDir(const std::filesystem::path& dir, std::string_view option);
  ~OutputDir();
  OutputDir(const OutputDir&) = delete;
  OutputDir& operator=(const OutputDir&) = delete;
  /// `file` was created for this output (removed again unless kept).
  void made(const std::filesystem::path& file) { files_.push_back(file); }
  /// The output stays, whatever happens next.
  void keep() { kept_ = true; }

 private:
  void take_back();
  std::filesystem::path dir_, top_;  // top_: the topmost directory made here ("" if none)
  std::vector<std::filesystem::path> files_;
  bool kept_ = false;
};

/// One writer per run directory: an advisory lock (flock) on DIR/run.lock, held for the whole
/// run and released by the kernel when the process ends, however it ends. The file names its
/// holder (pid, start time) for the message a second writer gets. A lock file that a failing run
/// removes is detected (the locked file is no longer the one at the path) and taken again.
class RunLock {
 public:
  explicit RunLock(const std::filesystem::path& dir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  /// The lock file did not exist before.
  bool created() const { return created_; }
  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
  int fd_ = -1;
  bool created_ = false;
};

/// The bytes of `path`; throws InputError "`path`: cannot open (why)" when unreadable() objects or
/// the read fails.
std::string read_input_file(const std::filesystem::path& path);

}  // namespace spx
