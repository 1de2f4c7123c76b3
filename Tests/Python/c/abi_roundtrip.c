/* A C program on chorus.h alone: parse a schema, serve it on a v2 listener, send samples from a
 * client in leaf-major buffers, read the batch back, and check every byte and error path it
 * touches. Prints "ok" and exits 0 when everything holds. */
#include <chorus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(call)                                                                      \
    do {                                                                                 \
        chorus_status status_ = (call);                                                  \
        if (status_ != CHORUS_OK) {                                                      \
            fprintf(stderr, "%s:%d: %s -> %d: %s\n", __FILE__, __LINE__, #call, status_, \
                    chorus_last_error());                                                \
            return 1;                                                                    \
        }                                                                                \
    } while (0)

#define EXPECT(condition)                                                                \
    do {                                                                                 \
        if (!(condition)) {                                                              \
            fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #condition);     \
            return 1;                                                                    \
        }                                                                                \
    } while (0)

enum { BATCH = 4 };

int main(void) {
    EXPECT(chorus_abi_version() == CHORUS_ABI_VERSION);

    chorus_schema *bad = NULL;
    EXPECT(chorus_schema_parse("{\"obs\": \"float32[4\"}", &bad) == CHORUS_INVALID_ARGUMENT);
    EXPECT(strstr(chorus_last_error(), "obs") != NULL);

    chorus_schema *schema = NULL;
    CHECK(chorus_schema_parse("{\"reward\": \"float32[]\", \"obs\": \"int16[2,3]\"}", &schema));
    EXPECT(chorus_schema_leaf_count(schema) == 2);
    EXPECT(chorus_schema_sample_size(schema) == 2 * 6 + 4);
    chorus_leaf_info leaf;
    CHECK(chorus_schema_leaf(schema, 0, &leaf));
    EXPECT(strcmp(leaf.path, "obs") == 0 && strcmp(leaf.dtype, "int16") == 0);
    EXPECT(leaf.ndim == 2 && leaf.shape[0] == 2 && leaf.shape[1] == 3 && leaf.byte_count == 12);
    EXPECT(chorus_schema_leaf(schema, 2, &leaf) == CHORUS_INVALID_ARGUMENT);

    chorus_server *server = NULL;
    EXPECT(chorus_server_create(schema, BATCH, 1, &server) == CHORUS_INVALID_ARGUMENT);
    CHECK(chorus_server_create(schema, BATCH, 2, &server));
    const uint8_t secret[] = "s3cret";
    chorus_listener listener = {.protocol = CHORUS_PROTOCOL_CHORUS, .host = "127.0.0.1", .secret = secret, .secret_length = 6};
    uint16_t port = 0;
    CHECK(chorus_server_listen(server, &listener, 1, 1, &port));
    EXPECT(port != 0);

    chorus_client *client = NULL;
    EXPECT(chorus_client_connect("127.0.0.1", port, schema, CHORUS_PROTOCOL_ECHO, secret, 6, 0, -1, &client) ==
           CHORUS_INVALID_ARGUMENT);
    EXPECT(strstr(chorus_last_error(), "no authentication") != NULL);
    EXPECT(chorus_client_connect("127.0.0.1", port, schema, CHORUS_PROTOCOL_CHORUS, (const uint8_t *)"wrong", 5, 0,
                                 -1, &client) == CHORUS_REFUSED);
    CHECK(chorus_client_connect("127.0.0.1", port, schema, CHORUS_PROTOCOL_CHORUS, secret, 6, 0, -1, &client));

    int16_t obs[BATCH][6];
    float reward[BATCH];
    for (int i = 0; i < BATCH; i++) {
        for (int j = 0; j < 6; j++) obs[i][j] = (int16_t)(100 * i + j);
        reward[i] = 0.5f * (float)i;
    }
    const void *leaves[2] = {obs, reward};
    CHECK(chorus_client_send(client, leaves, BATCH));
    CHECK(chorus_client_wait(client, 10000000000LL));
    EXPECT(chorus_client_unacked(client) == 0);

    uint64_t sequence = 99;
    chorus_server_metrics at_take;
    at_take.struct_size = sizeof at_take;
    CHECK(chorus_server_next(server, 10000000000LL, &sequence, &at_take));
    EXPECT(sequence == 0 && at_take.batches_delivered == 1 && at_take.samples_read_directly <= BATCH);
    void *data = NULL;
    size_t length = 0;
    CHECK(chorus_server_leaf_data(server, sequence, 0, &data, &length));
    EXPECT(length == sizeof obs && memcmp(data, obs, sizeof obs) == 0);
    CHECK(chorus_server_leaf_data(server, sequence, 1, &data, &length));
    EXPECT(length == sizeof reward && memcmp(data, reward, sizeof reward) == 0);
    EXPECT(chorus_server_leaf_data(server, sequence + 1, 0, &data, &length) == CHORUS_INVALID_ARGUMENT);

    EXPECT(chorus_server_next(server, 1000000, &sequence, NULL) == CHORUS_TIMED_OUT);

    chorus_server_metrics metrics;
    metrics.struct_size = sizeof metrics;
    CHECK(chorus_server_metrics_get(server, &metrics));
    EXPECT(metrics.samples_received == BATCH && metrics.batches_delivered == 1 && metrics.connections_refused == 1);

    size_t committed = 7;
    CHECK(chorus_server_submit(server, leaves, BATCH, -1, &committed));
    EXPECT(committed == BATCH);
    chorus_server_shutdown(server);
    EXPECT(chorus_server_submit(server, leaves, 1, -1, &committed) == CHORUS_CLOSED && committed == 0);
    CHECK(chorus_server_next(server, -1, &sequence, NULL));
    EXPECT(sequence == 1);
    EXPECT(chorus_server_next(server, -1, &sequence, NULL) == CHORUS_FINISHED);

    chorus_client_close(client);
    EXPECT(chorus_client_send(client, leaves, 1) == CHORUS_CLOSED);
    chorus_client_free(client);
    chorus_server_free(server);
    chorus_schema_free(schema);
    puts("ok");
    return 0;
}
