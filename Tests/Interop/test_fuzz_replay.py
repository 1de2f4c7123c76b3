"""The fuzz targets, built by a plain `swift build`, replay their seed corpus without a finding:
a regression check between `make fuzz` runs (which build them with libFuzzer)."""
import pytest

from conftest import ROOT, run

CORPORA = {
    "SchemaFuzzer": [ROOT / "Tests" / "Fuzz" / "corpus" / "schema", *sorted((ROOT / "Schemas").glob("*.json"))],
    "HelloFuzzer": [ROOT / "Tests" / "Fuzz" / "corpus" / "hello"],
    "FramerFuzzer": [ROOT / "Tests" / "Fuzz" / "corpus" / "framer"],
}


@pytest.mark.parametrize("target", sorted(CORPORA))
def test_fuzz_target_replays_its_corpus(chorus, target):
    binary = chorus.parent / target
    assert binary.exists(), f"{binary} is missing: `swift build` builds every fuzz target"
    result = run(binary, *CORPORA[target], timeout=120)
    assert result.returncode == 0, result.stderr
    count = int(result.stdout.split()[1])
    assert count >= len(CORPORA[target]), result.stdout
