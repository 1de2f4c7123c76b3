"""The quick start: a learner and a rollout worker in one process (in real runs they are separate
processes or machines). Written for id-echo's API: `import chorus as echo` is the only change."""
import threading

import numpy as np

import chorus as echo

example = {
    "obs": np.zeros((4,), dtype=np.float32),
    "reward": np.zeros((1,), dtype=np.float32),
}

server = echo.Server(example, batch_size=32, transport=echo.TcpTransport(port=0))
server.start()


def rollout_worker(port: int) -> None:
    client = echo.TcpClient("127.0.0.1", port, example)
    for step in range(1000):
        client.send({
            "obs": np.random.randn(4).astype(np.float32),
            "reward": np.array([step], dtype=np.float32),
        })
    client.wait()
    client.close()


worker = threading.Thread(target=rollout_worker, args=(server.port,))
worker.start()

rewards = []
for sample in server.dataset_iter():
    batch = sample.batch  # {"obs": (32, 4), "reward": (32, 1)}, zero-copy views of the ring
    rewards += batch["reward"][:, 0].tolist()
    if len(rewards) == 992:  # 31 full batches of 32; the last 8 samples wait for a 32nd
        break
worker.join()
server.close()
assert sorted(rewards) == list(range(992)), "every sample once"
print(f"chorus {echo.__version__}: {len(rewards)} samples in {len(rewards) // 32} batches, "
      f"{sample.info.batches_delivered} delivered")
