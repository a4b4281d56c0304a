// Input files read whole into memory (netlists, includes, configs, weights, datasets). Only regular
// files are read (a directory, a FIFO or a device such as /dev/zero is refused before reading), and
// only up to work_limits().bytes, so no input can make a read run forever or exhaust memory.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace spx {

/// Why `path` cannot be read as an input file, or "" when it can: "no such file", "a directory",
/// "not a regular file", "permission denied", or its size above the limit.
std::string unreadable(const std::filesystem::path& path);

/// Makes the output directory `dir` with its missing parents; returns the topmost directory it made
/// ("" when `dir` existed). Throws InputError "`dir`: `option`: exists and is not a directory" or
/// "...: cannot create (why)".
std::filesystem::path make_output_dir(const std::filesystem::path& dir, std::string_view option);

/// Takes back what make_output_dir made: `dir`, then its parents up to `top`, each only while empty.
void remove_made_dirs(const std::filesystem::path& dir, const std::filesystem::path& top);

/// The bytes of `path`; throws InputError "`path`: cannot open (why)" when unreadable() objects or
/// the read fails.
std::string read_input_file(const std::filesystem::path& path);

}  // namespace spx
