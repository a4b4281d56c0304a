// Shared pieces of the libFuzzer harnesses: a private scratch directory per process (removed at
// exit), whole-file writes, and the way a harness reports a broken property. An input that the
// library rejects with spx::InputError is an expected outcome; a harness never catches anything
// else, so any other exception, a crash, a sanitizer report or a timeout is a finding. With
// SPX_FUZZ_VERBOSE set in the environment, rejections are printed (to check that seeds get far).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

#include "devices/error.hpp"

namespace spx::fuzz {

/// A fresh empty directory under $TMPDIR (or /tmp), named after the harness and unique to this
/// process; it and everything in it are removed when the process exits normally.
inline std::filesystem::path scratch_dir(std::string_view harness) {
  static std::filesystem::path made;  // one per process is enough: harnesses share it by subfolder
  if (made.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "spx-fuzz-").string();
    pattern.append(harness).append("-XXXXXX");
    if (!::mkdtemp(pattern.data())) {
      std::perror("spx fuzz: mkdtemp");
      std::abort();
    }
    made = pattern;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(made, ec);
    });
  }
  return made;
}

/// Writes bytes to a file, replacing it; aborts if that fails (the harness itself is broken then).
inline void write_bytes(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    std::fprintf(stderr, "spx fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
}

/// An expected rejection: silent unless SPX_FUZZ_VERBOSE is set.
inline void rejected(const spx::InputError& e) {
  static const bool verbose = std::getenv("SPX_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "rejected: %s\n", e.what());
}

/// A property the library promises does not hold for this input: say which, then abort so that
/// libFuzzer records the input as a crash.
[[noreturn]] inline void broken(const char* property, const std::string& detail = {}) {
  std::fprintf(stderr, "spx fuzz: property broken: %s%s%s\n", property, detail.empty() ? "" : ": ", detail.c_str());
  std::abort();
}

}  // namespace spx::fuzz
