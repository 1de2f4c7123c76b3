"""The layers of ../shared/DESIGN.md hold in code: the declared target graph (from
`swift package describe`) and every `import` in Sources/ agree with the layer order.

SwiftPM lets a file import a module its target does not declare when that module happens to be
built already, so the imports are checked as well as the graph.
"""
import json
import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

from conftest import ROOT

# Bottom to top. A module may depend on (and import) only modules listed before it.
LAYERS = ["CLibURing", "CChorus", "CSharedMemory", "ChorusCore", "ChorusClient", "Chorus", "ChorusES", "ChorusEvochi", "ChorusHTTP", "ChorusC", "ChorusCLI"]
# The project modules each layer may reach, beyond the rule above.
ALLOWED = {
    "ChorusCore": set(),
    "ChorusClient": {"ChorusCore", "CSharedMemory"},
    "Chorus": {"ChorusCore", "ChorusClient", "CLibURing", "CSharedMemory"},
    "ChorusES": {"ChorusCore"},
    "ChorusEvochi": {"ChorusCore", "ChorusES"},
    "ChorusHTTP": {"ChorusCore", "ChorusClient", "Chorus", "CLibURing", "CSharedMemory"},
    "ChorusC": {"ChorusCore", "ChorusClient", "Chorus", "CLibURing", "CChorus", "CSharedMemory"},
    "ChorusCLI": {"ChorusCore", "ChorusClient", "Chorus", "CLibURing", "CSharedMemory", "ChorusES", "ChorusEvochi",
                  "ChorusHTTP"},
}
# Only these layers may reach gRPC, NIO or Hummingbird (which is built on NIO).
NETWORK_FRAMEWORKS = re.compile(r"^(GRPC|NIO|SwiftProtobuf|Hummingbird)")
NETWORK_LAYERS = {"ChorusEvochi", "ChorusHTTP", "ChorusCLI"}
IMPORT = re.compile(r"^\s*(?:@_exported\s+|@testable\s+)?import\s+(?:struct\s+|enum\s+|class\s+)?([A-Za-z_][A-Za-z0-9_]*)", re.M)


@cache
def description() -> dict:
    result = subprocess.run(["swift", "package", "describe", "--type", "json"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def targets() -> dict[str, dict]:
    return {target["name"]: target for target in description()["targets"]}


def closure(name: str) -> tuple[set[str], set[str]]:
    """Every project target and every product `name` reaches through declared dependencies."""
    modules, products, stack = set(), set(), [name]
    while stack:
        target = targets()[stack.pop()]
        products |= set(target.get("product_dependencies", []))
        for dependency in target.get("target_dependencies", []):
            if dependency not in modules:
                modules.add(dependency)
                stack.append(dependency)
    return modules, products


@pytest.mark.parametrize("layer", [name for name in LAYERS if name in ALLOWED])
def test_declared_dependencies_follow_the_layers(layer):
    modules, products = closure(layer)
    assert modules <= ALLOWED[layer], f"{layer} reaches {sorted(modules - ALLOWED[layer])}"
    if layer not in NETWORK_LAYERS:
        assert not any(NETWORK_FRAMEWORKS.match(p) for p in products), f"{layer} reaches {sorted(products)}"


@pytest.mark.parametrize("layer", ["ChorusCore", "ChorusClient", "ChorusES"])
def test_no_path_to_liburing(layer):
    modules, _ = closure(layer)
    assert "CLibURing" not in modules and "Chorus" not in modules


@pytest.mark.parametrize("layer", [name for name in LAYERS if name in ALLOWED])
def test_sources_import_only_lower_layers(layer):
    path = ROOT / targets()[layer]["path"]
    project = set(LAYERS)
    offenders = []
    for source in sorted(path.rglob("*.swift")):
        for module in IMPORT.findall(source.read_text()):
            if module in project and module not in ALLOWED[layer]:
                offenders.append(f"{source.relative_to(ROOT)} imports {module}")
            if layer not in NETWORK_LAYERS and NETWORK_FRAMEWORKS.match(module):
                offenders.append(f"{source.relative_to(ROOT)} imports {module}")
    assert not offenders, "\n".join(offenders)


def test_the_checker_sees_a_violation(tmp_path):
    """The import scan catches a lower module importing a higher one (it is not vacuous)."""
    sample = "import ChorusCore\n@_exported import Chorus\nimport GRPCCore\n"
    found = IMPORT.findall(sample)
    assert found == ["ChorusCore", "Chorus", "GRPCCore"]
    assert "Chorus" not in ALLOWED["ChorusES"]
