#ifndef CHORUS_SHARED_MEMORY_H
#define CHORUS_SHARED_MEMORY_H

// memfd, futexes and SCM_RIGHTS for the shared-memory transport (shared_memory.c). Plain types
// only, so importing this into Swift brings no second view of the system headers.
#include <stddef.h>
#include <stdint.h>

/// An anonymous memory file (closed on exec) that other processes can map once given its fd.
int chorus_memfd_create(const char *name);

/// Sleeps while `*word == expected`, at most `timeout_ns` nanoseconds (negative: no limit).
/// A shared (not process-private) futex: the word may live in memory mapped by other
/// processes. Returns 0 when woken, -1 with errno EAGAIN (the word differed), ETIMEDOUT or EINTR.
int chorus_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns);

/// Wakes up to `count` sleepers on `word`; returns how many woke, or -1.
int chorus_futex_wake(uint32_t *word, int count);

/// Sends `count` bytes and, with them, `fd_count` (at most 4) file descriptors (SCM_RIGHTS),
/// without SIGPIPE; returns the bytes sent or -1.
long chorus_send_with_fds(int socket, const void *bytes, size_t count, const int *fds, int fd_count);

/// Receives up to `count` bytes and up to 4 file descriptors sent with them (closed on exec);
/// `*fd_count` says how many arrived (more are closed). Returns the bytes received, 0 at EOF, or -1.
long chorus_receive_with_fds(int socket, void *bytes, size_t count, int *fds, int *fd_count);

/// The process id of a Unix-socket peer (SO_PEERCRED), or -1.
int chorus_peer_pid(int socket);

/// A descriptor that names process `pid` itself (pidfd_open, closed on exec): a signal sent
/// through it never reaches another process that later got the same pid. -1 on failure.
int chorus_pidfd_open(int pid);

/// Sends SIGKILL to the process of `pidfd` (pidfd_send_signal); 0, or -1 with errno.
int chorus_pidfd_kill(int pidfd);

#endif
