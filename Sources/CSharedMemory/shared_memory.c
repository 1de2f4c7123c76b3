// The Linux calls the shared-memory transport needs that Swift cannot make directly: the
// `syscall` wrappers are variadic and the CMSG_* macros are macros. Each function is a thin,
// checked pass-through; callers read `errno` on failure. The system headers stay in this file,
// so Swift sees only the plain prototypes of include/chorus_shared_memory.h.
#include "chorus_shared_memory.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/socket.h>
#include <sys/syscall.h>

int chorus_memfd_create(const char *name) {
    return (int)syscall(SYS_memfd_create, name, 1u /* MFD_CLOEXEC */);
}

int chorus_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns) {
    struct timespec timeout = { .tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000 };
    return (int)syscall(SYS_futex, word, FUTEX_WAIT, expected, timeout_ns < 0 ? NULL : &timeout, NULL, 0);
}

int chorus_futex_wake(uint32_t *word, int count) {
    return (int)syscall(SYS_futex, word, FUTEX_WAKE, count, NULL, NULL, 0);
}

long chorus_send_with_fds(int socket, const void *bytes, size_t count, const int *fds, int fd_count) {
    if (fd_count < 0 || fd_count > 4) { errno = EINVAL; return -1; }
    char control[CMSG_SPACE(4 * sizeof(int))];
    memset(control, 0, sizeof control);
    struct iovec vector = { .iov_base = (void *)bytes, .iov_len = count };
    struct msghdr message = { .msg_iov = &vector, .msg_iovlen = 1 };
    if (fd_count > 0) {
        message.msg_control = control;
        message.msg_controllen = CMSG_SPACE(fd_count * sizeof(int));
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(fd_count * sizeof(int));
        memcpy(CMSG_DATA(header), fds, fd_count * sizeof(int));
    }
    return sendmsg(socket, &message, MSG_NOSIGNAL);
}

long chorus_receive_with_fds(int socket, void *bytes, size_t count, int *fds, int *fd_count) {
    char control[CMSG_SPACE(4 * sizeof(int))];
    struct iovec vector = { .iov_base = bytes, .iov_len = count };
    struct msghdr message = { .msg_iov = &vector, .msg_iovlen = 1, .msg_control = control,
                              .msg_controllen = sizeof control };
    *fd_count = 0;
    ssize_t received = recvmsg(socket, &message, 0x40000000 /* MSG_CMSG_CLOEXEC, a GNU name */);
    if (received < 0) { return received; }
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header != NULL; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) { continue; }
        int arrived = (int)((header->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int index = 0; index < arrived; index++) {
            int fd;
            memcpy(&fd, CMSG_DATA(header) + index * sizeof(int), sizeof fd);
            if (*fd_count < 4) { fds[(*fd_count)++] = fd; } else { close(fd); }
        }
    }
    return received;
}

// `struct ucred` is a GNU name; this is its layout.
struct chorus_peer_credentials { int32_t pid; uint32_t uid; uint32_t gid; };

int chorus_peer_pid(int socket) {
    struct chorus_peer_credentials credentials;
    socklen_t length = sizeof credentials;
    return getsockopt(socket, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 ? credentials.pid : -1;
}


int chorus_pidfd_open(int pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0u);
}

int chorus_pidfd_kill(int pidfd) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, 9 /* SIGKILL */, NULL, 0u);
}
