#!/usr/bin/env python3
"""Adds up the JUnit/xUnit reports of `make test` and prints `N passed, N failed` last.

Each runner leaves `<name>.status` (its exit code) and, if it got as far as running tests,
XML reports `<name>*.xml`. A runner that exited non-zero without reporting any failure (a
build error, a crash) counts as one failure, so a broken build can never look green.
"""
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def count(report: Path) -> tuple[int, int, int]:
    passed = failed = skipped = 0
    for case in ET.parse(report).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def main(results: Path) -> int:
    total_passed = total_failed = total_skipped = 0
    for status_file in sorted(results.glob("*.status")):
        runner = status_file.stem
        status = int(status_file.read_text().strip() or 1)
        passed = failed = skipped = 0
        for report in sorted(results.glob(f"{runner}*.xml")):
            p, f, s = count(report)
            passed, failed, skipped = passed + p, failed + f, skipped + s
        if status != 0 and failed == 0:
            failed = 1
            print(f"{runner}: exited with status {status} without reporting a failed test")
        print(f"{runner}: {passed} passed, {failed} failed, {skipped} skipped")
        total_passed += passed
        total_failed += failed
        total_skipped += skipped
    if not list(results.glob("*.status")):
        total_failed = 1
        print("no test runner ran")
    if total_skipped:
        print(f"{total_skipped} skipped (the reasons are in the reports in {results})")
    # The last line, alone and in this exact form, is what CI reads.
    print(f"{total_passed} passed, {total_failed} failed")
    return 1 if total_failed else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
