// Figures through gnuplot (plot.hpp).
#include "sc/plot.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace spx::sc {

bool run_gnuplot(const std::filesystem::path& dir, const char* script) {
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    if (::chdir(dir.c_str()) != 0) ::_exit(127);
    ::execlp("gnuplot", "gnuplot", script, static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace spx::sc
