"""An unchanged id-echo Server as a learner: prints its port, consumes `count` samples produced
by `chorus load`, checks each one against the load pattern, and prints a JSON report.

Run as a separate process by test_echo_interop.py. It ends with os._exit so that id-echo's
runtime teardown (which panics at interpreter exit in 0.2.1) cannot affect the result.
"""
import json
import os
import sys
import time

import numpy as np
import optree
from echo import Server, TcpTransport

from load_pattern import check_rows, example_from_schema

schema_file, batch_size, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
example = example_from_schema(json.load(open(schema_file)))
server = Server(example, batch_size=batch_size, transport=TcpTransport(port=0))
server.start()
print(f"port {server.port}", flush=True)

ids: list[int] = []
problems: list[str] = []
deadline = time.time() + 60
while len(ids) < count and time.time() < deadline:
    sample = server.sample()
    if sample is None:
        break
    leaves = optree.tree_leaves(sample.batch)
    rows = np.concatenate([leaf.view(np.uint8).reshape(batch_size, -1) for leaf in leaves], axis=1)
    batch_ids, batch_problems = check_rows(rows, example)
    ids += batch_ids
    problems += batch_problems
print(json.dumps({"ids": ids, "problems": problems[:10]}), flush=True)
os._exit(0)
