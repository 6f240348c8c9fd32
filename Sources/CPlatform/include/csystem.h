#ifndef CAMGATE_CSYSTEM_H
#define CAMGATE_CSYSTEM_H

#include <sys/types.h>
#include <stdint.h>

/// pidfd_open(2): a file descriptor that becomes readable when `pid` exits.
/// Works for processes that are not our children (adopted recorders).
/// Returns -1 and sets errno on failure (ENOSYS on kernels before 5.3).
int csys_pidfd_open(pid_t pid);

/// posix_spawn with the agent's rules for children: a new process group
/// (pgid = pid), default signal dispositions and an empty signal mask,
/// stdin from `stdin_fd`, stdout and stderr to `output_fd`, every other
/// descriptor closed. No shell is involved. Returns 0 or an errno value.
int csys_spawn(const char *path, char *const argv[], char *const envp[],
               int stdin_fd, int output_fd, pid_t *pid_out);

/// `csys_spawn` with stdout and stderr to descriptors of their own.
int csys_spawn3(const char *path, char *const argv[], char *const envp[],
                int stdin_fd, int stdout_fd, int stderr_fd, pid_t *pid_out);

/// Sends one datagram to a sd_notify socket ("@name" = abstract namespace).
/// Returns 0 or -1 with errno set.
int csys_notify(const char *socket_path, const char *message);

/// eventfd(2) with EFD_CLOEXEC | EFD_NONBLOCK.
int csys_eventfd(void);

/// ioctl(2) with a pointer argument (Swift cannot call the variadic ioctl).
int csys_ioctl(int fd, unsigned long request, void *arg);

/// sysconf(_SC_CLK_TCK): the unit of /proc/PID/stat start times.
long csys_clock_ticks(void);

/// pipe2(fds, O_CLOEXEC).
int csys_pipe_cloexec(int fds[2]);

/// sigaction(signo) to SIG_IGN. Returns 0 or -1 with errno set.
int csys_ignore_signal(int signo);

/// glibc's mallopt: at most `arenas` malloc arenas, blocks of
/// `mmap_threshold` bytes or more mapped (and unmapped when freed), the
/// heap trimmed above the same. 0, or -1 when glibc refused; a no-op
/// with another C library.
int csys_tune_malloc(int arenas, int mmap_threshold);

#endif
