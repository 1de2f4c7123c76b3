"""Observability against the real tools: the `/metrics` text through the `prometheus_client`
parser (PyPI) while `chorus load` feeds `chorus serve`; a real Prometheus server (Debian's
`prometheus`) scraping it; the dashboard in a real headless Chromium (Debian's `chromium` and
`chromium-driver`, driven by Selenium from PyPI). A tool that cannot be had makes its test
skip, by name, with the reason."""
import json
import shutil
import time
import urllib.error
import urllib.request

import pytest

from conftest import ROOT, free_port

SCHEMA = ROOT / "Schemas" / "cartpole-step.json"


def get(url: str, timeout: float = 15) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


def serve(chorus, processes, *extra):
    """`chorus serve` with the HTTP endpoint on a free port: (its v2 port, the endpoint's URL)."""
    server = processes(chorus, "serve", "--schema", SCHEMA, "--batch-size", 256, "--port", 0,
                       "--http-port", 0, "--seconds", 120, *extra)
    port = int(server.wait_for(r"listening: chorus on 127\.0\.0\.1:(\d+)").group(1))
    http = server.wait_for(r"http: (http://127\.0\.0\.1:\d+/)").group(1)
    return port, http


def load(chorus, port, count=200_000, connections=2):
    from conftest import run
    result = run(chorus, "load", "--port", port, "--schema", SCHEMA, "--protocol", "chorus",
                 "--connections", connections, "--count", count, timeout=120)
    assert result.returncode == 0, result.stderr


def samples(text: str) -> dict:
    """`name{labels}` → value, through prometheus_client's own parser."""
    from prometheus_client.parser import text_string_to_metric_families
    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            values[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return values


def headless_chromium():
    """A Selenium driver for headless Chromium, or the reason there is none."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        return None, "selenium (PyPI) is not installed in the interop venv"
    browser, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if browser is None or driver_path is None:
        return None, "chromium and chromium-driver (Debian packages) are not installed: make deps installs them"
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver_path), options=options), None


def severe_console_entries(driver) -> list:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def test_metrics_parse_with_prometheus_client_and_move_under_load(chorus, processes):
    port, http = serve(chorus, processes)
    before = samples(get(http + "metrics"))
    assert before["chorus_ring_samples_committed_total"] == 0
    load(chorus, port, count=100_000)
    # The learner takes the last batches after the load ends: scrape until it has them all.
    after, deadline = samples(get(http + "metrics")), time.monotonic() + 30
    while time.monotonic() < deadline and after["chorus_ring_batches_delivered_total"] < 200_000 // 256:
        time.sleep(0.2)
        after = samples(get(http + "metrics"))
    assert after["chorus_ring_samples_committed_total"] == 200_000
    assert after[f'chorus_listener_samples_total{{listener="{port}",wire="chorus"}}'] == 200_000
    assert after["chorus_connections_accepted_total"] == 2
    assert after["chorus_ring_batches_delivered_total"] == 200_000 // 256
    assert after["chorus_batch_delivery_seconds_count"] == after["chorus_ring_batches_delivered_total"]
    status = json.loads(get(http + "api/status"))
    assert status["server"]["samplesCommitted"] == 200_000


def test_bad_requests_get_404_and_405_and_the_endpoint_goes_on(chorus, processes):
    _, http = serve(chorus, processes)
    with pytest.raises(urllib.error.HTTPError) as missing:
        get(http + "nope")
    assert missing.value.code == 404
    with pytest.raises(urllib.error.HTTPError) as posted:
        urllib.request.urlopen(urllib.request.Request(http + "metrics", data=b"x", method="POST"), timeout=5)
    assert posted.value.code == 405
    huge = urllib.request.Request(http + "metrics", headers={"X-Filler": "a" * 200_000})
    with pytest.raises((urllib.error.URLError, ConnectionError)):  # 431, or the connection cut
        urllib.request.urlopen(huge, timeout=15)
    assert "chorus_ring_samples_committed_total" in get(http + "metrics")


def test_a_real_prometheus_scrapes_chorus_serve(chorus, processes, tmp_path):
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        pytest.skip("prometheus (Debian package) is not installed: make deps installs it through apt")
    port, http = serve(chorus, processes)
    load(chorus, port, count=50_000)
    target = http.removeprefix("http://").rstrip("/")
    config = tmp_path / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1s\nscrape_configs:\n"
                      f"  - job_name: chorus\n    static_configs:\n      - targets: ['{target}']\n")
    web = free_port()
    processes(prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
              f"--web.listen-address=127.0.0.1:{web}")
    query = f"http://127.0.0.1:{web}/api/v1/query?query=chorus_ring_samples_committed_total"
    deadline, value = time.monotonic() + 60, None
    while time.monotonic() < deadline and value is None:
        time.sleep(0.5)
        try:
            result = json.loads(get(query))["data"]["result"]
        except (urllib.error.URLError, ConnectionError, KeyError):
            continue
        value = float(result[0]["value"][1]) if result else None
    assert value == 100_000, f"Prometheus returned {value}"


def test_the_dashboard_in_headless_chromium(chorus, processes):
    driver, reason = headless_chromium()
    if driver is None:
        pytest.skip(reason)
    try:
        port, http = serve(chorus, processes)
        driver.set_page_load_timeout(30)
        driver.get(http)
        assert driver.find_element("id", "samples-per-second").text == "0"
        assert driver.find_element("id", "epoch").text == "–"
        feeder = processes(chorus, "load", "--port", port, "--schema", SCHEMA, "--protocol", "chorus",
                           "--connections", 2, "--seconds", 20)
        deadline, shown = time.monotonic() + 30, "0"
        while time.monotonic() < deadline and shown in ("0", ""):
            time.sleep(0.5)
            shown = driver.find_element("id", "samples-per-second").text
        assert shown not in ("0", ""), "samples/s stayed 0 under load"
        assert float(shown.replace(",", "")) > 0
        assert driver.find_element("id", "connections").text != ""
        feeder.stop()
        assert not severe_console_entries(driver)
    finally:
        driver.quit()


def test_a_coordinators_training_is_on_its_endpoint_and_dashboard(chorus, processes):
    """`chorus coordinator --http-port` with a `chorus worker`: the epoch and the training curve
    grow in `/api/status`, the coordinator's series parse with prometheus_client, and the
    dashboard's epoch moves in headless Chromium when it can be had."""
    coordinator = processes(chorus, "coordinator", "--population", 16, "--max-epochs", 100_000, "--port", 0,
                            "--http-port", 0)
    port = coordinator.wait_for(r"coordinator: listening on 127\.0\.0\.1:(\d+)").group(1)
    http = coordinator.wait_for(r"http: (http://127\.0\.0\.1:\d+/)").group(1)
    processes(chorus, "worker", "--port", port, "--cores", 8, "--quiet")
    coordinator.wait_for(r"^epoch 3:")
    first = json.loads(get(http + "api/status"))["training"]
    coordinator.wait_for(r"^epoch 8:")
    later, deadline = json.loads(get(http + "api/status"))["training"], time.monotonic() + 15
    while later["counters"].get("joins") != 1 and time.monotonic() < deadline:  # copied once a second
        time.sleep(0.3)
        later = json.loads(get(http + "api/status"))["training"]
    assert later["epoch"] > first["epoch"] >= 3 and len(later["curve"]) > len(first["curve"])
    assert later["population"] == 16 and later["counters"]["joins"] == 1
    assert [worker["state"] for worker in later["workers"]] in (["busy"], ["idle"])
    values = samples(get(http + "metrics"))
    assert values["chorus_coordinator_epoch"] >= 8
    assert values["chorus_coordinator_evaluations_accepted_total"] > 0
    assert values["chorus_epoch_seconds_count"] >= 8
    assert values["chorus_coordinator_reward_max"] > 0
    driver, _ = headless_chromium()
    if driver is None:
        return  # the browser half is covered (or reported skipped) by the dashboard test above
    try:
        driver.get(http)
        deadline, seen = time.monotonic() + 20, []
        while time.monotonic() < deadline and len(set(seen)) < 2:
            time.sleep(0.5)
            text = driver.find_element("id", "epoch").text
            if text not in ("", "–"):
                seen.append(text)
        assert len(set(seen)) >= 2, f"the dashboard's epoch did not move: {seen}"
        assert not severe_console_entries(driver)
    finally:
        driver.quit()


def test_the_demos_training_curve_grows_in_headless_chromium(chorus, processes, tmp_path):
    """`chorus demo --http-port`: the dashboard's training curve gains points, and policy
    scores, while the demo's coordinator trains; the demo then ends by itself."""
    driver, reason = headless_chromium()
    if driver is None:
        pytest.skip(reason)
    try:
        # A population of 256 makes the training last some 20 s here, long enough to watch.
        demo = processes(chorus, "demo", "--http-port", 0, "--workers", 1, "--population", 256,
                         "--rollouts", 1, "--rollout-seconds", 1, "--output", tmp_path)
        http = demo.wait_for(r"http: (http://127\.0\.0\.1:\d+/)").group(1)
        driver.set_page_load_timeout(30)
        driver.get(http)
        chart = driver.find_element("id", "training-chart")
        deadline, points, scored = time.monotonic() + 120, set(), 0
        while time.monotonic() < deadline and (len(points - {0}) < 2 or scored == 0):
            time.sleep(0.5)
            points.add(int(chart.get_attribute("data-points") or 0))
            scored = int(chart.get_attribute("data-scored-points") or 0)
        assert len(points - {0}) >= 2, f"the curve did not grow: {sorted(points)}"
        assert scored > 0, "no policy score reached the curve"
        assert driver.find_element("id", "epoch").text not in ("", "–")
        assert not severe_console_entries(driver)
    finally:
        driver.quit()
    demo.wait_for(r"training curve: ", timeout=180)
