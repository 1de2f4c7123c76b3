#ifndef CHORUS_CLIBURING_SHIM_H
#define CHORUS_CLIBURING_SHIM_H

// <features.h> must come first: without it Glibc's and liburing's views of `fd_set`
// (and other feature-test-dependent types) disagree when the module is imported into Swift.
#include <features.h>
#include <liburing.h>

// The socket and eventfd declarations the transport uses, from one module so that every file
// sees the same ones (liburing.h already pulls <sys/socket.h> into this module).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <pthread.h>

/// Bytes waiting in a TCP socket's receive queue (SIOCINQ), or -1. A C function because Swift
/// cannot call the variadic `ioctl`.
static inline int chorus_socket_waiting_bytes(int fd) {
    int count = 0;
    return ioctl(fd, SIOCINQ, &count) == 0 ? count : -1;
}

/// Names the calling thread (Linux keeps 15 bytes). Declared here because glibc declares
/// `pthread_setname_np` only under _GNU_SOURCE, which this module does not define.
int pthread_setname_np(pthread_t thread, const char *name);
static inline int chorus_name_this_thread(const char *name) {
    return pthread_setname_np(pthread_self(), name);
}

#endif
