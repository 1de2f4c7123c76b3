"""The command-line tool behaves as a service should."""
import signal
import time

import pytest

from conftest import ROOT


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_stops_gracefully_on_a_signal(chorus, processes, stop):
    serve = processes(chorus, "serve", "--schema", ROOT / "Schemas" / "cartpole-step.json", "--batch-size", 32,
                      "--echo-port", 0, "--port", 0, "--quiet")
    serve.wait_for(r"listening: chorus on")
    started = time.monotonic()
    serve.popen.send_signal(stop)
    assert serve.finish(timeout=10) == 0
    assert time.monotonic() - started < 5
    serve.wait_for(r"^done: 0 batches", timeout=1)
