// Malformed inputs to the spinxbar command, one table row each. Every row starts from a valid input
// (examples/small: a 16-8-4 network with CSV weights and a CSV dataset; a hand-made IDX directory;
// a small netlist) and breaks it in one place. The command runs in a fresh directory holding only the
// row's files, with stdin from /dev/null and a hard time limit, and must
//   - exit with the row's code: 2 for bad input or usage, 1 only for a simulation that fails
//     numerically;
//   - print exactly the row's line on stderr: one line, "spinxbar: " first, naming the place;
//   - print nothing on stdout;
//   - leave the directory as it found it: no new files or directories, no file changed;
//   - neither crash nor hang.
// SPX_BATTERY_PRINT=1 prints every row's first line as the program behaves now (code and stderr),
// ready to paste over the table's line after a deliberate change of wording. SPX_BATTERY_FILTER=text
// runs only the rows whose name contains text; SPX_BATTERY_TIMEOUT=seconds changes the time limit
// (default 20); SPX_BATTERY_JOBS=n runs n rows at once (default 2); SPX_BATTERY_KEEP=1 keeps the
// directories of failing rows; SPX_BATTERY_SPINXBAR=path tests another spinxbar build. The row's
// directory appears as "<dir>" in the stderr compared, should a message name it.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <map>
#include <stdexcept>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#ifndef SPINXBAR_EXE
#error "SPINXBAR_EXE must name the spinxbar executable"
#endif

extern char** environ;

// Built with AddressSanitizer (scripts/sanitize builds spinxbar the same way): no address-space limit.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

namespace {

namespace fs = std::filesystem;

// Input files.

/// One entry of a row's directory: a file with its bytes, a directory, or a symbolic link.
struct Entry {
  enum Kind { file, dir, link };
  std::string path;   ///< relative to the row's directory
  std::string bytes;  ///< contents (file) or target (link)
  Kind kind = file;
};
using Files = std::vector<Entry>;

Entry dir(std::string path) { return {std::move(path), "", Entry::dir}; }
Entry link(std::string path, std::string target) { return {std::move(path), std::move(target), Entry::link}; }

/// Bytes from a list of values 0..255.
std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int v : b) s += static_cast<char>(v);
  return s;
}

std::string be32(uint32_t v) {
  return bytes({static_cast<int>(v >> 24), static_cast<int>((v >> 16) & 0xff), static_cast<int>((v >> 8) & 0xff),
                static_cast<int>(v & 0xff)});
}

std::string le16(uint32_t v) { return bytes({static_cast<int>(v & 0xff), static_cast<int>((v >> 8) & 0xff)}); }

std::string le32(uint32_t v) { return le16(v & 0xffff) + le16(v >> 16); }

std::string source_file(const std::string& rel) {
  std::ifstream in(fs::path(SPX_SOURCE_DIR) / rel, std::ios::binary);
  REQUIRE_MESSAGE(in, "cannot read " << rel);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// `text` with `from` (which must occur exactly once) replaced by `to`.
std::string replace_once(const std::string& text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "'" << from << "' not found");
  REQUIRE_MESSAGE(text.find(from, at + 1) == std::string::npos, "'" << from << "' found twice");
  return text.substr(0, at) + to + text.substr(at + from.size());
}

/// `files` with `e` added, or replacing the entry of the same path.
Files with(Files files, Entry e) {
  for (auto& f : files)
    if (f.path == e.path) {
      f = std::move(e);
      return files;
    }
  files.push_back(std::move(e));
  return files;
}

Files with(Files files, std::initializer_list<Entry> entries) {
  for (const auto& e : entries) files = with(std::move(files), e);
  return files;
}

Files with(Files files, const Files& more) {
  for (const auto& e : more) files = with(std::move(files), e);
  return files;
}

Files without(Files files, const std::string& path) {
  std::erase_if(files, [&](const Entry& e) { return e.path == path; });
  return files;
}

const std::string& file_of(const Files& files, const std::string& path) {
  for (const auto& f : files)
    if (f.path == path) return f.bytes;
  FAIL("no file " << path);
  static const std::string none;
  return none;
}

/// The small example: small.toml, W1/B1/W2/B2.csv, test_data.csv and test_labels.csv.
const Files& small() {
  static const Files f = [] {
    Files out;
    for (const char* n : {"small.toml", "W1.csv", "B1.csv", "W2.csv", "B2.csv", "test_data.csv", "test_labels.csv"})
      out.push_back({n, source_file(std::string("examples/small/") + n)});
    return out;
  }();
  return f;
}

/// The small example with one edit of small.toml.
Files small_toml(const std::string& from, const std::string& to) {
  return with(small(), Entry{"small.toml", replace_once(file_of(small(), "small.toml"), from, to)});
}

/// The small example with text appended to small.toml (from line 62 on).
Files small_append(const std::string& text) {
  return with(small(), Entry{"small.toml", file_of(small(), "small.toml") + text});
}

/// The small example with one file replaced.
Files small_with(const std::string& path, std::string bytes) { return with(small(), Entry{path, std::move(bytes)}); }

// .npy files (NumPy format version 1/2/3: magic, version, header length, dict literal, data).

std::string npy_raw(const std::string& dict, const std::string& data, int major = 1) {
  std::string header = dict;
  const size_t prefix = major == 1 ? 10 : 12;
  header.append((64 - (prefix + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY" + bytes({major, 0});
  out += major == 1 ? le16(static_cast<uint32_t>(header.size())) : le32(static_cast<uint32_t>(header.size()));
  return out + header + data;
}

std::string f8(const std::vector<double>& v) {
  std::string s(v.size() * 8, '\0');
  std::memcpy(s.data(), v.data(), s.size());
  return s;
}

std::string npy_f8(int rows, int cols, const std::vector<double>& v) {
  return npy_raw(
      "{'descr': '<f8', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " + std::to_string(cols) + "), }",
      f8(v));
}

/// The small example with NumPy weights (all +1) and network.weights_format = "npy".
const Files& small_npy() {
  static const Files f = [] {
    Files out = small_toml("weights_format = \"csv\"", "weights_format = \"npy\"");
    out = with(out, {Entry{"W1.npy", npy_f8(16, 8, std::vector<double>(128, 1.0))},
                     Entry{"B1.npy", npy_f8(8, 1, std::vector<double>(8, 1.0))},
                     Entry{"W2.npy", npy_f8(8, 4, std::vector<double>(32, 1.0))},
                     Entry{"B2.npy", npy_f8(4, 1, std::vector<double>(4, 1.0))}});
    return out;
  }();
  return f;
}

Files npy_with(const std::string& path, std::string bytes) { return with(small_npy(), Entry{path, std::move(bytes)}); }

// IDX datasets (big-endian magic 0x00000803 / 0x00000801, dimensions, then bytes) and gzip.

std::string idx_images(uint32_t count, uint32_t rows, uint32_t cols, const std::string& pixels) {
  return be32(0x803) + be32(count) + be32(rows) + be32(cols) + pixels;
}

/// `count` 4x4 images with distinct pixel patterns.
std::string pixels4x4(int count) {
  std::string p;
  for (int k = 0; k < count * 16; ++k) p += static_cast<char>((k * 37 + k / 16 * 91) % 256);
  return p;
}

std::string idx_labels(const std::string& labels) { return be32(0x801) + be32(static_cast<uint32_t>(labels.size())) + labels; }

uint32_t crc32(const std::string& s) {
  uint32_t c = 0xffffffffu;
  for (unsigned char b : s) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
  }
  return c ^ 0xffffffffu;
}

/// A gzip member holding `data` in one stored DEFLATE block (data under 64 KiB).
std::string gzip_stored(const std::string& data) {
  std::string g = bytes({0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff});
  g += bytes({1}) + le16(static_cast<uint32_t>(data.size())) + le16(~static_cast<uint32_t>(data.size()) & 0xffff);
  return g + data + le32(crc32(data)) + le32(static_cast<uint32_t>(data.size()));
}

const std::string idx_test_images = "idx/t10k-images-idx3-ubyte";
const std::string idx_test_labels = "idx/t10k-labels-idx1-ubyte";
const std::string idx_train_images = "idx/train-images-idx3-ubyte";
const std::string idx_train_labels = "idx/train-labels-idx1-ubyte";

/// idx.toml: the small network on the IDX directory idx/ (3 test images of 4x4 pixels labelled 0, 1, 2;
/// 6 training images), binarized at half scale. Line numbers are those of small.toml.
const Files& small_idx() {
  static const Files f = [] {
    std::string t = file_of(small(), "small.toml");
    t = replace_once(t, "dataset = \"test_data.csv\"", "dataset = \"idx\"");
    t = replace_once(t, "labels = \"test_labels.csv\"", "threshold = 0.5        ");
    Files out = without(small(), "small.toml");
    out = with(out, {Entry{"idx.toml", t}, dir("idx"), Entry{idx_test_images, idx_images(3, 4, 4, pixels4x4(3))},
                     Entry{idx_test_labels, idx_labels(bytes({0, 1, 2}))},
                     Entry{idx_train_images, idx_images(6, 4, 4, pixels4x4(6))},
                     Entry{idx_train_labels, idx_labels(bytes({0, 1, 2, 3, 0, 1}))}});
    return out;
  }();
  return f;
}

/// sc.toml: the small network's weights and data as a stochastic-computing network (inputs 0/1).
const Files& small_sc() {
  static const Files f = [] {
    const std::string t =
        "[network]\nsizes = [16, 8, 4]\nweights = \".\"\nlevels = 2\n\n[input]\ndataset = \"test_data.csv\"\n"
        "labels = \"test_labels.csv\"\nhigh = 1.0\nlow = 0.0\n\n[sc]\nlength = 50\n";
    return with(without(small(), "small.toml"), Entry{"sc.toml", t});
  }();
  return f;
}

Files idx_with(const std::string& path, std::string bytes) { return with(small_idx(), Entry{path, std::move(bytes)}); }

Files idx_toml(const std::string& from, const std::string& to) {
  return with(small_idx(), Entry{"idx.toml", replace_once(file_of(small_idx(), "idx.toml"), from, to)});
}

/// A netlist file net.cir.
Files cir(std::string text) { return {Entry{"net.cir", std::move(text)}}; }

/// A divider netlist with `extra` cards before .end.
Files divider(const std::string& extra) { return cir("divider\nV1 in 0 1\nR1 in out 1k\nR2 out 0 3k\n" + extra + ".end\n"); }

/// A finished run directory of the small example (run.json and images.csv as `spinxbar run` writes
/// them for two images).
Files run_dir(const std::string& d, const std::string& csv_rows) {
  const std::string header =
      "index,label,prediction,reference,out_0,out_1,out_2,out_3,power_w,energy_j,energy_static_j,energy_dynamic_j,"
      "energy_drivers_j,energy_arrays_j,energy_amplifiers_j,energy_neurons_j,energy_conversion_j,energy_imac_sim_j,"
      "latency_s,latency_l1_s,latency_l2_s\n";
  return {dir(d), Entry{d + "/run.json", "{\"first\": 0, \"images\": 2}\n"}, Entry{d + "/images.csv", header + csv_rows}};
}

const std::string good_rows = "0,0,0,0,0.9,0.1,0.1,0.1,1,2e-9,1.5e-9,5e-10,5e-10,5e-10,5e-10,5e-10,0,1e-9,1e-9,5e-10,1e-9\n"
                              "1,2,2,2,0.1,0.1,0.9,0.1,1,2e-9,1.5e-9,5e-10,5e-10,5e-10,5e-10,5e-10,0,1e-9,1e-9,5e-10,1e-9\n";

// The table.

struct Case {
  std::string name;
  int code;          ///< expected exit code
  std::string err;   ///< expected stderr, one line without its newline
  Files files;       ///< the directory the command runs in
  std::vector<std::string> args;
};

std::vector<Case> cases();

// Running.

/// What a directory holds: relative path -> kind, size and a hash of the contents.
using Listing = std::map<std::string, std::string>;

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

Listing listing(const fs::path& root) {
  Listing out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const fs::path p = it->path();
    const std::string rel = p.lexically_relative(root).string();
    const auto st = fs::symlink_status(p, ec);
    if (fs::is_symlink(st)) {
      out[rel] = "link -> " + fs::read_symlink(p).string();
    } else if (fs::is_directory(st)) {
      out[rel] = "dir";
    } else {
      std::ifstream in(p, std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      const std::string b = ss.str();
      char h[17];
      std::snprintf(h, sizeof h, "%016llx", static_cast<unsigned long long>(fnv1a(b)));
      out[rel] = "file " + std::to_string(b.size()) + " bytes " + h;
    }
  }
  return out;
}

void make(const fs::path& root, const Files& files) {
  for (const auto& e : files) {
    const fs::path p = root / e.path;
    fs::create_directories(p.parent_path());
    if (e.kind == Entry::dir) {
      fs::create_directories(p);
    } else if (e.kind == Entry::link) {
      fs::create_symlink(e.bytes, p);
    } else {
      std::ofstream out(p, std::ios::binary | std::ios::trunc);
      out.write(e.bytes.data(), static_cast<std::streamsize>(e.bytes.size()));
    }
  }
}

struct Outcome {
  int code = -1;           ///< exit code, -1 when killed by a signal
  int signal = 0;          ///< signal that ended the process
  bool hung = false;       ///< killed after the time limit
  std::string out, err;    ///< the first bytes of stdout and stderr
  size_t out_size = 0, err_size = 0;
  double seconds = 0;
  std::vector<std::string> dir_changes;
};

constexpr size_t kept_bytes = 1 << 16;

/// The spinxbar under test: SPX_BATTERY_SPINXBAR, or the one built with this test.
std::string spinxbar_path() {
  const char* v = std::getenv("SPX_BATTERY_SPINXBAR");
  return v && *v ? v : SPINXBAR_EXE;
}

/// Runs spinxbar with `args` in `cwd`, stdin from /dev/null, killed after `timeout` seconds.
Outcome run(const fs::path& cwd, const std::vector<std::string>& args, double timeout) {
  Outcome o;
  std::vector<std::string> argv_s{spinxbar_path()};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string dir = cwd.string();

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    ::setpgid(0, 0);
    const int null = ::open("/dev/null", O_RDONLY);
    if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(out_pipe[1], 1) < 0 || ::dup2(err_pipe[1], 2) < 0) ::_exit(126);
    if (::chdir(dir.c_str()) != 0) ::_exit(126);
    // No core files in the directory under test; runaway memory, time and file sizes end in an error
    // instead of taking the machine with them.
    struct rlimit core{0, 0}, mem{RLIM_INFINITY, RLIM_INFINITY}, cpu{RLIM_INFINITY, RLIM_INFINITY};
    struct rlimit fsize{64ull << 20, 64ull << 20};
    mem.rlim_cur = mem.rlim_max = 3ull << 30;
    cpu.rlim_cur = cpu.rlim_max = static_cast<rlim_t>(timeout) + 5;
    ::setrlimit(RLIMIT_CORE, &core);
    if (!kAddressSanitizer) ::setrlimit(RLIMIT_AS, &mem);  // ASan reserves terabytes of shadow address space
    ::setrlimit(RLIMIT_CPU, &cpu);
    ::setrlimit(RLIMIT_FSIZE, &fsize);
    ::execve(argv[0], argv.data(), environ);
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  struct Stream {
    int fd;
    std::string* kept;
    size_t* size;
  } streams[2] = {{out_pipe[0], &o.out, &o.out_size}, {err_pipe[0], &o.err, &o.err_size}};
  const auto deadline = t0 + std::chrono::duration<double>(timeout);
  int open_streams = 2;
  char buf[65536];
  while (open_streams > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      o.hung = true;
      break;
    }
    pollfd fds[2];
    int n = 0;
    Stream* which[2];
    for (auto& s : streams)
      if (s.fd >= 0) {
        fds[n] = {s.fd, POLLIN, 0};
        which[n++] = &s;
      }
    const int r = ::poll(fds, static_cast<nfds_t>(n), static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (r < 0 && errno != EINTR) break;
    for (int k = 0; k < n && r > 0; ++k) {
      if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t got = ::read(which[k]->fd, buf, sizeof buf);
      if (got <= 0) {
        ::close(which[k]->fd);
        which[k]->fd = -1;
        --open_streams;
        continue;
      }
      *which[k]->size += static_cast<size_t>(got);
      const size_t room = kept_bytes - std::min(kept_bytes, which[k]->kept->size());
      which[k]->kept->append(buf, std::min(room, static_cast<size_t>(got)));
    }
  }
  int status = 0;
  if (o.hung) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  } else {
    // The streams closed; the process may still be running (it closed them itself).
    while (::waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        o.hung = true;
        ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  if (o.hung) ::waitpid(pid, &status, 0);
  for (auto& s : streams)
    if (s.fd >= 0) ::close(s.fd);
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (WIFEXITED(status)) o.code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
  return o;
}

std::vector<std::string> compare(const Listing& before, const Listing& after) {
  std::vector<std::string> out;
  for (const auto& [path, what] : after) {
    auto it = before.find(path);
    if (it == before.end()) out.push_back("new " + what.substr(0, what.find(' ')) + " " + path);
    else if (it->second != what) out.push_back("changed " + path + " (" + it->second + " -> " + what + ")");
  }
  for (const auto& [path, what] : before)
    if (!after.count(path)) out.push_back("removed " + path);
  return out;
}

/// `s` with every occurrence of `from` replaced by `to`.
std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

/// `s` as a C++ string literal (octal escapes for control and non-ASCII bytes).
std::string literal(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      char b[5];
      std::snprintf(b, sizeof b, "\\%03o", c);
      out += b;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

/// Longest stderr line the contract allows.
constexpr size_t max_line = 1000;

/// Longest time a row may take: "a few seconds" (the hard limit, SPX_BATTERY_TIMEOUT, is for hangs).
constexpr double slow_seconds = 5;

/// What is wrong with a row's outcome: every violation of the contract and of the row's expectation.
std::vector<std::string> problems(const Case& c, const Outcome& o) {
  std::vector<std::string> p;
  if (o.hung) p.push_back("hang: killed after the time limit");
  else if (o.signal) p.push_back("crash: signal " + std::to_string(o.signal) + " (" + strsignal(o.signal) + ")");
  else if (o.seconds > slow_seconds) p.push_back("slow: " + std::to_string(o.seconds) + " s");
  if (!o.hung && !o.signal && o.code != c.code)
    p.push_back("exit code " + std::to_string(o.code) + ", expected " + std::to_string(c.code));
  if (o.out_size) p.push_back(std::to_string(o.out_size) + " bytes on stdout: " + literal(o.out.substr(0, 160)));
  const std::string first = o.err.substr(0, o.err.find('\n'));
  const size_t lines = static_cast<size_t>(std::count(o.err.begin(), o.err.end(), '\n'));
  if (o.err_size == 0) p.push_back("nothing on stderr");
  else if (lines != 1 || o.err.back() != '\n') p.push_back(std::to_string(lines) + " line ends on stderr, expected 1");
  if (o.err_size && first.rfind("spinxbar: ", 0) != 0) p.push_back("stderr does not start with 'spinxbar: '");
  if (o.err_size > max_line + 1) p.push_back(std::to_string(o.err_size) + " bytes on stderr");
  if (o.err != c.err + "\n")
    p.push_back("stderr " + literal(o.err.substr(0, 300)) + (o.err_size > 300 ? "..." : "") + ", expected " + literal(c.err));
  for (const auto& d : o.dir_changes) p.push_back(d);
  return p;
}

}  // namespace

TEST_CASE("malformed inputs: exit code, one line on stderr, nothing on stdout, no files left") {
  const std::vector<Case> all = cases();
  const char* filter = env("SPX_BATTERY_FILTER");
  const bool print = env("SPX_BATTERY_PRINT") != nullptr;
  const bool keep = env("SPX_BATTERY_KEEP") != nullptr;
  const double timeout = env("SPX_BATTERY_TIMEOUT") ? std::atof(env("SPX_BATTERY_TIMEOUT")) : 20.0;
  const int jobs = env("SPX_BATTERY_JOBS") ? std::max(1, std::atoi(env("SPX_BATTERY_JOBS"))) : 2;

  // The table itself keeps the contract.
  std::map<std::string, int> names;
  for (const auto& c : all) {
    CHECK_MESSAGE(++names[c.name] == 1, "two rows named " << c.name);
    CHECK_MESSAGE((c.code == 1 || c.code == 2), c.name << ": expected exit code must be 1 or 2");
    CHECK_MESSAGE(c.err.rfind("spinxbar: ", 0) == 0, c.name << ": expected line must start with 'spinxbar: '");
    CHECK_MESSAGE(c.err.find('\n') == std::string::npos, c.name << ": expected stderr must be one line");
    CHECK_MESSAGE(c.err.size() <= max_line, c.name << ": expected line longer than " << max_line);
  }

  std::vector<const Case*> chosen;
  for (const auto& c : all)
    if (!filter || c.name.find(filter) != std::string::npos) chosen.push_back(&c);

  char tmpl[] = "/tmp/spx_bad_inputs_XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const fs::path root = tmpl;
  std::vector<Outcome> outcomes(chosen.size());
  std::vector<fs::path> dirs(chosen.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t k; (k = next++) < chosen.size();) {
      const Case& c = *chosen[k];
      dirs[k] = root / std::to_string(k);
      Outcome o;
      try {
        fs::create_directories(dirs[k]);
        make(dirs[k], c.files);
        const Listing before = listing(dirs[k]);
        o = run(dirs[k], c.args, timeout);
        o.dir_changes = compare(before, listing(dirs[k]));
        o.err = replace_all(o.err, fs::canonical(dirs[k]).string(), "<dir>");
      } catch (const std::exception& e) {
        o.dir_changes.push_back(std::string("the test itself failed: ") + e.what());
      }
      outcomes[k] = std::move(o);
    }
  };
  std::vector<std::thread> pool;
  for (int j = 0; j < jobs; ++j) pool.emplace_back(worker);
  for (auto& t : pool) t.join();

  int passed = 0;
  for (size_t k = 0; k < chosen.size(); ++k) {
    const Case& c = *chosen[k];
    const Outcome& o = outcomes[k];
    const std::vector<std::string> p = problems(c, o);
    if (print) {
      std::string err = o.err_size > max_line + 1 ? o.err.substr(0, 300) : o.err;
      if (!err.empty() && err.back() == '\n' && std::count(err.begin(), err.end(), '\n') == 1) err.pop_back();
      std::cout << "    {" << literal(c.name) << ", " << (o.hung ? -1 : o.signal ? -o.signal : o.code) << ", "
                << literal(err) << ",";
      std::vector<std::string> notes;
      if (o.hung) notes.push_back("hang");
      if (o.signal) notes.push_back(std::string("signal ") + strsignal(o.signal));
      if (o.err_size > max_line + 1) notes.push_back(std::to_string(o.err_size) + " bytes on stderr");
      if (o.seconds > 2) notes.push_back(std::to_string(static_cast<int>(o.seconds)) + " s");
      if (o.out_size) notes.push_back(std::to_string(o.out_size) + " bytes on stdout");
      for (const auto& d : o.dir_changes) notes.push_back(d);
      if (!notes.empty()) {
        std::cout << "  //";
        for (const auto& n : notes) std::cout << " " << n << ";";
      }
      std::cout << "\n";
    }
    std::string all_problems;
    for (const auto& s : p) all_problems += "\n    " + s;
    CHECK_MESSAGE(p.empty(), c.name << " (spinxbar " << [&] {
      std::string a;
      for (const auto& x : c.args) a += (a.empty() ? "" : " ") + (x.size() > 60 ? x.substr(0, 60) + "..." : x);
      return a;
    }() << ", " << o.seconds << " s):" << all_problems);
    if (p.empty()) ++passed;
    if (p.empty() || !keep) fs::remove_all(dirs[k]);
  }
  MESSAGE(passed << " of " << chosen.size() << " rows keep the contract");
  if (!keep) fs::remove_all(root);
}


namespace {

using Args = std::vector<std::string>;

Args operator+(Args a, const Args& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

/// n copies of text joined by sep.
std::string repeat(const std::string& text, int n, const std::string& sep = "") {
  std::string s;
  for (int k = 0; k < n; ++k) s += (k ? sep : "") + text;
  return s;
}

/// W1.csv of the small example with the cell at (row, col), 1-based, replaced by `cell`.
std::string w1_cell(int row, int col, const std::string& cell) {
  std::istringstream in(file_of(small(), "W1.csv"));
  std::string line, out;
  for (int r = 1; std::getline(in, line); ++r) {
    if (r == row) {
      std::vector<std::string> cells;
      std::istringstream ls(line);
      for (std::string c; std::getline(ls, c, ',');) cells.push_back(c);
      cells[col - 1] = cell;
      line.clear();
      for (size_t k = 0; k < cells.size(); ++k) line += (k ? "," : "") + cells[k];
    }
    out += line + "\n";
  }
  return out;
}

/// The first `n` lines of a text.
std::string first_lines(const std::string& text, int n) {
  size_t at = 0;
  for (int k = 0; k < n && at != std::string::npos; ++k) at = text.find('\n', at) + 1;
  return text.substr(0, at);
}

/// An .npy header dict with the given descr and shape text.
std::string npy_dict(const std::string& descr, const std::string& shape, const std::string& order = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + order + ", 'shape': " + shape + ", }";
}

std::vector<Case> cases() {
  const Args net = {"netlist", "small.toml", "-o", "x.cir"};
  const Args run = {"run", "small.toml", "--out", "r"};
  const Args idx_run = {"run", "idx.toml", "--out", "r"};
  const Args idx_train = {"train", "idx.toml", "--out", "t", "--epochs", "1"};
  const Args sim = {"simulate", "net.cir"};
  const Args sc_run = {"run", "sc.toml", "--out", "r"};
  const std::string big(4 << 20, 'q');
  const std::string ones16 = repeat("1", 16, ", ");
  const std::string idx_gz = idx_test_images + ".gz";
  const Files idx_no_images = without(small_idx(), idx_test_images);
  const std::string pix3 = pixels4x4(3);
  const std::string csv_header =
      "index,label,prediction,reference,out_0,out_1,out_2,out_3,power_w,energy_j,energy_static_j,energy_dynamic_j,"
      "energy_drivers_j,energy_arrays_j,energy_amplifiers_j,energy_neurons_j,energy_conversion_j,energy_imac_sim_j,"
      "latency_s,latency_l1_s,latency_l2_s\n";

  return {
      // Command line
      {"cli/no-arguments", 2, "spinxbar: a command is required (simulate, compare, netlist, train, run, sc-table, conversion-table, pbit, sweep, plot, agree; --help describes them)",
       {}, {}},
      {"cli/unknown-subcommand", 2, "spinxbar: unknown command 'frobnicate' (commands: simulate, compare, netlist, train, run, sc-table, conversion-table, pbit, sweep, plot, agree)",
       {}, {"frobnicate"}},
    {"cli/unknown-option", 2, "spinxbar: unknown option '--frobnicate' (options before the command: --help, --version, --max-elements, --max-points, --max-bytes)",
       {}, {"--frobnicate"}},
      {"cli/simulate-no-file", 2, "spinxbar: file is required",
       {}, {"simulate"}},
      {"cli/simulate-missing-file", 2, "spinxbar: net.cir: cannot open netlist (no such file)",
       {}, sim},
      {"cli/simulate-directory", 2, "spinxbar: net.cir: cannot open netlist (a directory)",
       {dir("net.cir")}, sim},
      {"cli/simulate-empty-path", 2, "spinxbar: : cannot open netlist (no such file)",
       {}, {"simulate", ""}},
      {"cli/simulate-two-files", 2, "spinxbar: The following argument was not expected: net.cir",
       divider(".op\n"), sim + Args{"net.cir"}},
      {"cli/simulate-backend-unknown", 2, "spinxbar: --backend: spectre not in {native,ngspice}",
       divider(".op\n"), sim + Args{"--backend", "spectre"}},
      {"cli/simulate-format-unknown", 2, "spinxbar: --format: xml not in {json,table}",
       divider(".op\n"), sim + Args{"--format", "xml"}},
      {"cli/simulate-backend-missing-value", 2, "spinxbar: --backend: 1 required TEXT:{native,ngspice} missing",
       divider(".op\n"), sim + Args{"--backend"}},
      {"cli/compare-no-file", 2, "spinxbar: file is required",
       {}, {"compare"}},
      {"cli/compare-parse-error", 2, "spinxbar: net.cir:5: unknown element 'q1'",
       divider("Q1 c b e mod\n.op\n"), {"compare", "net.cir"}},
      {"cli/netlist-no-config", 2, "spinxbar: config is required",
       {}, {"netlist"}},
      {"cli/netlist-missing-config", 2, "spinxbar: missing.toml: cannot open",
       {}, {"netlist", "missing.toml"}},
      {"cli/netlist-config-directory", 2, "spinxbar: cfg.toml: not a config file (a directory?)",
       {dir("cfg.toml")}, {"netlist", "cfg.toml"}},
      {"cli/netlist-images-zero", 2, "spinxbar: --images: must be >= 1, got 0",
       small(), net + Args{"--images", "0"}},
      {"cli/netlist-images-negative", 2, "spinxbar: --images: must be >= 1, got -3",
       small(), net + Args{"--images", "-3"}},
      {"cli/netlist-images-not-a-number", 2, "spinxbar: --images: 'abc' is not an integer",
       small(), net + Args{"--images", "abc"}},
      {"cli/netlist-images-overflow", 2, "spinxbar: --images: must be <= 2147483647, got 99999999999",
       small(), net + Args{"--images", "99999999999"}},
      {"cli/netlist-images-past-dataset", 2, "spinxbar: test_data.csv: images 0..6 requested, the file has 6",
       small(), net + Args{"--images", "7"}},
      {"cli/netlist-dialect-unknown", 2, "spinxbar: --dialect: spectre not in {ngspice,hspice}",
       small(), net + Args{"--dialect", "spectre"}},
      {"cli/netlist-output-directory", 2, "spinxbar: x.cir: cannot write (a directory)",
       with(small(), dir("x.cir")), net},
      {"cli/netlist-output-missing-parent", 2, "spinxbar: nodir/x.cir.lines.tsv: cannot write (No such file or directory)",
       small(), {"netlist", "small.toml", "-o", "nodir/x.cir"}},
      {"cli/netlist-output-unwritable", 2, "spinxbar: /proc/spinxbar-x.cir.lines.tsv: cannot write (No such file or directory)",
       small(), {"netlist", "small.toml", "-o", "/proc/spinxbar-x.cir"}},
    {"cli/netlist-output-empty", 2, "spinxbar: --output: empty file name",
       small(), {"netlist", "small.toml", "-o", ""}},
      {"cli/netlist-output-under-file", 2, "spinxbar: W1.csv/x.cir.lines.tsv: cannot write (Not a directory)",
       small(), {"netlist", "small.toml", "-o", "W1.csv/x.cir"}},
      {"cli/train-epochs-zero", 2, "spinxbar: --epochs: must be >= 1, got 0",
       small_idx(), {"train", "idx.toml", "--out", "t", "--epochs", "0"}},
      {"cli/train-limit-zero", 2, "spinxbar: --limit: must be >= 1, got 0",
       small_idx(), idx_train + Args{"--limit", "0"}},
      {"cli/train-threads-negative", 2, "spinxbar: --threads: must be >= 1, got -2",
       small_idx(), idx_train + Args{"--threads", "-2"}},
      {"cli/train-csv-dataset", 2, "spinxbar: small.toml: input.dataset: training needs an image dataset (mnist, fashion-mnist or an IDX directory)",
       small(), {"train", "small.toml", "--out", "t"}},
      {"cli/train-out-is-file", 2, "spinxbar: t: --out: exists and is not a directory",
       with(small_idx(), Entry{"t", "a file\n"}), idx_train},
      {"cli/train-init-missing", 2, "spinxbar: nowhere.json: cannot open (no such file)",
       small_idx(), idx_train + Args{"--set", "train.init=nowhere.json"}},
      {"cli/train-init-not-json", 2, "spinxbar: init.json: not valid JSON: [json.exception.parse_error.101] parse error at line 1, column 4: syntax error while parsing object key - invalid literal; last read: '{ no'; expected string literal",
       with(small_idx(), Entry{"init.json", "{ not json"}), idx_train + Args{"--set", "train.init=init.json"}},
      {"cli/run-images-zero", 2, "spinxbar: --images: must be >= 1, got 0",
       small(), run + Args{"--images", "0"}},
      {"cli/run-first-negative", 2, "spinxbar: --first: must be >= 0, got -1",
       small(), run + Args{"--first", "-1"}},
      {"cli/run-first-overflow", 2, "spinxbar: --first: must be <= 2147483647, got 4294967296",
       small(), run + Args{"--first", "4294967296"}},
      {"cli/run-threads-zero", 2, "spinxbar: --threads: must be >= 1, got 0",
       small(), run + Args{"--threads", "0"}},
      {"cli/run-stop-after-negative", 2, "spinxbar: --stop-after: must be >= 0, got -1",
       small(), run + Args{"--stop-after", "-1"}},
      {"cli/run-analysis-unknown", 2, "spinxbar: --analysis: ac not in {op,tran}",
       small(), run + Args{"--analysis", "ac"}},
      {"cli/run-backend-unknown", 2, "spinxbar: --backend: xyce not in {native,ngspice}",
       small(), run + Args{"--backend", "xyce"}},
      {"cli/run-first-past-end", 2, "spinxbar: test_data.csv: images 6..6 requested, the file has 6",
       small(), run + Args{"--first", "6"}},
      {"cli/run-images-past-end", 2, "spinxbar: test_data.csv: images 0..6 requested, the file has 6",
       small(), run + Args{"--images", "7"}},
      {"cli/run-extra-argument", 2, "spinxbar: The following argument was not expected: extra",
       small(), run + Args{"extra"}},
      {"cli/run-out-is-file", 2, "spinxbar: r: --out: exists and is not a directory",
       with(small(), Entry{"r", "a file\n"}), run},
      {"cli/run-out-under-file", 2, "spinxbar: taken/r: --out: cannot create (Not a directory)",
       with(small(), Entry{"taken", "a file\n"}), {"run", "small.toml", "--out", "taken/r"}},
      {"cli/run-out-unwritable", 2, "spinxbar: /proc/spinxbar-run: --out: cannot create (No such file or directory)",
       small(), {"run", "small.toml", "--out", "/proc/spinxbar-run"}},
      {"cli/run-out-empty", 2, "spinxbar: --out: empty directory name",
       small(), {"run", "small.toml", "--out", ""}},
      {"cli/run-first-plus-images-overflow", 2, "spinxbar: test_data.csv: images 2..2147483647 requested, the file has 6",
       small(), {"run", "small.toml", "--first", "2", "--images", "2147483646", "--out", "r"}},
      {"cli/run-threads-too-many", 2, "spinxbar: --threads: must be <= 1024, got 5000",
       small(), {"run", "small.toml", "--threads", "5000", "--out", "r"}},
      {"cli/max-elements-fraction", 2, "spinxbar: --max-elements: must be a number >= 1, got '0.5'",
       small(), {"--max-elements", "0.5", "run", "small.toml", "--out", "r"}},
      // The config is read (a limit of 0 bytes would refuse it), then refused for its override.
      {"cli/max-bytes-beyond-64-bits", 2, "spinxbar: --set network.sizes=[16,0,4]: network.sizes: must be >= 1, got 0",
       small(), {"--max-bytes", "1e20", "netlist", "small.toml", "-o", "x.cir", "--set", "network.sizes=[16,0,4]"}},
      {"cli/run-out-holds-run", 2, "spinxbar: r: holds an earlier run; pass --resume to continue it, or choose another --out",
       with(small(), run_dir("r", good_rows)), run},
      {"cli/run-resume-bad-manifest", 2, "spinxbar: r/run.json: not a run description ([json.exception.parse_error.101] parse error at line 1, column 4: syntax error while parsing object key - invalid literal; last read: '{ no'; expected string literal)",
       with(small(), {dir("r"), Entry{"r/run.json", "{ not json"}}), run + Args{"--resume"}},
      {"cli/run-resume-other-run", 2, "spinxbar: r/run.json: analysis: the run there has none, this one \"op\"; use another --out",
       with(small(), run_dir("r", good_rows)), run + Args{"--resume"}},
      {"cli/agree-one-directory", 2, "spinxbar: b is required",
       run_dir("a", good_rows), {"agree", "a"}},
      {"cli/agree-missing-directories", 2, "spinxbar: a/run.json: cannot open (no such file)",
       {}, {"agree", "a", "b"}},
    {"cli/agree-files-not-directories", 2, "spinxbar: a/run.json: cannot open (not a directory)",
       {Entry{"a", "x\n"}, Entry{"b", "x\n"}}, {"agree", "a", "b"}},
      {"cli/agree-no-manifest", 2, "spinxbar: b/run.json: cannot open (no such file)",
       without(with(run_dir("a", good_rows), run_dir("b", good_rows)), "b/run.json"), {"agree", "a", "b"}},
      {"cli/agree-bad-manifest", 2, "spinxbar: b/run.json: not a run description ([json.exception.parse_error.101] parse error at line 1, column 6: syntax error while parsing array - unexpected end of input; expected ']')",
       with(with(run_dir("a", good_rows), run_dir("b", good_rows)), Entry{"b/run.json", "[1, 2"}), {"agree", "a", "b"}},
      {"cli/agree-no-images", 2, "spinxbar: b/images.csv: cannot open (no such file)",
       without(with(run_dir("a", good_rows), run_dir("b", good_rows)), "b/images.csv"), {"agree", "a", "b"}},
      {"cli/agree-bad-header", 2, "spinxbar: b/images.csv:1: not an images.csv header",
       with(with(run_dir("a", good_rows), run_dir("b", good_rows)), Entry{"b/images.csv", "hello\n"}), {"agree", "a", "b"}},
      {"cli/agree-bad-field", 2, "spinxbar: b/images.csv:2: field 6: 'zz' is not a number",
       with(run_dir("a", good_rows), run_dir("b", "0,0,0,0,0.9,zz,0.1,0.1,1,2e-9,1.5e-9,5e-10,5e-10,5e-10,5e-10,5e-10,0,1e-9,1e-9,5e-10,1e-9\n")), {"agree", "a", "b"}},
      {"cli/agree-short-row", 2, "spinxbar: b/images.csv:2: 5 fields, expected 21",
       with(run_dir("a", good_rows), run_dir("b", "0,0,0,0,0.9\n")), {"agree", "a", "b"}},
      {"cli/agree-empty-runs", 2, "spinxbar: a and b: no images to compare",
       with(run_dir("a", ""), run_dir("b", "")), {"agree", "a", "b"}},
      {"cli/agree-different-first", 2, "spinxbar: b/images.csv:2: image 1 where 0 was expected",
       with(run_dir("a", good_rows), run_dir("b", "1,2,2,2,0.1,0.1,0.9,0.1,1,2e-9,1.5e-9,5e-10,5e-10,5e-10,5e-10,5e-10,0,1e-9,1e-9,5e-10,1e-9\n")), {"agree", "a", "b"}},
      {"cli/agree-torn-row", 2, "spinxbar: b/images.csv:4: incomplete last row (an interrupted run; continue it with --resume)",
       with(run_dir("a", good_rows), run_dir("b", good_rows + "2,1,1,1,0.1,0.")), {"agree", "a", "b"}},
      {"cli/agree-huge-index", 2, "spinxbar: b/images.csv:2: field 1: '1e300' is not an image index",
       with(run_dir("a", good_rows), run_dir("b", "1e300,0,0,0,0.9,0.1,0.1,0.1,1,2e-9,1.5e-9,5e-10,5e-10,5e-10,5e-10,5e-10,0,1e-9,1e-9,5e-10,1e-9\n")), {"agree", "a", "b"}},

      // SPICE netlists (simulate)
      {"spice/empty-file", 2, "spinxbar: net.cir: no analysis (.op, .tran or .dc) to run",
       cir(""), sim},
      {"spice/pulse-tiny-period", 2, "spinxbar: net.cir:2: 2e+20 pulse corners (4 per period), above the limit of 1e+07 (raise it with --max-points)",
       cir("t\nv1 1 0 pulse(0 1 0.5 1n 1n 1n 1e-20)\nr1 1 0 1k\n.tran 1u 1\n"), sim},
    {"spice/binary-garbage", 2, "spinxbar: net.cir:2: control character 0x01 in the line",
       cir("title\n" + bytes({0xff, 0x01, 0x00, 0x80, ' ', 'a', ' ', '0', ' ', '1'}) + "\n.op\n"), sim},
      {"spice/unknown-element", 2, "spinxbar: net.cir:5: unknown element 'q1'",
       divider("Q1 c b e mod\n.op\n"), sim},
      {"spice/huge-element-name", 2, "spinxbar: net.cir:5: unknown element 'qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq... (4193933 more bytes)",
       divider(big + " a 0 1\n.op\n"), sim},
      {"spice/resistor-no-value", 2, "spinxbar: net.cir:5: resistor 'r3' has no value",
       divider("R3 out 0\n.op\n"), sim},
      {"spice/resistor-one-node", 2, "spinxbar: net.cir:5: resistor 'r3' needs 2 nodes",
       divider("R3 out\n.op\n"), sim},
      {"spice/resistor-zero", 2, "spinxbar: net.cir:5: resistor 'r3' has zero resistance",
       divider("R3 out 0 0\n.op\n"), sim},
      {"spice/resistor-not-a-number", 2, "spinxbar: net.cir:5: bad value 'abc' (not a number or parameter)",
       divider("R3 out 0 abc\n.op\n"), sim},
      {"spice/resistor-overflow", 2, "spinxbar: net.cir:5: bad number '1e999' for value",
       divider("R3 out 0 1e999\n.op\n"), sim},
      {"spice/resistor-nan", 2, "spinxbar: net.cir:5: bad value 'nan' (not a number or parameter)",
       divider("R3 out 0 nan\n.op\n"), sim},
      {"spice/resistor-infinite-expression", 2, "spinxbar: net.cir:5: expression '1e308*10' gives inf, not a finite number",
       divider("R3 out 0 {1e308*10}\n.op\n"), sim},
      {"spice/resistor-m-zero", 2, "spinxbar: net.cir:5: m on 'r3' must be > 0, got 0",
       divider("R3 out 0 1k m=0\n.op\n"), sim},
      {"spice/resistor-unknown-parameter", 2, "spinxbar: net.cir:5: unsupported parameter 'tc' on resistor 'r3'",
       divider("R3 out 0 1k tc=1\n.op\n"), sim},
      {"spice/resistor-equals-without-name", 2, "spinxbar: net.cir:5: unexpected '=' on resistor 'r3'",
       divider("R3 out 0 1k = 2\n.op\n"), sim},
      {"spice/capacitor-ic-nan", 2, "spinxbar: net.cir:5: expression 'log(-1)' gives NaN, not a finite number",
       divider("C1 out 0 1p ic={log(-1)}\n.tran 1n 10n\n"), sim},
      {"spice/param-divide-by-zero", 2, "spinxbar: net.cir:5: expression '1/0' gives inf, not a finite number",
       divider(".param a = 1/0\nR3 out 0 {a}\n.op\n"), sim},
      {"spice/param-overflow", 2, "spinxbar: net.cir:5: expression '1e308*10' gives inf, not a finite number",
       divider(".param a = 1e308*10\nR3 out 0 {a}\n.op\n"), sim},
      {"spice/param-log-negative", 2, "spinxbar: net.cir:5: expression 'log(-1)' gives NaN, not a finite number",
       divider(".param a = log(-1)\nR3 out 0 {a}\n.op\n"), sim},
      {"spice/param-sqrt-negative", 2, "spinxbar: net.cir:5: expression 'sqrt(-4)' gives NaN, not a finite number",
       divider(".param a = sqrt(-4)\nR3 out 0 {a}\n.op\n"), sim},
      {"spice/param-unused-nan", 2, "spinxbar: net.cir:5: expression '0/0' gives NaN, not a finite number",
       divider(".param a = 0/0\n.op\n"), sim},
      {"spice/param-undefined", 2, "spinxbar: net.cir:5: unknown parameter 'b' in expression '(b+1)'",
       divider(".param a = b+1\n.op\n"), sim},
      {"spice/param-self-reference", 2, "spinxbar: net.cir:5: unknown parameter 'a' in expression '(a+1)'",
       divider(".param a = a+1\n.op\n"), sim},
      {"spice/param-no-value", 2, "spinxbar: net.cir:5: missing value for 'a'",
       divider(".param a =\n.op\n"), sim},
      {"spice/param-no-assignment", 2, "spinxbar: net.cir:5: .param needs name=value",
       divider(".param\n.op\n"), sim},
      {"spice/param-syntax", 2, "spinxbar: net.cir:5: unexpected '*' in expression '1 +* 2'",
       divider(".param a = 1 +* 2\n.op\n"), sim},
      {"spice/param-unknown-function", 2, "spinxbar: net.cir:5: unknown function 'foo' in expression 'foo(1)'",
       divider(".param a = foo(1)\n.op\n"), sim},
      {"spice/param-wrong-arity", 2, "spinxbar: net.cir:5: max() takes 2 argument(s), got 1 in expression 'max(1)'",
       divider(".param a = max(1)\n.op\n"), sim},
      {"spice/param-deep-nesting", 2, "spinxbar: net.cir:5: nesting deeper than 500 levels in expression '((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((...'",
       divider(".param a = " + std::string(200000, '(') + "1" + std::string(200000, ')') + "\n.op\n"), sim},
      {"spice/param-deep-unary", 2, "spinxbar: net.cir:5: nesting deeper than 500 levels in expression '--------------------------------------------------------------------------------...'",
       divider(".param a = " + std::string(200000, '-') + "1\n.op\n"), sim},
    {"spice/param-long-sum", 2, "spinxbar: net.cir:5: unknown parameter 'foo' in expression '(1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1...'",
       divider(".param a = " + repeat("1", 200000, "+") + "+foo\n.op\n"), sim},
      {"spice/brace-unclosed", 2, "spinxbar: net.cir:5: missing '}'",
       divider("R3 out 0 {1k\n.op\n"), sim},
      {"spice/quote-unclosed", 2, "spinxbar: net.cir:5: missing closing quote",
       divider("R3 out 0 '1k\n.op\n"), sim},
      {"spice/source-dc-nan", 2, "spinxbar: net.cir:2: expression 'log(-1)' gives NaN, not a finite number",
       cir("t\nV1 in 0 {log(-1)}\nR1 in 0 1k\n.op\n"), sim},
      {"spice/source-dc-infinite", 2, "spinxbar: net.cir:2: expression '1e308*10' gives inf, not a finite number",
       cir("t\nV1 in 0 {1e308*10}\nR1 in 0 1k\n.op\n"), sim},
      {"spice/source-pulse-nan-argument", 2, "spinxbar: net.cir:2: expression '0/0' gives NaN, not a finite number",
       cir("t\nV1 in 0 pulse(0 1 {0/0} 1n 1n 5n 10n)\nR1 in 0 1k\n.tran 1n 20n\n"), sim},
      {"spice/source-pwl-infinite-time", 2, "spinxbar: net.cir:2: expression '1e308*10' gives inf, not a finite number",
       cir("t\nV1 in 0 pwl(0 0 {1e308*10} 1)\nR1 in 0 1k\n.tran 1n 20n\n"), sim},
      {"spice/source-sin-infinite-frequency", 2, "spinxbar: net.cir:2: expression '1e308*10' gives inf, not a finite number",
       cir("t\nV1 in 0 sin(0 1 {1e308*10})\nR1 in 0 1k\n.tran 1n 20n\n"), sim},
      {"spice/source-pulse-too-many-arguments", 2, "spinxbar: net.cir:2: pulse takes at most 7 arguments, got 9",
       cir("t\nV1 in 0 pulse(0 1 0 1n 1n 5n 10n 1 2)\nR1 in 0 1k\n.tran 1n 20n\n"), sim},
      {"spice/source-sin-one-argument", 2, "spinxbar: net.cir:2: sin needs at least 2 arguments on 'v1'",
       cir("t\nV1 in 0 sin(1)\nR1 in 0 1k\n.tran 1n 20n\n"), sim},
      {"spice/source-pwl-odd", 2, "spinxbar: net.cir:2: pwl needs time,value pairs on 'v1'",
       cir("t\nV1 in 0 pwl(0 0 1n)\nR1 in 0 1k\n.tran 1n 20n\n"), sim},
      {"spice/source-pwl-decreasing", 2, "spinxbar: net.cir:2: pwl times must not decrease on 'v1'",
       cir("t\nV1 in 0 pwl(0 0 2n 1 1n 0)\nR1 in 0 1k\n.tran 1n 20n\n"), sim},
      {"spice/source-two-functions", 2, "spinxbar: net.cir:2: 'v1' has two time functions",
       cir("t\nV1 in 0 sin(0 1 1g) pulse(0 1)\nR1 in 0 1k\n.tran 1n 20n\n"), sim},
      {"spice/source-dc-without-value", 2, "spinxbar: net.cir:2: DC needs a value on 'v1'",
       cir("t\nV1 in 0 dc\nR1 in 0 1k\n.op\n"), sim},
      {"spice/source-unknown-specification", 2, "spinxbar: net.cir:2: unsupported source specification 'volts' on 'v1'",
       cir("t\nV1 in 0 1 volts\nR1 in 0 1k\n.op\n"), sim},
      {"spice/source-unclosed-parenthesis", 2, "spinxbar: net.cir:2: missing ')' after pulse on 'v1'",
       cir("t\nV1 in 0 pulse(0 1 0 1n\nR1 in 0 1k\n.tran 1n 20n\n"), sim},
      {"spice/vcvs-missing-node", 2, "spinxbar: net.cir:5: 'e1' needs n+ n- nc+ nc- gain",
       divider("E1 e 0 in 2\n.op\n"), sim},
      {"spice/vcvs-parenthesis-node", 2, "spinxbar: net.cir:5: vcvs 'e1' needs 4 nodes",
       divider("E1 e 0 ( 0 2\nR3 e 0 1k\n.op\n"), sim},
      {"spice/cccs-controlled-by-resistor", 2, "spinxbar: net.cir:5: controlling source 'r1' of 'f1' is not a voltage source",
       divider("F1 f 0 r1 2\nR3 f 0 1k\n.op\n"), sim},
      {"spice/behavioral-without-expression", 2, "spinxbar: net.cir:5: 'b1' needs V=expression or I=expression",
       divider("B1 b 0 v\n.op\n"), sim},
      {"spice/behavioral-unclosed", 2, "spinxbar: net.cir:5: missing ')' in expression 'v(in'",
       divider("B1 b 0 v=v(in\nR3 b 0 1k\n.op\n"), sim},
      {"spice/behavioral-unknown-source", 2, "spinxbar: net.cir:5: i(vx) in 'b1' does not name a voltage source",
       divider("B1 b 0 v=i(vx)\nR3 b 0 1k\n.op\n"), sim},
      {"spice/behavioral-unknown-function", 2, "spinxbar: net.cir:5: unknown function 'foo' in expression 'foo(v(in))'",
       divider("B1 b 0 v=foo(v(in))\nR3 b 0 1k\n.op\n"), sim},
      {"spice/node-equals-sign", 2, "spinxbar: net.cir:5: resistor 'r3' needs 2 nodes",
       divider("R3 out = 1k\n.op\n"), sim},
      {"spice/behavioral-reads-unconnected-node", 1, "spinxbar: simulation failed: native op: singular matrix: floating node 'nowhere' (no DC path to ground)",
       divider("B1 b 0 v=v(nowhere)\nR3 b 0 1k\n.op\n"), sim},
      {"spice/resistor-denormal", 1, "spinxbar: simulation failed: native op: non-finite value of i(v3)",
       divider("V3 x 0 1\nR3 x 0 {1e-320}\n.op\n"), sim},
      {"spice/current-source-huge", 1, "spinxbar: simulation failed: native op: non-finite value of v(out)",
       divider("I1 out 0 {1e308}\n.op\n"), sim},
      {"spice/model-without-name", 2, "spinxbar: net.cir:5: .model needs a name and a type",
       divider(".model\n.op\n"), sim},
      {"spice/duplicate-element", 2, "spinxbar: net.cir:5: duplicate element name 'r1'",
       divider("R1 in 0 2k\n.op\n"), sim},
      {"spice/duplicate-element-case", 2, "spinxbar: net.cir:5: duplicate element name 'r2'",
       divider("r2 in 0 2k\n.op\n"), sim},
      {"spice/mosfet-undefined-model", 2, "spinxbar: net.cir:5: mosfet 'm1' uses model 'nch', which no .model card defines",
       divider("M1 out in 0 0 nch\n.op\n"), sim},
      {"spice/mosfet-on-native", 2, "spinxbar: element m1 (net.cir:5): transistors run on the ngspice backend only (use --backend ngspice, or a characterized neuron)",
       divider("M1 out in 0 0 nch w=1u l=1u\n.model nch nmos level=1\n.op\n"), sim},
      {"spice/continuation-first", 2, "spinxbar: net.cir:2: continuation line with nothing to continue",
       cir("t\n+ 1k\nV1 in 0 1\nR1 in 0 1k\n.op\n"), sim},
      {"spice/ends-without-subckt", 2, "spinxbar: net.cir:5: .ends without .subckt",
       divider(".ends\n.op\n"), sim},
      {"spice/subckt-without-ends", 2, "spinxbar: net.cir:5: .subckt 's' has no .ends",
       divider(".subckt s a b\nR1 a b 1k\n.op\n"), sim},
      {"spice/subckt-without-name", 2, "spinxbar: net.cir:5: .subckt needs a name",
       divider(".subckt\n.ends\n.op\n"), sim},
      {"spice/instance-unknown-subckt", 2, "spinxbar: net.cir:5: unknown subcircuit 'nosuch' in 'x1'",
       divider("X1 in out nosuch\n.op\n"), sim},
      {"spice/instance-port-count", 2, "spinxbar: net.cir:8: 'x1' connects 1 nodes but subcircuit 's' has 2 ports",
       divider(".subckt s a b\nR1 a b 1k\n.ends\nX1 in s\n.op\n"), sim},
      {"spice/instance-unknown-parameter", 2, "spinxbar: net.cir:8: subcircuit 's' has no parameter 'r'",
       divider(".subckt s a b\nR1 a b 1k\n.ends\nX1 in out s r=2k\n.op\n"), sim},
      {"spice/instance-only-name", 2, "spinxbar: net.cir:5: instance 'x1' needs nodes and a subcircuit name",
       divider("X1\n.op\n"), sim},
      {"spice/subckt-recursive", 2, "spinxbar: net.cir:6: 'xa' makes subcircuit 's' contain itself (a recursive .subckt)",
       divider(".subckt s a\nXa a s\nR1 a 0 1k\n.ends\nX1 out s\n.op\n"), sim},
      {"spice/subckt-huge-expansion", 2, "spinxbar: net.cir:116: 1e+09 elements in 'x1' after expansion, above the limit of 2e+07 (raise it with --max-elements)",
       divider([] {
         std::string s = ".subckt s0 a\nR1 a 0 1meg\n.ends\n";
         for (int l = 1; l <= 9; ++l) {
           s += ".subckt s" + std::to_string(l) + " a\n";
           for (int k = 0; k < 10; ++k) s += "X" + std::to_string(k) + " a s" + std::to_string(l - 1) + "\n";
           s += ".ends\n";
         }
         return s + "X1 out s9\n.op\n";
       }()), sim},
      {"spice/include-missing", 2, "spinxbar: net.cir:5: cannot open include file 'nothere.cir' (no such file)",
       divider(".include nothere.cir\n.op\n"), sim},
      {"spice/include-directory", 2, "spinxbar: net.cir:5: cannot open include file './sub' (a directory)",
       with(divider(".include sub\n.op\n"), dir("sub")), sim},
      {"spice/include-dev-zero", 2, "spinxbar: net.cir:5: cannot open include file '/dev/zero' (not a regular file)",
       divider(".include /dev/zero\n.op\n"), sim},
      {"spice/include-itself", 2, "spinxbar: ./net.cir: .include/.lib nested too deeply",
       divider(".include net.cir\n.op\n"), sim},
      {"spice/include-without-name", 2, "spinxbar: net.cir:5: .include needs a file name",
       divider(".include\n.op\n"), sim},
      {"spice/include-empty-name", 2, "spinxbar: net.cir:5: cannot open include file './' (a directory)",
       divider(".include \"\"\n.op\n"), sim},
      {"spice/include-error-inside", 2, "spinxbar: ./sub.cir:3: unknown element 'q9'",
       with(divider(".include sub.cir\n.op\n"), Entry{"sub.cir", "* sub\nR9 a 0 1k\nQ9 a b c\n"}), sim},
      {"spice/lib-missing-section", 2, "spinxbar: ./models.lib: section 'fast' not found",
       with(divider(".lib models.lib fast\n.op\n"), Entry{"models.lib", ".lib slow\nR9 out 0 1k\n.endl\n"}), sim},
      {"spice/lib-missing-file", 2, "spinxbar: net.cir:5: cannot open library file 'nothere.lib' (no such file)",
       divider(".lib nothere.lib fast\n.op\n"), sim},
      {"spice/lib-too-many-arguments", 2, "spinxbar: net.cir:5: .lib needs a file and a section name",
       divider(".lib a.lib b c\n.op\n"), sim},
      {"spice/tran-zero-step", 2, "spinxbar: net.cir:5: .tran tstep must be > 0 s, got 0",
       divider(".tran 0 10n\n"), sim},
      {"spice/tran-negative-stop", 2, "spinxbar: net.cir:5: .tran tstop must be > 0 s, got -1e-08",
       divider(".tran 1n -10n\n"), sim},
      {"spice/tran-start-after-stop", 2, "spinxbar: net.cir:5: .tran tstart must be in [0, tstop), got 2e-08",
       divider(".tran 1n 10n 20n\n"), sim},
      {"spice/tran-missing-stop", 2, "spinxbar: net.cir:5: .tran needs tstep and tstop",
       divider(".tran 1n\n"), sim},
      {"spice/tran-too-many-arguments", 2, "spinxbar: net.cir:5: .tran takes at most tstep tstop tstart tmax [uic]",
       divider(".tran 1n 10n 0 1n 5\n"), sim},
      {"spice/tran-negative-tmax", 2, "spinxbar: net.cir:5: .tran tmax must be >= 0 s, got -1e-09",
       divider(".tran 1n 10n 0 -1n\n"), sim},
      {"spice/tran-nan-step", 2, "spinxbar: net.cir:5: expression '0/0' gives NaN, not a finite number",
       divider(".tran {0/0} 10n\n"), sim},
      {"spice/tran-infinite-stop", 2, "spinxbar: net.cir:5: expression '1e308*10' gives inf, not a finite number",
       divider(".tran 1n {1e308*10}\n"), sim},
      {"spice/tran-absurd-point-count", 2, "spinxbar: net.cir:5: 1e+15 time points, above the limit of 1e+07 (raise it with --max-points)",
       divider(".tran 1f 1\n"), sim},
      {"spice/dc-absurd-point-count", 2, "spinxbar: net.cir:5: 1e+15 sweep points, above the limit of 1e+07 (raise it with --max-points)",
       divider(".dc v1 0 1 1f\n"), sim},
      {"spice/dc-zero-step", 2, "spinxbar: net.cir:5: .dc step 0 does not lead from 0 to 1",
       divider(".dc v1 0 1 0\n"), sim},
      {"spice/dc-wrong-direction", 2, "spinxbar: net.cir:5: .dc step -0.1 does not lead from 0 to 1",
       divider(".dc v1 0 1 -0.1\n"), sim},
      {"spice/dc-nan-start", 2, "spinxbar: net.cir:5: expression '0/0' gives NaN, not a finite number",
       divider(".dc v1 {0/0} 1 0.1\n"), sim},
      {"spice/dc-infinite-stop", 2, "spinxbar: net.cir:5: expression '1e308*10' gives inf, not a finite number",
       divider(".dc v1 0 {1e308*10} 0.1\n"), sim},
      {"spice/dc-not-a-source", 2, "spinxbar: net.cir:5: .dc source 'r1' is not an independent source",
       divider(".dc r1 0 1 0.1\n"), sim},
      {"spice/dc-unknown-source", 2, "spinxbar: net.cir:5: .dc source 'vx' is not an independent source",
       divider(".dc vx 0 1 0.1\n"), sim},
      {"spice/dc-nested", 2, "spinxbar: net.cir:5: nested .dc sweeps are not supported",
       divider(".dc v1 0 1 0.1 v1 0 1 0.5\n"), sim},
      {"spice/dc-missing-step", 2, "spinxbar: net.cir:5: .dc needs source start stop step",
       divider(".dc v1 0 1\n"), sim},
      {"spice/op-inside-subckt", 2, "spinxbar: net.cir:7: .op is not allowed inside a subcircuit",
       divider(".subckt s a\nR1 a 0 1k\n.op\n.ends\nX1 out s\n.op\n"), sim},
      {"spice/control-block", 2, "spinxbar: net.cir:5: unsupported control card '.control'",
       divider(".control\nrun\n.endc\n.op\n"), sim},
      {"spice/ac-analysis", 2, "spinxbar: net.cir:5: unsupported control card '.ac'",
       divider(".ac dec 10 1 1g\n"), sim},
      {"spice/ic-card", 2, "spinxbar: net.cir:5: unsupported control card '.ic'",
       divider(".ic v(out)=1\n.op\n"), sim},
      {"spice/meas-unsupported", 2, "spinxbar: net.cir:5: unsupported .meas form (only '.meas tran NAME find v(NODE) at=TIME')",
       divider(".meas tran vmax max v(out)\n.tran 1n 10n\n"), sim},
      {"spice/no-analysis", 2, "spinxbar: net.cir: no analysis (.op, .tran or .dc) to run",
       divider(""), sim},
      {"spice/floating-node", 1, "spinxbar: simulation failed: native op: singular matrix: floating node 'p' (no DC path to ground)",
       divider("R3 p q 1k\n.op\n"), sim},
      {"spice/voltage-source-loop", 1, "spinxbar: simulation failed: native op: singular matrix at i(v2): voltage sources or inductors form a loop",
       divider("V2 in 0 2\n.op\n"), sim},

      // Configurations (netlist)
      {"toml/missing-file", 2, "spinxbar: nothere.toml: cannot open",
       small(), {"netlist", "nothere.toml", "-o", "x.cir"}},
      {"toml/directory", 2, "spinxbar: d.toml: not a config file (a directory?)",
       with(small(), dir("d.toml")), {"netlist", "d.toml", "-o", "x.cir"}},
      {"toml/empty-file", 2, "spinxbar: small.toml: network.sizes: missing",
       small_with("small.toml", ""), net},
      {"toml/binary-garbage", 2, "spinxbar: small.toml:1: Encountered invalid utf-8 sequence",
       small_with("small.toml", bytes({0x00, 0xff, 0xfe, 0x10, '\n', 0x80})), net},
      {"toml/syntax-error", 2, "spinxbar: small.toml:13: Error while parsing value: could not determine value type",
       small_toml("vdd = 1.0", "vdd = = 1.0"), net},
      {"toml/duplicate-key", 2, "spinxbar: small.toml:14: Error while parsing key-value pair: cannot redefine existing floating-point 'vdd'",
       small_toml("seed = 1 ", "vdd = 2.0"), net},
      {"toml/unknown-section", 2, "spinxbar: small.toml:62: unknown section [foo] (known: network, partition, conversion, adc, sot_converter, amplifier, driver, mtj, synapse, interconnect, neuron, input, cnn, cpu, train, run, sc, smtj)",
       small_append("[foo]\nx = 1\n"), net},
      {"toml/unknown-key", 2, "spinxbar: small.toml:14: unknown key 'network.sed' (known: gains, levels, preset, seed, sizes, vdd, weights, weights_format)",
       small_toml("seed = 1 ", "sed = 1  "), net},
      {"toml/section-is-a-value", 2, "spinxbar: small.toml:1: 'run' must be a section ([run])",
       small_with("small.toml", "run = 5\n" + file_of(small(), "small.toml")), net},
      {"toml/network-sizes-missing", 2, "spinxbar: small.toml: network.sizes: missing",
       small_toml("sizes = [16, 8, 4]", "# sizes"), net},
      {"toml/network-sizes-string", 2, "spinxbar: small.toml:8: network.sizes: must be an array of integers",
       small_toml("sizes = [16, 8, 4]", "sizes = \"16-8-4\""), net},
      {"toml/network-sizes-empty", 2, "spinxbar: small.toml:8: network.sizes: needs at least two sizes (inputs and outputs)",
       small_toml("sizes = [16, 8, 4]", "sizes = []"), net},
      {"toml/network-sizes-one", 2, "spinxbar: small.toml:8: network.sizes: needs at least two sizes (inputs and outputs)",
       small_toml("sizes = [16, 8, 4]", "sizes = [16]"), net},
      {"toml/network-sizes-zero", 2, "spinxbar: small.toml:8: network.sizes: must be >= 1, got 0",
       small_toml("sizes = [16, 8, 4]", "sizes = [16, 0, 4]"), net},
      {"toml/network-sizes-float", 2, "spinxbar: small.toml:8: network.sizes: must be an integer",
       small_toml("sizes = [16, 8, 4]", "sizes = [16, 8.5, 4]"), net},
      {"toml/network-sizes-32-bit-overflow", 2, "spinxbar: small.toml:8: network.sizes: must be <= 1000000, got 4294967312",
       small_toml("sizes = [16, 8, 4]", "sizes = [4294967312, 8, 4]"), net},
      {"toml/network-sizes-negative-overflow", 2, "spinxbar: small.toml:8: network.sizes: must be >= 1, got -4294967288",
       small_toml("sizes = [16, 8, 4]", "sizes = [16, -4294967288, 4]"), net},
      {"toml/network-sizes-weights-mismatch", 2, "spinxbar: W1.csv: expected 16 x 9 (inputs x outputs), got 16 x 8",
       small_toml("sizes = [16, 8, 4]", "sizes = [16, 9, 4]"), net},
      {"toml/network-weights-missing-directory", 2, "spinxbar: nowhere/W1.csv: cannot open (no such file)",
       small_toml("weights = \".\"", "weights = \"nowhere\""), net},
      {"toml/network-weights-number", 2, "spinxbar: small.toml:9: network.weights: must be a string",
       small_toml("weights = \".\"", "weights = 5"), net},
      {"toml/network-weights-not-given", 2, "spinxbar: small.toml: network.weights: missing (directory of W1/B1 ... files)",
       small_toml("weights = \".\"", "# weights"), net},
      {"toml/network-weights-format-unknown", 2, "spinxbar: small.toml:10: network.weights_format: must be one of csv, npy, got 'xml'",
       small_toml("weights_format = \"csv\"", "weights_format = \"xml\""), net},
      {"toml/network-weights-format-npy-missing", 2, "spinxbar: ./W1.npy: cannot open (no such file)",
       small_toml("weights_format = \"csv\"", "weights_format = \"npy\""), net},
      {"toml/network-levels-four", 2, "spinxbar: small.toml:11: network.levels: must be 2, 3, 5 or 11, got 4",
       small_toml("levels = 2 ", "levels = 4 "), net},
      {"toml/network-levels-32-bit-overflow", 2, "spinxbar: small.toml:11: network.levels: must be 2, 3, 5 or 11, got 4294967298",
       small_toml("levels = 2 ", "levels = 4294967298 "), net},
      {"toml/network-levels-string", 2, "spinxbar: small.toml:11: network.levels: must be an integer",
       small_toml("levels = 2 ", "levels = \"2\""), net},
      {"toml/network-gains-count", 2, "spinxbar: small.toml: network.gains: needs one gain per layer (2), got 3",
       small_toml("gains = [10, 10]", "gains = [10, 10, 10]"), net},
      {"toml/network-gains-zero", 2, "spinxbar: small.toml:12: network.gains: gains must be > 0, got 0",
       small_toml("gains = [10, 10]", "gains = [0, 10]"), net},
      {"toml/network-gains-nan", 2, "spinxbar: small.toml:12: network.gains: must be a finite number, got nan",
       small_toml("gains = [10, 10]", "gains = [nan, 10]"), net},
      {"toml/network-gains-infinite", 2, "spinxbar: small.toml:12: network.gains: must be a finite number, got inf",
       small_toml("gains = [10, 10]", "gains = [inf, 10]"), net},
      {"toml/network-gains-string", 2, "spinxbar: small.toml:12: network.gains: 'x' is not a number",
       small_toml("gains = [10, 10]", "gains = [\"x\", 10]"), net},
      {"toml/network-vdd-negative", 2, "spinxbar: small.toml:13: network.vdd: must be > 0 V, got -1",
       small_toml("vdd = 1.0", "vdd = -1.0"), net},
      {"toml/network-vdd-infinite", 2, "spinxbar: small.toml:13: network.vdd: must be a finite number, got inf",
       small_toml("vdd = 1.0", "vdd = inf"), net},
      {"toml/network-vdd-nan", 2, "spinxbar: small.toml:13: network.vdd: must be a finite number, got nan",
       small_toml("vdd = 1.0", "vdd = nan"), net},
      {"toml/network-vdd-boolean", 2, "spinxbar: small.toml:13: network.vdd: must be a number",
       small_toml("vdd = 1.0", "vdd = true"), net},
      {"toml/network-vdd-bad-string", 2, "spinxbar: small.toml:13: network.vdd: 'one' is not a number",
       small_toml("vdd = 1.0", "vdd = \"one\""), net},
      {"toml/network-vdd-huge-string", 2, "spinxbar: small.toml:13: network.vdd: '100000000000000000000000000000000000000000000000000000000000...' is out of range",
       small_toml("vdd = 1.0", "vdd = \"1" + std::string(400, '0') + "\""), net},
      {"toml/network-seed-negative", 2, "spinxbar: small.toml:14: network.seed: must be >= 0",
       small_toml("seed = 1 ", "seed = -1 "), net},
      {"toml/network-seed-float", 2, "spinxbar: small.toml:14: network.seed: must be an integer",
       small_toml("seed = 1 ", "seed = 1.5 "), net},
      {"toml/partition-tile-one-row", 2, "spinxbar: small.toml:17: partition.tile: must be >= 2 rows, got 1",
       small_toml("tile = [4, 4]", "tile = [1, 4]"), net},
      {"toml/partition-tile-one-value", 2, "spinxbar: small.toml:17: partition.tile: must be [rows, cols]",
       small_toml("tile = [4, 4]", "tile = [4]"), net},
      {"toml/partition-tile-zero-columns", 2, "spinxbar: small.toml:17: partition.tile: must be >= 1 column, got 0",
       small_toml("tile = [4, 4]", "tile = [4, 0]"), net},
      {"toml/partition-tile-32-bit-overflow", 2, "spinxbar: small.toml:17: partition.tile: must be <= 1000000 columns, got 4294967300",
       small_toml("tile = [4, 4]", "tile = [4, 4294967300]"), net},
      {"toml/partition-tile-not-array", 2, "spinxbar: small.toml:17: partition.tile: must be [rows, cols]",
       small_toml("tile = [4, 4]", "tile = 4"), net},
      {"toml/partition-merge-unknown", 2, "spinxbar: small.toml:18: partition.merge: must be one of average, sum, got 'max'",
       small_toml("merge = \"average\"", "merge = \"max\""), net},
      {"toml/partition-readout-unknown", 2, "spinxbar: small.toml:19: partition.readout: must be one of loaded, virtual-ground, got 'current'",
       small_toml("readout = \"loaded\"", "readout = \"current\""), net},
      {"toml/amplifier-r-in-negative", 2, "spinxbar: small.toml:23: amplifier.r_in: must be > 0 ohm, got -1000",
       small_toml("r_in = 1e3", "r_in = -1e3"), net},
      {"toml/amplifier-r-in-infinite", 2, "spinxbar: small.toml:23: amplifier.r_in: must be a finite number, got inf",
       small_toml("r_in = 1e3", "r_in = inf"), net},
      {"toml/amplifier-open-loop-gain-nan", 2, "spinxbar: small.toml:24: amplifier.open_loop_gain: must be a finite number, got nan",
       small_toml("open_loop_gain = 1e6", "open_loop_gain = nan"), net},
      {"toml/amplifier-ideal-number", 2, "spinxbar: small.toml:22: amplifier.ideal: must be true or false",
       small_toml("ideal = false", "ideal = 0"), net},
      {"toml/amplifier-gbw-negative", 2, "spinxbar: small.toml:22: amplifier.gbw: must be >= 0 Hz, got -1000000000",
       small_toml("ideal = false", "gbw = -1e9\nideal = false"), net},
      {"toml/amplifier-c-load-negative", 2, "spinxbar: small.toml:22: amplifier.c_load: must be in [0, 1e-06] F, got -2e-15",
       small_toml("ideal = false", "c_load = \"-2f\"\nideal = false"), net},
      {"toml/neuron-c-load-negative", 2, "spinxbar: small.toml:48: neuron.c_load: must be in [0, 1e-06] F, got -1e-15",
       small_toml("[neuron]\n", "[neuron]\nc_load = -1e-15\n"), net},
      {"toml/neuron-r-out-negative", 2, "spinxbar: small.toml:48: neuron.r_out: must be >= 0 ohm, got -1000",
       small_toml("[neuron]\n", "[neuron]\nr_out = \"-1k\"\n"), net},
      {"toml/driver-area-negative", 2, "spinxbar: small.toml:63: driver.area: must be in [0, 1] m^2, got -1e-12",
       small_append("[driver]\narea = -1e-12\n"), net},
      {"toml/conversion-bits-zero", 2, "spinxbar: small.toml:64: conversion.bits: must be >= 1, got 0",
       small_append("[conversion]\nmode = \"adc\"\nbits = 0\nrange = 1\n"), net},
      {"toml/conversion-bits-17", 2, "spinxbar: small.toml:64: conversion.bits: must be <= 16, got 17",
       small_append("[conversion]\nmode = \"adc\"\nbits = 17\nrange = 1\n"), net},
      {"toml/conversion-samples-zero", 2, "spinxbar: small.toml:64: conversion.samples: must be >= 1, got 0",
       small_append("[conversion]\nmode = \"stochastic-mtj\"\nsamples = 0\n"), net},
      {"toml/conversion-range-zero", 2, "spinxbar: small.toml:64: conversion.range: must be > 0 V, got 0",
       small_append("[conversion]\nmode = \"adc\"\nrange = 0\n"), net},
      {"toml/conversion-range-negative-in-layer", 2, "spinxbar: small.toml:64: conversion.range: must be > 0 V, got -0.5",
       small_append("[conversion]\nmode = \"adc\"\nrange = [1, -0.5]\n"), net},
      {"toml/conversion-mode-unknown", 2, "spinxbar: small.toml:63: conversion.mode: must be one of analog, adc, stochastic-mtj, got 'flash'",
       small_append("[conversion]\nmode = \"flash\"\n"), net},
      {"toml/conversion-per-layer-count", 2, "spinxbar: small.toml:64: conversion.bits: needs one value for all layers or one per layer (2), got 3",
       small_append("[conversion]\nmode = \"adc\"\nbits = [4, 4, 4]\nrange = 1\n"), net},
      {"toml/conversion-range-missing", 2, "spinxbar: small.toml:63: conversion.range: missing for layer 1 (adc): give the clipping range in V, or weights trained with [conversion] (their model.json holds it)",
       small_append("[conversion]\nmode = \"adc\"\n"), net},
      {"toml/conversion-key-without-mode", 2, "spinxbar: small.toml:63: conversion.bits: needs conversion.mode",
       small_append("[conversion]\nbits = 4\n"), net},
      {"toml/conversion-noise-negative", 2, "spinxbar: small.toml:64: conversion.noise: must be in [0, 65536] LSB rms, got -1",
       small_append("[conversion]\nmode = \"adc\"\nnoise = -1\nrange = 1\n"), net},
      {"toml/sot-converter-tau0-zero", 2, "spinxbar: small.toml:63: sot_converter.tau0: must be in (0, 1e-06] s, got 0",
       small_append("[sot_converter]\ntau0 = 0\n"), net},
      {"toml/sot-converter-law-unknown", 2, "spinxbar: small.toml:63: sot_converter.law: must be one of thermal, sigmoid, got 'macrospin'",
       small_append("[sot_converter]\nlaw = \"macrospin\"\n"), net},
      {"toml/adc-fom-negative", 2, "spinxbar: small.toml:63: adc.fom: must be in (0, 1e-09] J, got -1e-15",
       small_append("[adc]\nfom = -1e-15\n"), net},
      {"toml/conversion-stochastic-virtual-ground", 2,
       "spinxbar: --set conversion.mode=\"stochastic-mtj\": conversion.mode: stochastic-mtj needs partition.readout = \"loaded\" "
       "(its write path is the difference amplifier's output stage), got \"virtual-ground\"",
       small(), net + Args{"--set", "conversion.mode=\"stochastic-mtj\"", "--set", "partition.readout=\"virtual-ground\"", "--set",
                           "conversion.range=1"}},
      {"toml/mtj-barrier-zero", 2, "spinxbar: small.toml:28: mtj.barrier: must be in (0, 1e-06] m, got 0",
       small_toml("[mtj]\n", "[mtj]\nbarrier = 0\n"), net},
      {"toml/cnn-shapes-do-not-chain", 2, "spinxbar: small.toml:64: cnn.layers[1]: a 4x4 window does not fit a 2x2x2 input",
       small_append("[cnn]\ninput = [1, 4, 4]\nlayers = [\"conv 2 3\", \"pool max 4\"]\n"), net},
      {"toml/cnn-features-mismatch", 2, "spinxbar: small.toml:64: cnn.layers: the features give 32 values (2x4x4), network.sizes starts with 16; the crossbar FC layers take the flattened features",
       small_append("[cnn]\ninput = [1, 4, 4]\nlayers = [\"conv 2 3 pad=1\"]\n"), net},
      {"toml/cnn-without-fc", 2, "spinxbar: small.toml:8: network.sizes: a CNN needs FC layers on the crossbars after its features: give [features, ..., classes]",
       with(small(), Entry{"small.toml", replace_once(file_of(small(), "small.toml"), "sizes = [16, 8, 4]", "sizes = [16]") +
                                              "[cnn]\ninput = [1, 4, 4]\nlayers = [\"relu\"]\n"}), net},
      {"toml/cnn-layer-unknown", 2, "spinxbar: small.toml:64: cnn.layers[0]: 'dense' is not a layer kind (expected \"conv OUT K [stride=S] [pad=P]\", \"pool max|average SIZE [stride=S]\" or \"relu\")",
       small_append("[cnn]\ninput = [1, 4, 4]\nlayers = [\"dense 10\"]\n"), net},
      {"toml/cnn-conv-bad-option", 2, "spinxbar: small.toml:64: cnn.layers[0]: 'dilation=2' is not an option of conv (expected \"conv OUT K [stride=S] [pad=P]\", \"pool max|average SIZE [stride=S]\" or \"relu\")",
       small_append("[cnn]\ninput = [1, 4, 4]\nlayers = [\"conv 1 3 dilation=2\"]\n"), net},
      {"toml/cnn-input-short", 2, "spinxbar: small.toml:63: cnn.input: must be [channels, height, width]",
       small_append("[cnn]\ninput = [4, 4]\nlayers = [\"relu\"]\n"), net},
      {"toml/cnn-no-model", 2, "spinxbar: small.toml: cnn.model: ./model.json: cannot open",
       small_append("[cnn]\ninput = [1, 4, 4]\nlayers = [\"relu\"]\n"), net},
      {"toml/amplifier-gain-key", 2, "spinxbar: small.toml:22: unknown key 'amplifier.gain' (known: area, c_load, gbw, i_quiescent, ideal, merge_r, open_loop_gain, r_in, r_out, slew_rate, supply)",
       small_toml("ideal = false", "gain = 10"), net},
      {"toml/mtj-ra-negative", 2, "spinxbar: small.toml:28: mtj.ra: must be > 0 ohm.m^2, got -1",
       small_toml("ra = 10e-12", "ra = -1"), net},
      {"toml/mtj-ra-bad-string", 2, "spinxbar: small.toml:28: mtj.ra: 'ten' is not a number",
       small_toml("ra = 10e-12", "ra = \"ten\""), net},
      {"toml/mtj-tmr0-nan", 2, "spinxbar: small.toml:31: mtj.tmr0: must be a finite number, got nan",
       small_toml("tmr0 = 2.0", "tmr0 = nan"), net},
      {"toml/mtj-major-axis-infinite", 2, "spinxbar: small.toml:29: mtj.major_axis: must be a finite number, got inf",
       small_toml("major_axis = 50e-9", "major_axis = inf"), net},
      {"toml/mtj-bias-dependence-string", 2, "spinxbar: small.toml:33: mtj.bias_dependence: must be true or false",
       small_toml("bias_dependence = false", "bias_dependence = \"no\""), net},
      {"toml/synapse-r-low-zero", 2, "spinxbar: small.toml:37: synapse.r_low: must be > 0 ohm, got 0",
       small_toml("variation = \"none\"", "r_low = 0"), net},
      {"toml/synapse-r-high-below-r-low", 2, "spinxbar: small.toml: synapse.r_high: must be above r_low (8488.263631567752 ohm), got 1000 ohm",
       small_toml("variation = \"none\"", "r_high = 1e3"), net},
      {"toml/synapse-r-high-infinite", 2, "spinxbar: small.toml:37: synapse.r_high: must be a finite number, got inf",
       small_toml("variation = \"none\"", "r_high = inf"), net},
      {"toml/synapse-variation-unknown", 2, "spinxbar: small.toml:37: synapse.variation: must be one of none, uniform, gaussian, got 'poisson'",
       small_toml("variation = \"none\"", "variation = \"poisson\""), net},
      {"toml/synapse-variation-percent-above-100", 2, "spinxbar: small.toml:38: synapse.variation_percent: must be in [0, 100], got 101",
       small_toml("variation_percent = 0", "variation_percent = 101"), net},
      {"toml/synapse-variation-percent-nan", 2, "spinxbar: small.toml:38: synapse.variation_percent: must be a finite number, got nan",
       small_toml("variation_percent = 0", "variation_percent = nan"), net},
      {"toml/interconnect-resistance-string", 2, "spinxbar: small.toml:41: interconnect.resistance: must be true or false",
       small_toml("resistance = true", "resistance = \"yes\""), net},
      {"toml/interconnect-coupling-unknown", 2, "spinxbar: small.toml:43: interconnect.coupling: must be one of ground, explicit, got 'both'",
       small_toml("coupling = \"ground\"", "coupling = \"both\""), net},
      {"toml/interconnect-node-negative", 2, "spinxbar: small.toml:44: interconnect.node: must be in (0, 1e-06] m, got -9e-09",
       small_toml("node = 9e-9", "node = -9e-9"), net},
      {"toml/interconnect-node-infinite", 2, "spinxbar: small.toml:44: interconnect.node: must be a finite number, got inf",
       small_toml("node = 9e-9", "node = inf"), net},
      {"toml/interconnect-thickness-zero", 2, "spinxbar: small.toml:45: interconnect.thickness: must be in (0, 1e-05] m, got 0",
       small_toml("thickness = 22e-9", "thickness = 0"), net},
      {"toml/neuron-model-unknown", 2, "spinxbar: small.toml:48: neuron.model: must be one of ideal, curve, sot, sot-transistor, got 'relu'",
       small_toml("model = \"ideal\"", "model = \"relu\""), net},
      {"toml/neuron-slope-zero", 2, "spinxbar: small.toml:49: neuron.slope: must be > 0 V, got 0",
       small_toml("slope = 0.1", "slope = 0"), net},
      {"toml/neuron-slope-infinite", 2, "spinxbar: small.toml:49: neuron.slope: must be a finite number, got inf",
       small_toml("slope = 0.1", "slope = inf"), net},
      {"toml/neuron-offset-nan", 2, "spinxbar: small.toml:50: neuron.offset: must be a finite number, got nan",
       small_toml("offset = 0.0", "offset = nan"), net},
      {"toml/neuron-curve-without-file", 2, "spinxbar: small.toml: neuron.curve: the curve model needs a curve file",
       small_toml("model = \"ideal\"", "model = \"curve\""), net},
      {"toml/neuron-curve-missing-file", 2, "spinxbar: small.toml:50: neuron.curve: nothere.csv: cannot open (no such file)",
       small_toml("offset = 0.0", "curve = \"nothere.csv\""), net + Args{"--set", "neuron.model=curve"}},
    {"toml/neuron-curve-three-columns", 2, "spinxbar: small.toml:50: neuron.curve: curve.csv: needs two columns (input, output), got 3",
       with(small_toml("offset = 0.0", "curve = \"curve.csv\""), Entry{"curve.csv", "-1,1,0\n1,0,0\n"}),
       net + Args{"--set", "neuron.model=curve"}},
      {"toml/neuron-curve-bad-cell", 2, "spinxbar: small.toml:50: neuron.curve: curve.csv:2:2: not a number: 'half'",
       with(small_toml("offset = 0.0", "curve = \"curve.csv\""), Entry{"curve.csv", "-1,1\n0,half\n1,0\n"}),
       net + Args{"--set", "neuron.model=curve"}},
      {"toml/neuron-curve-not-increasing", 2, "spinxbar: neuron.curve: inputs must increase, point 2 is 0 after 1",
       with(small_toml("offset = 0.0", "curve = \"curve.csv\""), Entry{"curve.csv", "-1,1\n1,0.5\n0,0\n"}),
       net + Args{"--set", "neuron.model=curve"}},
      {"toml/neuron-curve-one-point", 2, "spinxbar: neuron.curve: needs two or more (input, output) points",
       with(small_toml("offset = 0.0", "curve = \"curve.csv\""), Entry{"curve.csv", "0,0.5\n"}),
       net + Args{"--set", "neuron.model=curve"}},
      {"toml/neuron-curve-nan", 2, "spinxbar: small.toml:50: neuron.curve: curve.csv:2:2: value is NaN",
       with(small_toml("offset = 0.0", "curve = \"curve.csv\""), Entry{"curve.csv", "-1,1\n0,nan\n1,0\n"}),
       net + Args{"--set", "neuron.model=curve"}},
      {"toml/neuron-range-reversed", 2, "spinxbar: small.toml:50: neuron.range: must be [low, high] with low < high (V)",
       small_toml("offset = 0.0", "range = [1.5, -1.5]"), net},
      {"toml/neuron-step-zero", 2, "spinxbar: small.toml:50: neuron.step: must be > 0 V, got 0",
       small_toml("offset = 0.0", "step = 0"), net},
      {"toml/input-values-count", 2, "spinxbar: small.toml: input.values: the network has 16 inputs, got 17 values",
       small_toml("dataset = \"test_data.csv\"", "values = [" + ones16 + ", 1]"), net},
      {"toml/input-values-nan", 2, "spinxbar: small.toml:53: input.values: must be a finite number, got nan",
       small_toml("dataset = \"test_data.csv\"", "values = [nan, " + repeat("1", 15, ", ") + "]"), net},
      {"toml/input-values-infinite", 2, "spinxbar: small.toml:53: input.values: must be a finite number, got inf",
       small_toml("dataset = \"test_data.csv\"", "values = [inf, " + repeat("1", 15, ", ") + "]"), net},
      {"toml/input-values-string", 2, "spinxbar: small.toml:53: input.values: must be an array of numbers",
       small_toml("dataset = \"test_data.csv\"", "values = \"ones\""), net},
      {"toml/input-values-and-dataset", 2, "spinxbar: small.toml:58: input.values: give values or a dataset, not both",
       small_toml("first = 0", "values = [" + ones16 + "]"), net},
      {"toml/input-dataset-missing-file", 2, "spinxbar: nothere.csv: cannot open (no such file)",
       small_toml("dataset = \"test_data.csv\"", "dataset = \"nothere.csv\""), net},
      {"toml/input-dataset-number", 2, "spinxbar: small.toml:53: input.dataset: must be a string",
       small_toml("dataset = \"test_data.csv\"", "dataset = 7"), net},
      {"toml/input-dataset-empty-string", 2, "spinxbar: small.toml: input: give values or a dataset",
       small_toml("dataset = \"test_data.csv\"", "dataset = \"\""), net},
      {"toml/input-labels-missing-file", 2, "spinxbar: nothere.csv: cannot open (no such file)",
       small_toml("labels = \"test_labels.csv\"", "labels = \"nothere.csv\""), net},
      {"toml/input-crop-negative", 2, "spinxbar: small.toml:58: input.crop: must be >= 0, got -1",
       small_toml("first = 0", "crop = -1"), net},
      {"toml/input-resize-negative", 2, "spinxbar: small.toml:58: input.resize: must be >= 0, got -2",
       small_toml("first = 0", "resize = -2"), net},
      {"toml/input-threshold-one", 2, "spinxbar: small.toml:58: input.threshold: must be in [0, 1) of full scale",
       small_toml("first = 0", "threshold = 1"), net},
      {"toml/input-high-nan", 2, "spinxbar: small.toml:56: input.high: must be a finite number, got nan",
       small_toml("high = 1.0", "high = nan"), net},
      {"toml/input-low-infinite", 2, "spinxbar: small.toml:57: input.low: must be a finite number, got -inf",
       small_toml("low = -1.0", "low = -inf"), net},
      {"toml/input-first-negative", 2, "spinxbar: small.toml:58: input.first: must be >= 0, got -1",
       small_toml("first = 0", "first = -1"), net},
      {"toml/input-first-32-bit-overflow", 2, "spinxbar: small.toml:58: input.first: must be <= 2147483647, got 4294967296",
       small_toml("first = 0", "first = 4294967296"), net},
      {"toml/input-images-zero", 2, "spinxbar: small.toml:59: input.images: must be >= 1, got 0",
       small_toml("images = 1", "images = 0"), net},
      {"toml/input-images-32-bit-overflow", 2, "spinxbar: small.toml:59: input.images: must be <= 2147483647, got 4294967298",
       small_toml("images = 1", "images = 4294967298"), net},
      {"toml/input-window-zero", 2, "spinxbar: small.toml:60: input.window: must be > 0 s, got 0",
       small_toml("window = 50e-9", "window = 0"), net},
      {"toml/input-window-nan", 2, "spinxbar: small.toml:60: input.window: must be a finite number, got nan",
       small_toml("window = 50e-9", "window = nan"), net},
      {"toml/input-edge-not-shorter", 2, "spinxbar: small.toml: input.edge: must be shorter than input.window (5e-08 s), got 6e-08 s",
       small_toml("edge = 0.1e-9", "edge = 60e-9"), net},
      {"toml/train-epochs-zero", 2, "spinxbar: small.toml:63: train.epochs: must be >= 1, got 0",
       small_append("[train]\nepochs = 0\n"), net},
      {"toml/train-epochs-32-bit-overflow", 2, "spinxbar: small.toml:63: train.epochs: must be <= 2147483647, got 4294967297",
       small_append("[train]\nepochs = 4294967297\n"), net},
      {"toml/train-batch-zero", 2, "spinxbar: small.toml:63: train.batch: must be >= 1, got 0",
       small_append("[train]\nbatch = 0\n"), net},
      {"toml/train-batch-32-bit-overflow", 2, "spinxbar: small.toml:63: train.batch: must be <= 2147483647, got 4294967296",
       small_append("[train]\nbatch = 4294967296\n"), net},
      {"toml/train-optimizer-unknown", 2, "spinxbar: small.toml:63: train.optimizer: must be one of adam, sgd, got 'rmsprop'",
       small_append("[train]\noptimizer = \"rmsprop\"\n"), net},
      {"toml/train-learning-rate-negative", 2, "spinxbar: small.toml:63: train.learning_rate: must be > 0, got -0.1",
       small_append("[train]\nlearning_rate = -0.1\n"), net},
      {"toml/train-learning-rate-infinite", 2, "spinxbar: small.toml:63: train.learning_rate: must be a finite number, got inf",
       small_append("[train]\nlearning_rate = inf\n"), net},
      {"toml/train-lr-decay-above-one", 2, "spinxbar: small.toml:63: train.lr_decay: must be in (0, 1], got 2",
       small_append("[train]\nlr_decay = 2\n"), net},
      {"toml/train-momentum-one", 2, "spinxbar: small.toml:63: train.momentum: must be in [0, 1), got 1",
       small_append("[train]\nmomentum = 1\n"), net},
      {"toml/train-validation-one", 2, "spinxbar: small.toml:63: train.validation: must be in [0, 1), got 1",
       small_append("[train]\nvalidation = 1\n"), net},
      {"toml/train-noise-negative", 2, "spinxbar: small.toml:63: train.noise: must be >= 0, got -0.1",
       small_append("[train]\nnoise = -0.1\n"), net},
      {"toml/train-noise-infinite", 2, "spinxbar: small.toml:63: train.noise: must be a finite number, got inf",
       small_append("[train]\nnoise = inf\n"), net},
      {"toml/train-threads-zero", 2, "spinxbar: small.toml:63: train.threads: must be >= 1, got 0",
       small_append("[train]\nthreads = 0\n"), net},
      {"toml/train-seed-negative", 2, "spinxbar: small.toml:63: train.seed: must be >= 0, got -5",
       small_append("[train]\nseed = -5\n"), net},
      {"toml/train-weights-unknown", 2, "spinxbar: small.toml:63: train.weights: must be one of float, binary, ternary, 5-level, 11-level, got '7-level'",
       small_append("[train]\nweights = \"7-level\"\n"), net},
      {"toml/train-model-unknown", 2, "spinxbar: small.toml:63: train.model: must be one of crossbar, software, got 'spiking'",
       small_append("[train]\nmodel = \"spiking\"\n"), net},
      {"toml/train-activation-unknown", 2, "spinxbar: small.toml:63: train.activation: must be one of sigmoid, reverse-sigmoid, relu, hardtanh, curve, got 'gelu'",
       small_append("[train]\nactivation = \"gelu\"\n"), net},
      {"toml/train-unknown-key", 2, "spinxbar: small.toml:63: unknown key 'train.epoch' (known: activation, batch, epochs, init, interconnect, learn_scale, learning_rate, lr_decay, model, momentum, noise, optimizer, patience, refit, seed, threads, validation, weights)",
       small_append("[train]\nepoch = 3\n"), net},
      {"toml/run-analysis-unknown", 2, "spinxbar: small.toml:63: run.analysis: must be one of op, tran, got 'ac'",
       small_append("[run]\nanalysis = \"ac\"\n"), net},
      {"toml/run-interconnect-unknown", 2, "spinxbar: small.toml:63: run.interconnect: must be one of reduced, full, got 'prima'",
       small_append("[run]\ninterconnect = \"prima\"\n"), net},
      {"toml/run-tolerance-one", 2, "spinxbar: small.toml:63: run.tolerance: must be in (0, 1) of vdd, got 1",
       small_append("[run]\ntolerance = 1\n"), net},
      {"toml/run-step-zero", 2, "spinxbar: small.toml:63: run.step: must be > 0 s, got 0",
       small_append("[run]\nstep = 0\n"), net},
      {"toml/run-threads-zero", 2, "spinxbar: small.toml:63: run.threads: must be >= 1, got 0",
       small_append("[run]\nthreads = 0\n"), net},
      {"toml/run-threads-32-bit-overflow", 2, "spinxbar: small.toml:63: run.threads: must be <= 1024, got 4294967297",
       small_append("[run]\nthreads = 4294967297\n"), net},

      // --set overrides (netlist, run, train)
      {"set/no-equals", 2, "spinxbar: --set network.vdd: expected section.key=value, e.g. interconnect.resistance=false",
       small(), net + Args{"--set", "network.vdd"}},
      {"set/no-section", 2, "spinxbar: --set vdd=1.5: expected section.key=value, e.g. interconnect.resistance=false",
       small(), net + Args{"--set", "vdd=1.5"}},
      {"set/empty-key", 2, "spinxbar: --set network.=1: unknown key 'network.' (known: gains, levels, preset, seed, sizes, vdd, weights, weights_format)",
       small(), net + Args{"--set", "network.=1"}},
      {"set/unknown-section", 2, "spinxbar: --set foo.bar=1: unknown section [foo] (known: network, partition, conversion, adc, sot_converter, amplifier, driver, mtj, synapse, interconnect, neuron, input, cnn, cpu, train, run, sc, smtj)",
       small(), net + Args{"--set", "foo.bar=1"}},
      {"set/unknown-key", 2, "spinxbar: --set network.foo=1: unknown key 'network.foo' (known: gains, levels, preset, seed, sizes, vdd, weights, weights_format)",
       small(), net + Args{"--set", "network.foo=1"}},
      {"set/dotted-key", 2, "spinxbar: --set network.sizes.x=1: unknown key 'network.sizes.x' (known: gains, levels, preset, seed, sizes, vdd, weights, weights_format)",
       small(), net + Args{"--set", "network.sizes.x=1"}},
      {"set/wrong-type", 2, "spinxbar: --set network.vdd=true: network.vdd: must be a number",
       small(), net + Args{"--set", "network.vdd=true"}},
      {"set/out-of-range", 2, "spinxbar: --set network.vdd=-1: network.vdd: must be > 0 V, got -1",
       small(), net + Args{"--set", "network.vdd=-1"}},
      {"set/empty-value", 2, "spinxbar: --set network.vdd=: network.vdd: '' is not a number",
       small(), net + Args{"--set", "network.vdd="}},
      {"set/unclosed-array", 2, "spinxbar: --set network.sizes=[16,8: network.sizes: must be an array of integers",
       small(), net + Args{"--set", "network.sizes=[16,8"}},
      {"set/unclosed-quote", 2, "spinxbar: --set network.weights=\".: Error while parsing key-value pair: expected a comment or whitespace, saw '.'",
       small(), net + Args{"--set", "network.weights=\"."}},
      {"set/array-element-type", 2, "spinxbar: --set network.gains=[10,\"x\"]: network.gains: 'x' is not a number",
       small(), net + Args{"--set", "network.gains=[10,\"x\"]"}},
      {"set/array-element-range", 2, "spinxbar: --set network.sizes=[16,0,4]: network.sizes: must be >= 1, got 0",
       small(), net + Args{"--set", "network.sizes=[16,0,4]"}},
      {"set/32-bit-overflow", 2, "spinxbar: --set network.sizes=[4294967312,8,4]: network.sizes: must be <= 1000000, got 4294967312",
       small(), net + Args{"--set", "network.sizes=[4294967312,8,4]"}},
      {"set/second-of-two", 2, "spinxbar: --set mtj.ra=-1: mtj.ra: must be > 0 ohm.m^2, got -1",
       small(), net + Args{"--set", "network.vdd=2", "--set", "mtj.ra=-1"}},
    {"set/huge-value", 2, "spinxbar: wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww... (99641 more bytes)",
       small(), net + Args{"--set", "network.weights=" + std::string(100000, 'w')}},
      {"set/run-first-negative", 2, "spinxbar: --set input.first=-1: input.first: must be >= 0, got -1",
       small(), run + Args{"--set", "input.first=-1"}},
      {"set/run-dataset-missing", 2, "spinxbar: nothere.csv: cannot open (no such file)",
       small(), run + Args{"--set", "input.dataset=nothere.csv"}},
      {"set/train-batch-zero", 2, "spinxbar: --set train.batch=0: train.batch: must be >= 1, got 0",
       small_idx(), idx_train + Args{"--set", "train.batch=0"}},

      // Weight files: CSV
      {"weights/csv-bad-cell", 2, "spinxbar: W1.csv:3:2: not a number: 'abc'",
       small_with("W1.csv", w1_cell(3, 2, "abc")), net},
      {"weights/csv-empty-cell", 2, "spinxbar: W1.csv:3:2: not a number: ''",
       small_with("W1.csv", w1_cell(3, 2, "")), net},
      {"weights/csv-hex-cell", 2, "spinxbar: W1.csv:3:2: not a number: '0x1'",
       small_with("W1.csv", w1_cell(3, 2, "0x1")), net},
      {"weights/csv-plus-sign", 2, "spinxbar: W1.csv:3:2: not a number: '+1'",
       small_with("W1.csv", w1_cell(3, 2, "+1")), net},
      {"weights/csv-nan", 2, "spinxbar: W1.csv:3:2: value is NaN",
       small_with("W1.csv", w1_cell(3, 2, "nan")), net},
    {"weights/csv-infinite", 2, "spinxbar: W1.csv:3:2: not a finite number: 'inf'",
       small_with("W1.csv", w1_cell(3, 2, "inf")), net},
      {"weights/csv-not-a-level", 2, "spinxbar: W1.csv:3:2: 0.5 is not one of the 2 weight levels (multiples of 1/1 in [-1, 1], not 0)",
       small_with("W1.csv", w1_cell(3, 2, "0.5")), net},
      {"weights/csv-zero-binary", 2, "spinxbar: W1.csv:3:2: 0 is not one of the 2 weight levels (multiples of 1/1 in [-1, 1], not 0)",
       small_with("W1.csv", w1_cell(3, 2, "0")), net},
      {"weights/csv-ternary-half", 2, "spinxbar: W1.csv:3:2: 0.5 is not one of the 3 weight levels (multiples of 1/1 in [-1, 1])",
       with(small_toml("levels = 2 ", "levels = 3 "), Entry{"W1.csv", w1_cell(3, 2, "0.5")}), net},
    {"weights/csv-huge-cell", 2, "spinxbar: W1.csv:3:2: not a number: '111111111111111111111111111111111111111111111111111111111111...'",
       small_with("W1.csv", w1_cell(3, 2, std::string(1 << 20, '1'))), net},
      {"weights/csv-row-width", 2, "spinxbar: W1.csv:3: expected 8 values like the rows above, got 9",
       small_with("W1.csv", w1_cell(3, 2, "1,1")), net},
      {"weights/csv-too-few-rows", 2, "spinxbar: W1.csv: expected 16 x 8 (inputs x outputs), got 15 x 8",
       small_with("W1.csv", first_lines(file_of(small(), "W1.csv"), 15)), net},
      {"weights/csv-transposed", 2, "spinxbar: W1.csv: expected 16 x 8 (inputs x outputs), got 8 x 16",
       small_with("W1.csv", repeat(repeat("1", 16, ","), 8, "\n") + "\n"), net},
      {"weights/csv-empty-file", 2, "spinxbar: W1.csv: no values",
       small_with("W1.csv", ""), net},
      {"weights/csv-blank-lines", 2, "spinxbar: W1.csv: no values",
       small_with("W1.csv", "\n\n  \n"), net},
      {"weights/csv-semicolons", 2, "spinxbar: W1.csv:1:1: not a number: '1;1;1;1;1;1;1;1'",
       small_with("W1.csv", repeat(repeat("1", 8, ";"), 16, "\n") + "\n"), net},
      {"weights/csv-binary-garbage", 2, "spinxbar: W1.csv:1:1: not a number: '??\377\376?[2J'",
       small_with("W1.csv", bytes({0x00, 0x01, 0xff, 0xfe, 0x1b, '[', '2', 'J'})), net},
      {"weights/csv-directory", 2, "spinxbar: ./W1.csv: cannot open (a directory)",
       with(without(small(), "W1.csv"), dir("W1.csv")), net},
      {"weights/csv-missing", 2, "spinxbar: ./W2.csv: cannot open (no such file)",
       without(small(), "W2.csv"), net},
      {"weights/csv-bias-count", 2, "spinxbar: B1.csv: expected 8 x 1 (one bias per output), got 7 x 1",
       small_with("B1.csv", "1\n1\n1\n1\n1\n1\n1\n"), net},
      {"weights/csv-bias-matrix", 2, "spinxbar: B1.csv: expected 8 x 1 (one bias per output), got 8 x 2",
       small_with("B1.csv", repeat("1,1", 8, "\n") + "\n"), net},
      {"weights/csv-bias-nan", 2, "spinxbar: B2.csv:2:1: value is NaN",
       small_with("B2.csv", "1\nnan\n-1\n1\n"), net},
      {"weights/csv-symlink-loop", 2, "spinxbar: ./W1.csv: cannot open (too many levels of symbolic links)",
       with(without(small(), "W1.csv"), link("W1.csv", "W1.csv")), net},

      // Weight files: NumPy
      {"npy/bad-magic", 2, "spinxbar: W1.npy: not a .npy file",
       npy_with("W1.npy", "\x93NUMPZ" + npy_f8(16, 8, std::vector<double>(128, 1.0)).substr(6)), net},
      {"npy/too-short", 2, "spinxbar: W1.npy: not a .npy file",
       npy_with("W1.npy", "\x93NUMPY"), net},
      {"npy/empty", 2, "spinxbar: W1.npy: not a .npy file",
       npy_with("W1.npy", ""), net},
      {"npy/version-9", 2, "spinxbar: W1.npy: unsupported .npy version 9",
       npy_with("W1.npy", npy_raw(npy_dict("<f8", "(16, 8)"), f8(std::vector<double>(128, 1.0)), 9)), net},
      {"npy/version-2-truncated", 2, "spinxbar: W1.npy: truncated header",
       npy_with("W1.npy", "\x93NUMPY" + bytes({2, 0, 0x40, 0})), net},
      {"npy/header-past-end", 2, "spinxbar: W1.npy: truncated header",
       npy_with("W1.npy", "\x93NUMPY" + bytes({1, 0, 0xff, 0xff}) + "{'descr': '<f8'"), net},
      {"npy/version-2-huge-header", 2, "spinxbar: W1.npy: truncated header",
       npy_with("W1.npy", "\x93NUMPY" + bytes({2, 0, 0xff, 0xff, 0xff, 0xff}) + "{'descr': '<f8'"), net},
      {"npy/no-descr", 2, "spinxbar: W1.npy: header has no 'descr'",
       npy_with("W1.npy", npy_raw("{'fortran_order': False, 'shape': (16, 8), }", f8(std::vector<double>(128, 1.0)))), net},
      {"npy/no-fortran-order", 2, "spinxbar: W1.npy: header has no 'fortran_order'",
       npy_with("W1.npy", npy_raw("{'descr': '<f8', 'shape': (16, 8), }", f8(std::vector<double>(128, 1.0)))), net},
      {"npy/bad-fortran-order", 2, "spinxbar: W1.npy: header: True or False expected at byte 34 of '{'descr': '<f8', 'fortran_order': Maybe, 'shape': (16, 8), }                    ...'",
       npy_with("W1.npy", npy_raw(npy_dict("<f8", "(16, 8)", "Maybe"), f8(std::vector<double>(128, 1.0)))), net},
      {"npy/no-shape", 2, "spinxbar: W1.npy: header has no 'shape'",
       npy_with("W1.npy", npy_raw("{'descr': '<f8', 'fortran_order': False, }", f8(std::vector<double>(128, 1.0)))), net},
      {"npy/big-endian", 2, "spinxbar: W1.npy: unsupported dtype '>f8' (little-endian float32/64 or int8/16/32/64)",
       npy_with("W1.npy", npy_raw(npy_dict(">f8", "(16, 8)"), f8(std::vector<double>(128, 1.0)))), net},
      {"npy/complex", 2, "spinxbar: W1.npy: unsupported dtype '<c16' (little-endian float32/64 or int8/16/32/64)",
       npy_with("W1.npy", npy_raw(npy_dict("<c16", "(16, 8)"), f8(std::vector<double>(256, 1.0)))), net},
      {"npy/unicode", 2, "spinxbar: W1.npy: unsupported dtype '<U1' (little-endian float32/64 or int8/16/32/64)",
       npy_with("W1.npy", npy_raw(npy_dict("<U1", "(16, 8)"), std::string(512, 'a'))), net},
      {"npy/float16", 2, "spinxbar: W1.npy: unsupported dtype '<f2' (little-endian float32/64 or int8/16/32/64)",
       npy_with("W1.npy", npy_raw(npy_dict("<f2", "(16, 8)"), std::string(256, '\0'))), net},
      {"npy/dtype-trailing-garbage", 2, "spinxbar: W1.npy: unsupported dtype '<f8x' (little-endian float32/64 or int8/16/32/64)",
       npy_with("W1.npy", npy_raw(npy_dict("<f8x", "(16, 8)"), f8(std::vector<double>(128, 1.0)))), net},
      {"npy/three-dimensions", 2, "spinxbar: W1.npy: only 1-D and 2-D arrays are supported, got 3 dimensions",
       npy_with("W1.npy", npy_raw(npy_dict("<f8", "(16, 8, 1)"), f8(std::vector<double>(128, 1.0)))), net},
      {"npy/zero-dimensions", 2, "spinxbar: W1.npy: only 1-D and 2-D arrays are supported, got 0 dimensions",
       npy_with("W1.npy", npy_raw(npy_dict("<f8", "()"), f8({1.0}))), net},
      {"npy/transposed", 2, "spinxbar: W1.npy: expected 16 x 8 (inputs x outputs), got 8 x 16",
       npy_with("W1.npy", npy_f8(8, 16, std::vector<double>(128, 1.0))), net},
      {"npy/negative-shape", 2, "spinxbar: W1.npy: header: a shape number expected at byte 51 of '{'descr': '<f8', 'fortran_order': False, 'shape': (-16, 8), }                   ...'",
       npy_with("W1.npy", npy_raw(npy_dict("<f8", "(-16, 8)"), f8(std::vector<double>(128, 1.0)))), net},
      {"npy/shape-32-bit-overflow", 2, "spinxbar: W1.npy: shape dimension 4294967312 is too large",
       npy_with("W1.npy", npy_raw(npy_dict("<f8", "(4294967312, 8)"), f8(std::vector<double>(128, 1.0)))), net},
      {"npy/shape-product-overflow", 2, "spinxbar: W1.npy: shape dimension 2147483648 is too large",
       npy_with("W1.npy", npy_raw(npy_dict("<f8", "(2147483648, 2147483648)"), f8(std::vector<double>(128, 1.0)))), net},
      {"npy/shape-beyond-64-bit", 2, "spinxbar: W1.npy: header: shape number out of range at byte 51 of '{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999, 8), ...'",
       npy_with("W1.npy", npy_raw(npy_dict("<f8", "(99999999999999999999999, 8)"), f8(std::vector<double>(128, 1.0)))), net},
      {"npy/truncated-data", 2, "spinxbar: W1.npy: 128 values expected, file is too short",
       npy_with("W1.npy", npy_f8(16, 8, std::vector<double>(128, 1.0)).substr(0, 128 + 500)), net},
      {"npy/nan", 2, "spinxbar: W1.npy[2,1]: value is NaN",
       npy_with("W1.npy", npy_f8(16, 8, [] { std::vector<double> v(128, 1.0); v[17] = NAN; return v; }())), net},
      {"npy/not-a-level", 2, "spinxbar: W1.npy[2,1]: 0.5 is not one of the 2 weight levels (multiples of 1/1 in [-1, 1], not 0)",
       npy_with("W1.npy", npy_f8(16, 8, [] { std::vector<double> v(128, 1.0); v[17] = 0.5; return v; }())), net},
      {"npy/int8-not-a-level", 2, "spinxbar: W1.npy[15,7]: 2 is not one of the 2 weight levels (multiples of 1/1 in [-1, 1], not 0)",
       npy_with("W1.npy", npy_raw(npy_dict("|i1", "(16, 8)"), std::string(127, '\1') + "\2")), net},
      {"npy/bias-shape", 2, "spinxbar: B1.npy: expected 8 x 1 (one bias per output), got 2 x 4",
       npy_with("B1.npy", npy_f8(2, 4, std::vector<double>(8, 1.0))), net},

      // IDX datasets (run over idx/)
      {"idx/images-bad-magic", 2, "spinxbar: idx/t10k-images-idx3-ubyte: not an IDX image file (magic 0x00000803 expected)",
       idx_with(idx_test_images, be32(0x804) + be32(3) + be32(4) + be32(4) + pix3), idx_run},
      {"idx/labels-bad-magic", 2, "spinxbar: idx/t10k-labels-idx1-ubyte: not an IDX label file (magic 0x00000801 expected)",
       idx_with(idx_test_labels, be32(0x803) + be32(3) + bytes({0, 1, 2})), idx_run},
      {"idx/images-short-header", 2, "spinxbar: idx/t10k-images-idx3-ubyte: not an IDX image file (magic 0x00000803 expected)",
       idx_with(idx_test_images, be32(0x803) + be32(3)), idx_run},
      {"idx/labels-short-header", 2, "spinxbar: idx/t10k-labels-idx1-ubyte: not an IDX label file (magic 0x00000801 expected)",
       idx_with(idx_test_labels, be32(0x801)), idx_run},
      {"idx/images-empty", 2, "spinxbar: idx/t10k-images-idx3-ubyte: not an IDX image file (magic 0x00000803 expected)",
       idx_with(idx_test_images, ""), idx_run},
      {"idx/images-truncated", 2, "spinxbar: idx/t10k-images-idx3-ubyte: 3 images of 4x4 need 48 bytes of pixels, the file has 40",
       idx_with(idx_test_images, idx_images(3, 4, 4, pix3.substr(0, 40))), idx_run},
      {"idx/images-extra-bytes", 2, "spinxbar: idx/t10k-images-idx3-ubyte: 3 images of 4x4 need 48 bytes of pixels, the file has 51",
       idx_with(idx_test_images, idx_images(3, 4, 4, pix3 + "xyz")), idx_run},
      {"idx/images-maximal-dimensions", 2, "spinxbar: idx/t10k-images-idx3-ubyte: 4294967295 images of 4294967295x4294967295 need 7.923e+28 bytes of pixels, the file has 48",
       idx_with(idx_test_images, idx_images(0xffffffffu, 0xffffffffu, 0xffffffffu, pix3)), idx_run},
      {"idx/images-dimensions-overflow", 2, "spinxbar: idx/t10k-images-idx3-ubyte: 2147483648 images of 65536x131072 need 1.845e+19 bytes of pixels, the file has 0",
       idx_with(idx_test_images, idx_images(0x80000000u, 0x10000u, 0x20000u, "")), idx_run},
      {"idx/images-zero-count", 2, "spinxbar: idx.toml: input.first: 0 is past the 0 images of idx test",
       with(small_idx(), {Entry{idx_test_images, idx_images(0, 4, 4, "")}, Entry{idx_test_labels, idx_labels("")}}),
       idx_run},
      {"idx/images-zero-rows", 2, "spinxbar: idx/t10k-images-idx3-ubyte: 3 images of 0x4 pixels: sizes out of range",
       idx_with(idx_test_images, idx_images(3, 0, 4, "")), idx_run},
      {"idx/images-wrong-size", 2, "spinxbar: idx.toml: input: 5x5 images preprocessed (crop 0, resize 0) give 25 inputs, network.sizes starts with 16",
       idx_with(idx_test_images, idx_images(3, 5, 5, std::string(75, '\x80'))), idx_run},
      {"idx/labels-above-9", 2, "spinxbar: idx/t10k-labels-idx1-ubyte: label 1 is 12, expected 0..9",
       idx_with(idx_test_labels, idx_labels(bytes({0, 12, 2}))), idx_run},
      {"idx/labels-beyond-outputs", 2, "spinxbar: idx/t10k-labels-idx1-ubyte: label 1 is 7, expected 0..3 (the network's 4 outputs)",
       idx_with(idx_test_labels, idx_labels(bytes({0, 7, 2}))), idx_run},
      {"idx/labels-fewer-than-images", 2, "spinxbar: dataset 'idx': 3 images but 2 labels",
       idx_with(idx_test_labels, idx_labels(bytes({0, 1}))), idx_run},
      {"idx/labels-announced-count", 2, "spinxbar: idx/t10k-labels-idx1-ubyte: 5 labels announced, the file has 3",
       idx_with(idx_test_labels, be32(0x801) + be32(5) + bytes({0, 1, 2})), idx_run},
      {"idx/images-missing", 2, "spinxbar: dataset 'idx': t10k-images-idx3-ubyte missing in idx",
       idx_no_images, idx_run},
      {"idx/labels-missing", 2, "spinxbar: dataset 'idx': t10k-labels-idx1-ubyte missing in idx",
       without(small_idx(), idx_test_labels), idx_run},
      {"idx/images-directory", 2, "spinxbar: idx/t10k-images-idx3-ubyte: cannot open (a directory)",
       with(idx_no_images, dir(idx_test_images)), idx_run},
    {"idx/dataset-is-an-idx-file", 2, "spinxbar: t10k-images-idx3-ubyte:1:1: not a number: '?????????????????%Jo\224\271\336?(Mr\227\274\341?+\253\320\365??d\211\256\323\370?Bg\214\261\326V{\240\305\352?4Y~\243\310\355...'",
       idx_toml("dataset = \"idx\"", "dataset = \"" + idx_test_images + "\""), idx_run},
      {"idx/first-past-end", 2, "spinxbar: idx.toml: input.first: 3 is past the 3 images of idx test",
       small_idx(), idx_run + Args{"--first", "3"}},
      {"idx/images-past-end", 2, "spinxbar: idx.toml: input: images 0..3 requested, the test set has 3",
       small_idx(), idx_run + Args{"--images", "4"}},
      {"idx/crop-larger-than-images", 2, "spinxbar: idx.toml: input: 4x4 images preprocessed (crop 8, resize 0) give 64 inputs, network.sizes starts with 16",
       idx_toml("first = 0", "crop = 8"), idx_run},
      {"idx/gzip-only-magic", 2, "spinxbar: idx/t10k-images-idx3-ubyte.gz: gzip: not a gzip file",
       with(idx_no_images, Entry{idx_gz, bytes({0x1f, 0x8b})}), idx_run},
      {"idx/gzip-bad-method", 2, "spinxbar: idx/t10k-images-idx3-ubyte.gz: gzip: unknown compression method",
       with(idx_no_images, Entry{idx_gz, [&] { auto g = gzip_stored(idx_images(3, 4, 4, pix3)); g[2] = 7; return g; }()}),
       idx_run},
      {"idx/gzip-truncated", 2, "spinxbar: idx/t10k-images-idx3-ubyte.gz: gzip: unexpected end of compressed data",
       with(idx_no_images, Entry{idx_gz, gzip_stored(idx_images(3, 4, 4, pix3)).substr(0, 40)}), idx_run},
      {"idx/gzip-crc-mismatch", 2, "spinxbar: idx/t10k-images-idx3-ubyte.gz: gzip: CRC-32 mismatch (corrupt file)",
       with(idx_no_images, Entry{idx_gz, [&] { auto g = gzip_stored(idx_images(3, 4, 4, pix3)); g[g.size() - 8] ^= 1; return g; }()}),
       idx_run},
      {"idx/gzip-size-mismatch", 2, "spinxbar: idx/t10k-images-idx3-ubyte.gz: gzip: size mismatch (corrupt file)",
       with(idx_no_images, Entry{idx_gz, [&] { auto g = gzip_stored(idx_images(3, 4, 4, pix3)); g[g.size() - 4] ^= 1; return g; }()}),
       idx_run},
      {"idx/gzip-trailing-garbage", 2, "spinxbar: idx/t10k-images-idx3-ubyte.gz: gzip: trailing bytes after the gzip data",
       with(idx_no_images, Entry{idx_gz, gzip_stored(idx_images(3, 4, 4, pix3)) + std::string(20, 'z')}), idx_run},
      {"idx/gzip-bad-block-type", 2, "spinxbar: idx/t10k-images-idx3-ubyte.gz: gzip: invalid block type",
       with(idx_no_images, Entry{idx_gz, [&] { auto g = gzip_stored(idx_images(3, 4, 4, pix3)); g[10] = 7; return g; }()}),
       idx_run},
      {"idx/gzip-stored-length-check", 2, "spinxbar: idx/t10k-images-idx3-ubyte.gz: gzip: stored block length check failed",
       with(idx_no_images, Entry{idx_gz, [&] { auto g = gzip_stored(idx_images(3, 4, 4, pix3)); g[13] ^= 0x10; return g; }()}),
       idx_run},
      {"idx/gzip-extra-field-past-end", 2, "spinxbar: idx/t10k-images-idx3-ubyte.gz: gzip: unexpected end of compressed data",
       with(idx_no_images, Entry{idx_gz, bytes({0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff}) + std::string(10, 'x')}),
       idx_run},
      {"idx/gzip-not-idx-inside", 2, "spinxbar: idx/t10k-images-idx3-ubyte.gz: not an IDX image file (magic 0x00000803 expected)",
       with(idx_no_images, Entry{idx_gz, gzip_stored("hello, world\nthis is not an IDX file\n")}), idx_run},
      {"idx/train-images-bad-magic", 2, "spinxbar: idx/train-images-idx3-ubyte: not an IDX image file (magic 0x00000803 expected)",
       idx_with(idx_train_images, be32(0x801) + be32(6) + be32(4) + be32(4) + pixels4x4(6)), idx_train},
      {"idx/train-labels-above-9", 2, "spinxbar: idx/train-labels-idx1-ubyte: label 5 is 200, expected 0..9",
       idx_with(idx_train_labels, idx_labels(bytes({0, 1, 2, 3, 0, 200}))), idx_train},
      {"idx/train-labels-beyond-outputs", 2, "spinxbar: idx/train-labels-idx1-ubyte: label 5 is 9, expected 0..3 (the network's 4 outputs)",
       idx_with(idx_train_labels, idx_labels(bytes({0, 1, 2, 3, 0, 9}))), idx_train},

      // CSV datasets and label files (run)
      {"data/bad-cell", 2, "spinxbar: test_data.csv:1:2: not a number: 'abc'",
       small_with("test_data.csv", "0.1,abc," + repeat("0.5", 14, ",") + "\n"), run},
      {"data/row-width", 2, "spinxbar: test_data.csv: has 15 values per image, the network has 16 inputs",
       small_with("test_data.csv", repeat("0.5", 15, ",") + "\n"), run},
      {"data/ragged-rows", 2, "spinxbar: test_data.csv:2: expected 16 values like the rows above, got 17",
       small_with("test_data.csv", repeat("0.5", 16, ",") + "\n" + repeat("0.5", 17, ",") + "\n"), run},
      {"data/nan", 2, "spinxbar: test_data.csv:2:3: value is NaN",
       small_with("test_data.csv", repeat("0.5", 16, ",") + "\n0.5,0.5,nan," + repeat("0.5", 13, ",") + "\n"),
       run + Args{"--set", "input.labels=\"\""}},
    {"data/infinite", 2, "spinxbar: test_data.csv:2:3: not a finite number: 'inf'",
       small_with("test_data.csv", repeat("0.5", 16, ",") + "\n0.5,0.5,inf," + repeat("0.5", 13, ",") + "\n"),
       run + Args{"--set", "input.labels=\"\""}},
      {"data/overflow", 2, "spinxbar: test_data.csv:1:1: not a number: '1e999'",
       small_with("test_data.csv", "1e999," + repeat("0.5", 15, ",") + "\n"), run},
      {"data/empty", 2, "spinxbar: test_data.csv: no values",
       small_with("test_data.csv", ""), run},
      {"data/directory", 2, "spinxbar: dataset 'test_data.csv': t10k-images-idx3-ubyte missing in test_data.csv",
       with(without(small(), "test_data.csv"), dir("test_data.csv")), run},
      {"data/binary-garbage", 2, "spinxbar: test_data.csv:1:1: not a number: '\211PNG'",
       small_with("test_data.csv", bytes({0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d})), run},
      {"data/dev-zero", 2, "spinxbar: /dev/zero: cannot open (not a regular file)",
       small_toml("dataset = \"test_data.csv\"", "dataset = \"/dev/zero\""), run},
      {"labels/two-hot", 2, "spinxbar: test_labels.csv:2:3: a second 1 in a one-hot label row",
       small_with("test_labels.csv", "1,0,0,0\n0,1,1,0\n1,0,0,0\n1,0,0,0\n1,0,0,0\n0,0,0,1\n"), run},
      {"labels/no-hot", 2, "spinxbar: test_labels.csv:2: a one-hot label row without a 1",
       small_with("test_labels.csv", "1,0,0,0\n0,0,0,0\n1,0,0,0\n1,0,0,0\n1,0,0,0\n0,0,0,1\n"), run},
      {"labels/value-two", 2, "spinxbar: test_labels.csv:2:3: 2 in a one-hot label row (only 0 and 1)",
       small_with("test_labels.csv", "1,0,0,0\n0,0,2,0\n1,0,0,0\n1,0,0,0\n1,0,0,0\n0,0,0,1\n"), run},
      {"labels/width", 2, "spinxbar: test_labels.csv: 3 values per row; labels are one-hot rows of 4 (the network's outputs) or one class per row",
       small_with("test_labels.csv", "1,0,0\n0,0,1\n1,0,0\n1,0,0\n1,0,0\n0,0,1\n"), run},
      {"labels/count", 2, "spinxbar: test_labels.csv: 2 labels for the 6 images of test_data.csv",
       small_with("test_labels.csv", "1,0,0,0\n0,0,1,0\n"), run},
      {"labels/class-beyond-outputs", 2, "spinxbar: test_labels.csv:5:1: label 4 is not a class number 0..3",
       small_with("test_labels.csv", "0\n2\n0\n0\n4\n3\n"), run},
      {"labels/class-negative", 2, "spinxbar: test_labels.csv:4:1: label -1 is not a class number 0..3",
       small_with("test_labels.csv", "0\n2\n0\n-1\n0\n3\n"), run},
      {"labels/class-fraction", 2, "spinxbar: test_labels.csv:2:1: label 2.5 is not a class number 0..3",
       small_with("test_labels.csv", "0\n2.5\n0\n0\n0\n3\n"), run},
      {"labels/class-nan", 2, "spinxbar: test_labels.csv:2:1: label nan is not a class number 0..3",
       small_with("test_labels.csv", "0\nnan\n0\n0\n0\n3\n"), run},
      {"labels/missing-file", 2, "spinxbar: test_labels.csv: cannot open (no such file)",
       without(small(), "test_labels.csv"), run},
      {"labels/empty", 2, "spinxbar: test_labels.csv: no values",
       small_with("test_labels.csv", ""), run},

      // Stochastic computing ([sc], [smtj]), the p-bit characterization and the SC table
      {"sc/length-zero", 2, "spinxbar: --set sc.length=0: sc.length: must be >= 1, got 0", small_sc(), sc_run + Args{"--set", "sc.length=0"}},
      {"sc/length-huge", 2, "spinxbar: --set sc.length=2000000: sc.length: must be <= 1000000, got 2000000", small_sc(), sc_run + Args{"--set", "sc.length=2000000"}},
      {"sc/states-four", 2, "spinxbar: --set sc.states=4: sc.states: must be 0 (not quantized), 2, 3, 5 or 11, got 4", small_sc(), sc_run + Args{"--set", "sc.states=4"}},
      {"sc/stream-unknown", 2, "spinxbar: --set sc.stream=pink: sc.stream: must be one of telegraph, bernoulli, got 'pink'", small_sc(), sc_run + Args{"--set", "sc.stream=pink"}},
      {"sc/readout-unknown", 2, "spinxbar: --set sc.readout=adc: sc.readout: must be one of integrate, count, got 'adc'", small_sc(), sc_run + Args{"--set", "sc.readout=adc"}},
      {"sc/v-row-negative", 2, "spinxbar: --set sc.v_row=-0.1: sc.v_row: must be > 0, got -0.1", small_sc(), sc_run + Args{"--set", "sc.v_row=-0.1"}},
      {"sc/unknown-key", 2, "spinxbar: --set sc.bits=3: unknown key 'sc.bits' (known: analog_bits, e_counter, e_dac_bit, length, p_amplifier, readout, seed, states, stream, training, v_row)", small_sc(), sc_run + Args{"--set", "sc.bits=3"}},
      {"sc/smtj-delta-zero", 2, "spinxbar: --set smtj.delta=0: smtj.delta: must be in (0, 60], got 0", small_sc(), sc_run + Args{"--set", "smtj.delta=0"}},
      {"sc/smtj-tau0-negative", 2, "spinxbar: --set smtj.tau0=-1e-9: smtj.tau0: must be in [1e-13, 1e-06] s, got -1e-09", small_sc(), sc_run + Args{"--set", "smtj.tau0=-1e-9"}},
      {"sc/smtj-clock-string", 2, "spinxbar: --set smtj.clock=\"fast\": smtj.clock: 'fast' is not a number", small_sc(), sc_run + Args{"--set", "smtj.clock=\"fast\""}},
      {"sc/smtj-preset-unknown", 2, "spinxbar: --set smtj.preset=foo: smtj.preset: unknown preset 'foo' (known: pmtj-ns, imtj-ns)", small_sc(), sc_run + Args{"--set", "smtj.preset=foo"}},
      {"sc/smtj-read-pins", 2, "spinxbar: sc.toml: smtj.v_read: the read current 0.000272 A reaches ic0_read 5.6e-05 A and pins the junction", small_sc(), sc_run + Args{"--set", "smtj.v_read=5"}},
      {"sc/smtj-without-sc", 2, "spinxbar: small.toml: [smtj]: s-MTJ p-bits are used by stochastic computing; add an [sc] section", small(), run + Args{"--set", "smtj.delta=3"}},
      {"sc/with-neuron-model", 2, "spinxbar: small.toml: neuron.model: the neurons of a stochastic-computing network are s-MTJ p-bits ([smtj]); remove neuron.model or [sc]", small(), run + Args{"--set", "sc.length=100"}},
      {"sc/with-transient", 2, "spinxbar: sc.toml: run.analysis: a stochastic-computing network runs clock by clock, not as a transient; remove run.analysis = \"tran\" or [sc]", small_sc(), sc_run + Args{"--set", "run.analysis=tran"}},
      {"sc/with-analysis-option", 2, "spinxbar: sc.toml: --analysis tran: a stochastic-computing network runs clock by clock, not as a transient", small_sc(), sc_run + Args{"--analysis", "tran"}},
      {"sc/with-ngspice-backend", 2, "spinxbar: sc.toml: --backend ngspice: a stochastic-computing network runs on the SC engine (spinxbar pbit compares the p-bit circuit with ngspice)", small_sc(), sc_run + Args{"--backend", "ngspice"}},
      {"sc/with-crossbar-training", 2, "spinxbar: sc.toml: train.model: a stochastic-computing network trains the software model of its p-bits; remove train.model = \"crossbar\" or [sc]", small_sc(), {"train", "sc.toml", "--set", "train.model=crossbar"}},
      {"sc/with-relu", 2, "spinxbar: sc.toml: train.activation: p-bit neurons are sigmoids; remove train.activation or [sc]", small_sc(), {"train", "sc.toml", "--set", "train.activation=relu"}},
      {"sc/float-weights", 2, "spinxbar: sc.toml: network.levels: stochastic computing stores weights on MTJ pairs: 2, 3, 5 or 11 levels, not float", small_sc(), {"train", "sc.toml", "--set", "train.weights=float"}},
      {"sc/inputs-not-probabilities", 2, "spinxbar: test_data.csv: image 0, input 2: -1 is not a probability in [0, 1]", small_sc(), sc_run + Args{"--set", "input.low=-1.0"}},
      {"sc/table-shape-mismatch", 2, "spinxbar: sc-table: --shapes: '5-3-2' must start with 16 inputs and end with 4 outputs (network.sizes)", small_sc(), {"sc-table", "sc.toml", "--out", "t", "--shapes", "5-3-2"}},
      {"sc/table-no-hidden", 2, "spinxbar: sc-table: --shapes: '16-4' has no hidden layer", small_sc(), {"sc-table", "sc.toml", "--out", "t", "--shapes", "16-4"}},
      {"sc/table-length-zero", 2, "spinxbar: --lengths: '0' is not a positive integer", small_sc(), {"sc-table", "sc.toml", "--out", "t", "--lengths", "100,0"}},
      {"sc/table-states-four", 2, "spinxbar: sc-table: --states: must be 0, 2, 3, 5 or 11, got 4", small_sc(), {"sc-table", "sc.toml", "--out", "t", "--shapes", "16-8-4", "--states", "5,4"}},
      {"sc/table-csv-dataset", 2, "spinxbar: sc.toml: input.dataset: training needs an image dataset (mnist, fashion-mnist or an IDX directory)", small_sc(), {"sc-table", "sc.toml", "--out", "t", "--shapes", "16-8-4"}},
      {"pbit/preset-unknown", 2, "spinxbar: --preset: unknown preset 'nope' (known: pmtj-ns, imtj-ns)", {}, {"pbit", "--preset", "nope", "--out", "p"}},
      {"pbit/set-not-smtj", 2, "spinxbar: --set foo=1: expected smtj.key=value, e.g. smtj.clock=3n", {}, {"pbit", "--set", "foo=1", "--out", "p"}},
      {"pbit/set-unknown-key", 2, "spinxbar: --set smtj.bogus=1: unknown key 'smtj.bogus' (known: delta, tau0, ic0, i_offset, r_p, tmr, ic0_read, r_ref, v_read, vdd, c_out, r_channel, e_sample, clock)", {}, {"pbit", "--set", "smtj.bogus=1", "--out", "p"}},
      {"pbit/set-delta-negative", 2, "spinxbar: --set smtj.delta=-2: smtj.delta: must be in (0, 60], got -2", {}, {"pbit", "--set", "smtj.delta=-2", "--out", "p"}},
      {"pbit/set-not-number", 2, "spinxbar: --set smtj.clock=fast: 'fast' is not a number", {}, {"pbit", "--set", "smtj.clock=fast", "--out", "p"}},
      {"pbit/read-pins", 2, "spinxbar: smtj.v_read: the read current 0.000272 A reaches ic0_read 5.6e-05 A and pins the junction", {}, {"pbit", "--set", "smtj.v_read=5", "--out", "p"}},
      {"pbit/bits-too-few", 2, "spinxbar: --bits: must be >= 10, got 5", {}, {"pbit", "--bits", "5", "--out", "p"}},
      {"pbit/ngspice-bits-above-bits", 2, "spinxbar: pbit: --ngspice-bits: must be in [0, --bits = 100], got 200", {}, {"pbit", "--bits", "100", "--ngspice-bits", "200", "--out", "p"}},
      {"pbit/span-zero", 2, "spinxbar: pbit: --span: must be in (0, 30], got 0", {}, {"pbit", "--span", "0", "--out", "p"}},

      {"sweep/unknown-key", 2, "spinxbar: s.toml:3: study.bogus: unknown key (known: config, name, set, combine, seeds, seed_keys, images, first, backend)",
       with(small(), Entry{"s.toml", "[study]\nconfig = \"small.toml\"\nbogus = 1\n[[axis]]\nkey = \"a.b\"\nvalues = [1]\n"}), {"sweep", "s.toml", "--out", "o"}},
      {"sweep/empty-axis", 2, "spinxbar: s.toml:5: axis.values: empty (an axis needs at least one value)",
       with(small(), Entry{"s.toml", "[study]\nconfig = \"small.toml\"\n[[axis]]\nkey = \"synapse.variation_percent\"\nvalues = []\n"}), {"sweep", "s.toml", "--out", "o"}},
      {"sweep/seeds-zero", 2, "spinxbar: s.toml:3: study.seeds: must be a count in [1, 100000] or a list of seeds >= 1, got 0",
       with(small(), Entry{"s.toml", "[study]\nconfig = \"small.toml\"\nseeds = 0\n"}), {"sweep", "s.toml", "--out", "o"}},
      {"sweep/bad-value", 2, "spinxbar: s.toml:5: axis interconnect.resistance_scale = -1: interconnect.resistance_scale: must be in (0, 1000000], got -1",
       with(small(), Entry{"s.toml", "[study]\nconfig = \"small.toml\"\n[[axis]]\nkey = \"interconnect.resistance_scale\"\nvalues = [1, -1]\n"}), {"sweep", "s.toml", "--out", "o"}},
      {"sweep/missing-config", 2, "spinxbar: s.toml:2: study.config: nope.toml: cannot open (no such file)",
       with(small(), Entry{"s.toml", "[study]\nconfig = \"nope.toml\"\nseeds = 2\n"}), {"sweep", "s.toml", "--out", "o"}},
      {"plot/not-a-result", 2, "spinxbar: r: holds neither a study (study.json) nor a complete run (summary.json)",
       {dir("r")}, {"plot", "r"}},
      // A few rows that start embedded ngspice
      {"ngspice/simulate-voltage-source-loop", 1, "spinxbar: simulation failed: ngspice: singular matrix:  check node v1#branch; Error: Transient op failed, timestep too small [element v1 (net.cir:2)]",
       divider("V2 in 0 2\n.op\n"), sim + Args{"--backend", "ngspice"}},
      {"ngspice/compare-floating-node", 1, "spinxbar: simulation failed: native op: singular matrix: floating node 'p' (no DC path to ground)",
       divider("R3 p q 1k\n.op\n"), {"compare", "net.cir"}},
      {"ngspice/sot-neuron-step-beyond-range", 2, "spinxbar: small.toml:49: neuron.step: must be smaller than neuron.range [-1.5, 1.5] V, got 10",
       small_toml("model = \"ideal\"", "model = \"sot\"  \nstep = 10"), net},
  };
}

}  // namespace
