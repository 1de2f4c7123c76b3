"""The deployment files (deploy/): the Kubernetes manifests rendered by kubectl and validated
against Kubernetes' own schemas, and checked against the `chorus` command they run; the
Dockerfile's inputs; the Slurm script run end to end. What could not run here (no Docker
engine, no Kubernetes API server, no Slurm) is said where it is skipped or shimmed."""
import json
import os
import re
import shutil
import stat
import subprocess

import pytest
import yaml

from conftest import ROOT, free_port, run

DEPLOY = ROOT / "deploy"
KUBERNETES_VERSION = "1.32.0"


@pytest.fixture(scope="module")
def manifests() -> list[dict]:
    """deploy/k8s rendered by `kubectl kustomize` (offline), one dict per resource."""
    if not shutil.which("kubectl"):
        pytest.skip("kubectl is not installed")
    rendered = run("kubectl", "kustomize", DEPLOY / "k8s")
    assert rendered.returncode == 0, rendered.stderr
    return [doc for doc in yaml.safe_load_all(rendered.stdout) if doc]


def containers(manifests):
    for resource in manifests:
        if resource["kind"] in ("Deployment", "StatefulSet"):
            for container in resource["spec"]["template"]["spec"]["containers"]:
                yield resource, container


def test_manifests_hold_every_part_and_pass_kubernetes_schemas(manifests, tmp_path):
    kinds = sorted(f"{r['kind']}/{r['metadata']['name']}" for r in manifests)
    assert kinds == ["Deployment/chorus-coordinator", "Deployment/chorus-es-worker", "Deployment/chorus-rollout-worker",
                     "PersistentVolumeClaim/chorus-coordinator-state", "Secret/chorus-secrets",
                     "Service/chorus-coordinator", "Service/chorus-learner", "StatefulSet/chorus-learner"]
    validate = pytest.importorskip("kubernetes_validate", reason="kubernetes-validate is not installed")
    for resource in manifests:
        # Strict: a misspelt or misplaced field fails, not only a wrong type.
        validate.validate(resource, KUBERNETES_VERSION, strict=True)
    broken = json.loads(json.dumps(manifests[-1]))
    broken["spec"]["template"]["spec"]["containers"][0]["argz"] = []
    with pytest.raises(validate.ValidationError):
        validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_kubectl_apply_dry_run_client(manifests, tmp_path):
    probe = run("kubectl", "version", "--request-timeout=5s", timeout=30)
    if probe.returncode != 0:
        pytest.skip("no Kubernetes API server is reachable: `kubectl apply --dry-run=client` needs one for "
                    "its resource discovery (the schemas were checked offline instead)")
    applied = run("kubectl", "apply", "--dry-run=client", "-k", DEPLOY / "k8s", timeout=60)
    assert applied.returncode == 0, applied.stderr


def test_every_container_runs_options_the_command_has(manifests, chorus):
    for resource, container in containers(manifests):
        subcommand, *options = container["args"]
        known = run(chorus, subcommand, "--help").stdout
        for option in options:
            name = option.split("=", 1)[0]
            assert re.search(rf"(^|\s){re.escape(name)}\b", known, re.M), f"{resource['metadata']['name']}: {name}"


def test_services_secrets_ports_and_scrape_annotations_fit_together(manifests):
    pods = {r["metadata"]["name"]: r["spec"]["template"] for r in manifests
            if r["kind"] in ("Deployment", "StatefulSet")}
    secret_keys = {r["metadata"]["name"]: set(r["stringData"]) for r in manifests if r["kind"] == "Secret"}
    for service in (r for r in manifests if r["kind"] == "Service"):
        selected = [t for t in pods.values()
                    if service["spec"]["selector"].items() <= t["metadata"]["labels"].items()]
        assert len(selected) == 1, service["metadata"]["name"]
        exposed = {p["containerPort"] for c in selected[0]["spec"]["containers"] for p in c["ports"]}
        assert {p["port"] for p in service["spec"]["ports"]} <= exposed
    for name, template in pods.items():
        spec = template["spec"]
        for volume in spec.get("volumes", []):
            if "secret" in volume:
                keys = {item["key"] for item in volume["secret"]["items"]}
                assert keys <= secret_keys[volume["secret"]["secretName"]], name
        args = dict(a.split("=", 1) for c in spec["containers"] for a in c["args"][1:] if "=" in a)
        annotations = template["metadata"].get("annotations", {})
        if "--http-port" in args:
            assert annotations.get("prometheus.io/scrape") == "true", name
            assert annotations.get("prometheus.io/port") == args["--http-port"], name
            assert args.get("--http-bind") == "0.0.0.0", f"{name}: a scraper outside the pod must reach it"
        for option in ("--secret-file", "--join-secret-file"):
            if option in args:
                mounts = [m["mountPath"] for c in spec["containers"] for m in c.get("volumeMounts", [])]
                assert any(args[option].startswith(m + "/") for m in mounts), f"{name}: {option}"


def test_dockerfile_builds_the_command_from_files_that_exist():
    text = (DEPLOY / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+) AS (\S+)$", text, re.M)
    assert [name for _, name in stages] == ["build", "run"]
    assert stages[0][0].startswith("swift:") and "slim" in stages[1][0], "built with the toolchain, run slim"
    for source in re.findall(r"^COPY (?!--from)(\S+)", text, re.M):
        assert list(ROOT.glob(source)), f"COPY {source}: nothing in the repository matches"
    assert re.search(r'\.executable\(name: "chorus"', (ROOT / "Package.swift").read_text())
    assert "--product chorus" in text and "COPY --from=build /out/chorus" in text
    learner_schema = "cartpole-trajectory.json"
    assert (ROOT / "Schemas" / learner_schema).exists()
    assert learner_schema in (DEPLOY / "k8s" / "learner.yaml").read_text()


def test_slurm_script_runs_an_es_run_to_its_end(chorus, tmp_path):
    """The sbatch script itself, run with stand-ins for Slurm's `srun` (runs the command once per
    node asked for, here) and `scontrol show hostnames` (127.0.0.1): no Slurm on this machine."""
    shims = tmp_path / "bin"
    shims.mkdir()
    (shims / "srun").write_text("""#!/bin/bash
nodes=1
while [[ $1 == --* ]]; do case $1 in --nodes=*) nodes=${1#--nodes=} ;; esac; shift; done
for ((i = 0; i < nodes; i++)); do "$@" & done
status=0
for pid in $(jobs -p); do wait "$pid" || status=$?; done
exit $status
""")
    (shims / "scontrol").write_text("#!/bin/bash\necho 127.0.0.1\necho 127.0.0.1\n")
    for shim in shims.iterdir():
        shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    state = tmp_path / "state"
    env = {**os.environ, "PATH": f"{shims}{os.pathsep}{os.environ['PATH']}", "CHORUS": str(chorus),
           "CHORUS_BIND": "127.0.0.1", "CHORUS_PORT": str(free_port()), "CHORUS_POPULATION": "12",
           "CHORUS_EPOCHS": "3", "CHORUS_STATE": str(state), "SLURM_JOB_ID": "1",
           "SLURM_JOB_NODELIST": "node[1-2]", "SLURM_JOB_NUM_NODES": "2", "SLURM_CPUS_PER_TASK": "2"}
    finished = subprocess.run(["bash", DEPLOY / "slurm" / "chorus-es.sbatch"], env=env, capture_output=True,
                              text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert [int(n) for n in re.findall(r"^epoch (\d+):", finished.stdout, re.M)] == [1, 2, 3]
    assert len(re.findall(r"final state digest", finished.stdout)) == 2, "both workers ran to the end"
    assert stat.S_IMODE((state / "join-secret").stat().st_mode) == 0o600
    assert (state / "run.checkpoint").exists()
