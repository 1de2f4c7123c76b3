/*
 * chorus.h — the C ABI of Chorus (libChorusC): a learner's server and a rollout worker's client
 * for other languages. The Python package `chorus` is built on it.
 *
 * Conventions
 * - Every function that can fail returns a chorus_status (CHORUS_OK is 0). On failure the
 *   calling thread's chorus_last_error() says why; it stays valid until that thread's next
 *   failing call.
 * - Handles are opaque. Each *_free releases one; passing NULL is allowed. A handle may be used
 *   from several threads (calls on one handle are serialised), except that one thread at a time
 *   takes batches from a server.
 * - Samples cross the boundary as leaves in flatten order (the order of the schema's leaves:
 *   dict keys sorted, list items in order). A "leaf-major" buffer for `n` samples holds leaf i of
 *   every sample back to back: n × leaf_bytes(i) bytes, C order, like a stacked numpy array.
 * - Calls that wait take a timeout in nanoseconds (negative: wait without limit) and return
 *   CHORUS_TIMED_OUT when it passes, so a caller can stay responsive (signals, Ctrl-C).
 * - Calls that wait do not hold any lock of the caller's runtime (ctypes releases the GIL).
 */
#ifndef CHORUS_H
#define CHORUS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header. chorus_abi_version() returns the library's; a caller must refuse a
 * library whose major version differs. */
#define CHORUS_ABI_VERSION 1

typedef enum chorus_status {
    CHORUS_OK = 0,
    /* An argument is wrong: a schema text, a size, a null pointer, a protocol name. */
    CHORUS_INVALID_ARGUMENT = 1,
    /* The peer's or the server's schema does not match; the message names the leaf. */
    CHORUS_SCHEMA_MISMATCH = 2,
    /* The handle was closed or the server shut down. */
    CHORUS_CLOSED = 3,
    /* The timeout passed first. */
    CHORUS_TIMED_OUT = 4,
    /* A connection could not be made, or broke and could not be resumed. */
    CHORUS_CONNECTION_FAILED = 5,
    /* The server refused the client (authentication, server full, shutting down). */
    CHORUS_REFUSED = 6,
    /* A host name or address that does not resolve, or a port that cannot be bound. */
    CHORUS_ADDRESS_ERROR = 7,
    /* The server shut down and every committed sample has been delivered. */
    CHORUS_FINISHED = 8,
    /* Anything else (a system call failed); the message says what. */
    CHORUS_INTERNAL_ERROR = 9,
    /* A replay table or item key that does not exist; the message names it. */
    CHORUS_NOT_FOUND = 10,
    /* A file could not be read or written (table checkpoints); the message says why. */
    CHORUS_IO_ERROR = 11,
} chorus_status;

typedef enum chorus_protocol {
    /* id-echo's wire v1: no authentication, no resume; bind it to loopback. */
    CHORUS_PROTOCOL_ECHO = 1,
    /* Chorus wire v2: schema check, optional shared secret, resume after reconnect. */
    CHORUS_PROTOCOL_CHORUS = 2,
    /* Same-host producers through shared memory (chorus_listener only): the v2 handshake on a
     * Unix socket, then they write straight into the ring (chorus_shm_client). */
    CHORUS_PROTOCOL_SHARED_MEMORY = 3,
} chorus_protocol;

typedef struct chorus_schema chorus_schema;
typedef struct chorus_server chorus_server;
typedef struct chorus_client chorus_client;
typedef struct chorus_shm_client chorus_shm_client;
typedef struct chorus_sharded_client chorus_sharded_client;
typedef struct chorus_server_metrics chorus_server_metrics; /* defined with chorus_server_metrics_get */

/* The library's ABI version (CHORUS_ABI_VERSION it was built with) and release, e.g. "0.14.0". */
int32_t chorus_abi_version(void);
const char *chorus_version(void);

/* Why the calling thread's last failing call failed (empty when none has). */
const char *chorus_last_error(void);

/* ---- Schemas ------------------------------------------------------------------------------ */

/* Parses a schema in the schema file format ({"obs": "float32[4]", "reward": "float32[]"}). */
chorus_status chorus_schema_parse(const char *json, chorus_schema **out);
void chorus_schema_free(chorus_schema *schema);

/* The canonical text (keys sorted, no spaces): equal schemas have equal text. Valid while the
 * schema lives. */
const char *chorus_schema_canonical_json(const chorus_schema *schema);
size_t chorus_schema_leaf_count(const chorus_schema *schema);
/* Bytes of one packed sample (every leaf, flatten order). */
size_t chorus_schema_sample_size(const chorus_schema *schema);

/* One leaf in flatten order. Strings are valid while the schema lives. */
typedef struct chorus_leaf_info {
    const char *path;  /* dotted: "obs", "info.done", "frames.0" */
    const char *dtype; /* numpy's name: "float32", "bool", "bfloat16", ... */
    size_t ndim;
    const int64_t *shape; /* ndim entries; a scalar leaf has ndim 0 */
    size_t byte_count;    /* bytes of this leaf in one sample */
} chorus_leaf_info;

chorus_status chorus_schema_leaf(const chorus_schema *schema, size_t index, chorus_leaf_info *out);

/* ---- The learner's server ------------------------------------------------------------------- */

/* A ring of num_buffers × batch_size samples (num_buffers ≥ 2), allocated now. The server keeps
 * its own copy of the schema. */
chorus_status chorus_server_create(const chorus_schema *schema, size_t batch_size, size_t num_buffers,
                                   chorus_server **out);
/* Shuts the server down (if it is not already) and frees it with its ring: every pointer from
 * chorus_server_leaf_data dangles afterwards. */
void chorus_server_free(chorus_server *server);

/* A listener to start with chorus_server_listen. host: an IPv4 or IPv6 address or a name
 * ("127.0.0.1" accepts only this machine, "0.0.0.0" every interface); port 0 picks a free one.
 * For CHORUS_PROTOCOL_SHARED_MEMORY, host is the Unix socket's path (created with mode 0600)
 * and the port is ignored (its bound port is reported as 0). secret (not for echo) may be NULL.
 * grant_lease_ns (shared memory only): a producer holding granted slots this long without
 * committing is killed and its slots voided; 0: the default (30 s); < 0: never. */
typedef struct chorus_listener {
    chorus_protocol protocol;
    const char *host;
    uint16_t port;
    const uint8_t *secret;
    size_t secret_length;
    int64_t grant_lease_ns;
} chorus_listener;

/* Starts accepting rollout workers on every listener (io_threads I/O threads serve them all;
 * 0 means one); writes the bound ports, in order, to bound_ports. Call once. */
chorus_status chorus_server_listen(chorus_server *server, const chorus_listener *listeners, size_t count,
                                   size_t io_threads, uint16_t *bound_ports);

/* Copies `count` samples into the ring, from one leaf-major buffer per leaf (leaves[i] holds
 * count × leaf_bytes(i) bytes), waiting while the ring is full. On CHORUS_TIMED_OUT or
 * CHORUS_CLOSED, *committed (if not NULL) says how many of them were accepted. */
chorus_status chorus_server_submit(chorus_server *server, const void *const *leaves, size_t count,
                                   int64_t timeout_ns, size_t *committed);

/* Releases the batch held before and waits for the next full one. On CHORUS_OK the batch's
 * sequence number (0, 1, 2, …) is in *sequence and the batch is held until the next call, or
 * chorus_server_release; when `metrics` is not NULL (its struct_size set, see
 * chorus_server_metrics_get) it receives the counters as the batch is taken, in the same call.
 * CHORUS_FINISHED after shutdown once drained. */
chorus_status chorus_server_next(chorus_server *server, int64_t timeout_ns, uint64_t *sequence,
                                 chorus_server_metrics *metrics);
/* Releases the held batch, if any, so producers may refill it. */
void chorus_server_release(chorus_server *server);

/* Where leaf `leaf` of the batch with sequence number `sequence` lies: batch_size × leaf_bytes
 * bytes, C order, shape (batch_size, *leaf shape). The ring never moves: the pointer is the same
 * for every batch with the same sequence % num_buffers, for the server's lifetime, but its
 * contents are the batch's only while the consumer holds it. */
chorus_status chorus_server_leaf_data(const chorus_server *server, uint64_t sequence, size_t leaf,
                                      void **data, size_t *length);

/* Which samples of the held batch `sequence` hold data: batch_size bytes into `valid`, 1 for a
 * sample, 0 for a slot completed without one (zero-filled; counted in batch_invalid). */
chorus_status chorus_server_batch_validity(const chorus_server *server, uint64_t sequence, uint8_t *valid);

/* Stops accepting samples and wakes every waiter; every committed sample is still delivered,
 * a partly filled last batch with its empty slots invalid (batch_invalid, the validity mask). */
void chorus_server_shutdown(chorus_server *server);

/* A snapshot of the server's counters. Set struct_size to sizeof(chorus_server_metrics) before
 * the call: fields beyond it are not written (so old callers keep working). */
struct chorus_server_metrics {
    size_t struct_size;
    uint64_t samples_committed;   /* into the ring, from every source */
    uint64_t batches_delivered;
    uint64_t producer_waits;      /* a producer found the ring full */
    uint64_t consumer_waits;      /* the learner found no full batch */
    uint64_t ring_fill;           /* samples committed and not yet released */
    uint64_t ring_capacity;
    uint64_t connections_accepted;
    uint64_t connections_active;
    uint64_t connections_reset;
    uint64_t connections_refused; /* every refusal reason together */
    uint64_t samples_received;    /* over TCP */
    uint64_t samples_truncated;
    uint64_t bytes_received;
    uint64_t ack_writes;
    uint64_t stalls;              /* a connection paused because the ring was full */
    uint64_t sessions_resumed;
    uint64_t internal_errors;
    uint64_t samples_read_directly; /* of samples_received: read from the socket straight into the ring */
    uint64_t samples_voided;      /* slots completed without a sample: a same-host producer left holding
                                   * them, or a socket read never finished */
    uint64_t batch_invalid;       /* chorus_server_next only: of the batch it took, the samples that hold
                                   * nothing (see chorus_server_batch_validity); 0 otherwise */
};

chorus_status chorus_server_metrics_get(const chorus_server *server, chorus_server_metrics *out);

/* ---- The rollout worker's client ------------------------------------------------------------ */

/* Connects and completes the handshake (CHORUS_SCHEMA_MISMATCH names the first differing leaf).
 * window: most samples unacked at once (0: the default). connect_timeout_ns < 0: the default. */
chorus_status chorus_client_connect(const char *host, uint16_t port, const chorus_schema *schema,
                                    chorus_protocol protocol, const uint8_t *secret, size_t secret_length,
                                    size_t window, int64_t connect_timeout_ns, chorus_client **out);
/* Connects (v2) continuing the session `session` (16 bytes) that another client, e.g. a process
 * that died, began; `table` may be NULL (the default table). Where the session stood is
 * chorus_client_session_start: new samples are numbered from there. */
chorus_status chorus_client_connect_session(const char *host, uint16_t port, const chorus_schema *schema,
                                            const char *table, const uint8_t *secret, size_t secret_length,
                                            const uint8_t session[16], size_t window, int64_t connect_timeout_ns,
                                            chorus_client **out);
/* The samples of the client's session the server had committed when it connected (0: a new one). */
uint64_t chorus_client_session_start(chorus_client *client);
/* Closes (if not already) and frees the client. */
void chorus_client_free(chorus_client *client);

/* Sends `count` samples from one leaf-major buffer per leaf (as chorus_server_submit), blocking
 * while the window is full. Returns once the bytes are handed to the kernel (v2: and kept until
 * acked, to resend after a reconnect), or, with a send buffer, kept to be written with others. */
chorus_status chorus_client_send(chorus_client *client, const void *const *leaves, size_t count);
/* Gathers up to `bytes` of samples before writing them (0, the default: write each send at once);
 * gathered samples go out when that many wait, and on flush, wait, a full window and close. */
chorus_status chorus_client_set_send_buffer(chorus_client *client, size_t bytes);
/* Writes the samples a send buffer gathered. */
chorus_status chorus_client_flush(chorus_client *client);
/* Waits until every sample sent so far is acked (committed to a Chorus server's ring). */
chorus_status chorus_client_wait(chorus_client *client, int64_t timeout_ns);
/* Samples sent and not yet acked. */
size_t chorus_client_unacked(chorus_client *client);
/* Closes the connection (writing what a send buffer gathered first); later sends return
 * CHORUS_CLOSED. Unacked samples may be lost. */
void chorus_client_close(chorus_client *client);

/* ---- A same-host producer's client (shared memory) ------------------------------------------ */

/* Connects to a learner's shared-memory listener at `path` (the v2 handshake: the schema is
 * checked, secret may be NULL) and maps its ring. connect_timeout_ns < 0: the default. */
chorus_status chorus_shm_client_connect(const char *path, const chorus_schema *schema, const uint8_t *secret,
                                        size_t secret_length, int64_t connect_timeout_ns, chorus_shm_client **out);
/* Closes (if not already) and frees the client. */
void chorus_shm_client_free(chorus_shm_client *client);
/* Writes `count` samples, from one leaf-major buffer per leaf, straight into the learner's ring
 * (one copy of each leaf), waiting for room while the ring is full. */
chorus_status chorus_shm_client_send(chorus_shm_client *client, const void *const *leaves, size_t count);
/* Waits until the server has taken every sample sent so far into the ring. */
chorus_status chorus_shm_client_wait(chorus_shm_client *client, int64_t timeout_ns);
/* Leaves; slots the server granted and this client did not fill are delivered marked invalid. */
void chorus_shm_client_close(chorus_shm_client *client);

/* ---- Replay tables (Reverb's model; see the README's "Replay tables") -------------------------- */

typedef struct chorus_table chorus_table;

/* How a table picks an item, as its sampler or its remover. */
typedef enum chorus_selector_kind {
    CHORUS_SELECTOR_FIFO = 0,
    CHORUS_SELECTOR_LIFO = 1,
    CHORUS_SELECTOR_UNIFORM = 2,
    CHORUS_SELECTOR_PRIORITIZED = 3, /* with priority_exponent */
    CHORUS_SELECTOR_MAX_HEAP = 4,
    CHORUS_SELECTOR_MIN_HEAP = 5,
} chorus_selector_kind;

typedef struct chorus_selector {
    chorus_selector_kind kind;
    double priority_exponent;
} chorus_selector;

typedef enum chorus_rate_limiter_kind {
    CHORUS_LIMITER_MIN_SIZE = 0,                /* min_size_to_sample */
    CHORUS_LIMITER_SAMPLE_TO_INSERT_RATIO = 1,  /* samples_per_insert, min_size_to_sample, error_buffer */
    CHORUS_LIMITER_QUEUE = 2,                   /* of max_size items */
} chorus_rate_limiter_kind;

typedef struct chorus_table_config {
    const char *name;             /* 1 to 255 bytes of UTF-8 */
    size_t max_size;
    chorus_selector sampler;
    chorus_selector remover;
    chorus_rate_limiter_kind limiter;
    double samples_per_insert;
    size_t min_size_to_sample;
    double error_buffer;
    size_t max_times_sampled;     /* 0: no limit */
    uint64_t seed;                /* fixes the random picks */
} chorus_table_config;

/* A table of config->max_size items of `schema`; CHORUS_INVALID_ARGUMENT says what is wrong. */
chorus_status chorus_table_create(const chorus_schema *schema, const chorus_table_config *config, chorus_table **out);
/* A table restored from a file chorus_table_checkpoint wrote. */
chorus_status chorus_table_restore(const char *path, chorus_table **out);
/* Writes the table to `path` atomically; *bytes (if not NULL) gets the size. */
chorus_status chorus_table_checkpoint(chorus_table *table, const char *path, uint64_t *bytes);
/* Frees the handle; a server created with the table keeps it alive. */
void chorus_table_free(chorus_table *table);
/* The table's schema (a new handle: free it with chorus_schema_free). */
chorus_status chorus_table_schema(const chorus_table *table, chorus_schema **out);
/* The table's name (a restored table has the name it was checkpointed with); valid while the
 * handle lives, NULL for a null handle. */
const char *chorus_table_name(const chorus_table *table);

/* chorus_server_create with replay tables beside the ring (same schema, distinct names).
 * default_table (may be NULL: the ring) takes the samples of clients that name no table. */
chorus_status chorus_server_create_with_tables(const chorus_schema *schema, size_t batch_size, size_t num_buffers,
                                               chorus_table *const *tables, size_t table_count,
                                               const char *default_table, chorus_server **out);

/* Inserts `count` samples from leaf-major buffers (as chorus_server_submit) with priorities[0]
 * for all (priority_count 1) or priorities[i] each (priority_count == count), waiting while the
 * rate limiter forbids it. keys (if not NULL) receives count keys. On CHORUS_TIMED_OUT or
 * CHORUS_CLOSED, *inserted says how many went in; an invalid priority changes nothing. */
chorus_status chorus_table_insert(chorus_table *table, const void *const *leaves, size_t count,
                                  const double *priorities, size_t priority_count, int64_t timeout_ns,
                                  uint64_t *keys, size_t *inserted);

/* Draws batch_size items once the rate limiter allows it (all or nothing), gathering leaf i into
 * leaves[i] (batch_size × leaf bytes, C order). Each info array (may be NULL) gets batch_size
 * values: keys, the probabilities they were drawn with, their priorities, times sampled (this
 * draw included), and the table's size at each draw. */
chorus_status chorus_table_sample(chorus_table *table, size_t batch_size, int64_t timeout_ns,
                                  void *const *leaves, uint64_t *keys, double *probabilities,
                                  double *priorities, uint64_t *times_sampled, uint64_t *table_sizes);

/* Sets priorities by key; nothing changes if a priority is invalid or a key unknown. */
chorus_status chorus_table_update_priorities(chorus_table *table, const uint64_t *keys, const double *priorities,
                                             size_t count);
/* Removes items by key; nothing changes if a key is unknown. */
chorus_status chorus_table_delete(chorus_table *table, const uint64_t *keys, size_t count);

/* A table's counters. Set struct_size to sizeof(chorus_table_info) before the call. */
typedef struct chorus_table_info {
    size_t struct_size;
    uint64_t size;
    uint64_t max_size;
    uint64_t inserts;
    uint64_t samples;
    uint64_t removals;
    uint64_t waiting_inserts;
    uint64_t waiting_samples;
} chorus_table_info;

chorus_status chorus_table_info_get(const chorus_table *table, chorus_table_info *out);

/* chorus_client_connect (v2) naming the replay table its samples go to. */
chorus_status chorus_client_connect_table(const char *host, uint16_t port, const chorus_schema *schema,
                                          const char *table, const uint8_t *secret, size_t secret_length,
                                          size_t window, int64_t connect_timeout_ns, chorus_client **out);
/* chorus_client_send for a table client: priorities[0] for all (priority_count 1) or one each. */
chorus_status chorus_client_send_prioritized(chorus_client *client, const void *const *leaves, size_t count,
                                             const double *priorities, size_t priority_count);

/* ---- A worker's client for sharded (data-parallel) learners ---------------------------------- */

/* Connects (wire v2) to each of `shard_count` servers hosts[i]:ports[i]. A shard that cannot be
 * reached starts down and is tried again after a back-off that doubles from retry_delay_ns up to
 * max_retry_delay_ns (<= 0: 100 ms and 5 s); at least one shard must answer. timeout_ns: the
 * longest a send waits for shards to come back (< 0: 30 s). window and connect_timeout_ns are each
 * shard's, as for chorus_client_connect. */
chorus_status chorus_sharded_client_connect(const char *const *hosts, const uint16_t *ports, size_t shard_count,
                                            const chorus_schema *schema, const uint8_t *secret,
                                            size_t secret_length, size_t window, int64_t connect_timeout_ns,
                                            int64_t retry_delay_ns, int64_t max_retry_delay_ns, int64_t timeout_ns,
                                            chorus_sharded_client **out);
/* Closes (if not already) and frees the client. */
void chorus_sharded_client_free(chorus_sharded_client *client);
/* Sends `count` samples (leaf-major, as chorus_client_send), each to the next shard that is up.
 * A shard that fails is skipped, and what it had not acked goes to the others. */
chorus_status chorus_sharded_client_send(chorus_sharded_client *client, const void *const *leaves, size_t count);
/* Sends `count` samples all to shard key % shard_count, waiting (at most the timeout) while it is down. */
chorus_status chorus_sharded_client_send_key(chorus_sharded_client *client, const void *const *leaves, size_t count,
                                             uint64_t key);
/* Waits until every sample sent so far is acked by some shard. */
chorus_status chorus_sharded_client_wait(chorus_sharded_client *client, int64_t timeout_ns);
/* Each shard's state, in connect order: up[i] 1 while shard i is connected, sent[i] the samples
 * handed to it (either array may be null; each holds shard_count entries). */
void chorus_sharded_client_shards(chorus_sharded_client *client, uint8_t *up, uint64_t *sent);
/* Closes every shard's connection; later sends return CHORUS_CLOSED. Unacked samples may be lost. */
void chorus_sharded_client_close(chorus_sharded_client *client);

#ifdef __cplusplus
}
#endif

#endif /* CHORUS_H */
