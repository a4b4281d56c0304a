// Figures through gnuplot (plot.hpp).
#include "sc/plot.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

namespace spx::sc {

bool run_gnuplot(const std::filesystem::path& dir, const char* script) {
  // gnuplot's messages are kept and shown only when it fails: its warnings on a degenerate range (one
  // point, equal values) are not worth the user's attention when the figure is drawn.
  int err[2];
  if (::pipe(err) != 0) return false;
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(err[0]);
    ::close(err[1]);
    return false;
  }
  if (pid == 0) {
    ::close(err[0]);
    ::dup2(err[1], 2);
    ::close(err[1]);
    if (::chdir(dir.c_str()) != 0) ::_exit(127);
    ::execlp("gnuplot", "gnuplot", script, static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(err[1]);
  std::string messages;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(err[0], buf, sizeof buf);
    if (n > 0) messages.append(buf, static_cast<size_t>(n));
    else if (n == 0 || errno != EINTR) break;
  }
  ::close(err[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return false;
  const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!ok && !messages.empty()) std::fwrite(messages.data(), 1, messages.size(), stderr);
  return ok;
}

}  // namespace spx::sc
