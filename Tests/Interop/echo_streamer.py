"""The real id-echo TcpClient streaming load-pattern samples (see load_pattern.py) until it is
killed, 100 at a time, printing `acked N` once the first N are acknowledged.

usage: echo_streamer.py PORT SCHEMA_FILE CONNECTION
"""
import json
import sys

import numpy as np
import optree
from echo import TcpClient

from load_pattern import example_from_schema, expected_row

port, schema_file, connection = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
example = example_from_schema(json.loads(open(schema_file).read()))
leaves, spec = optree.tree_flatten(example)
row = expected_row(example)


def sample(sequence: int):
    """The pattern row with this sample's id in bytes 0-7, cut into the schema's leaves."""
    data = row.copy()
    data[:8] = np.frombuffer(np.uint64(connection << 40 | sequence).tobytes(), np.uint8)
    arrays, offset = [], 0
    for leaf in leaves:
        arrays.append(data[offset:offset + leaf.nbytes].view(leaf.dtype).reshape(leaf.shape))
        offset += leaf.nbytes
    return optree.tree_unflatten(spec, arrays)


client = TcpClient("127.0.0.1", port, example)
sequence = 0
while True:
    for _ in range(100):
        client.send(sample(sequence))
        sequence += 1
    client.wait()
    print(f"acked {sequence}", flush=True)
