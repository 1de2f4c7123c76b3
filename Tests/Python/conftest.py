"""The Python package's tests run against the source tree (Python/src) and a Swift build's
libChorusC.so: $CHORUS_LIBRARY when set (make test sets it), else .build/debug's."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
os.environ.setdefault("CHORUS_LIBRARY", str(ROOT / ".build" / "debug" / "libChorusC.so"))
if not os.environ.get("CHORUS_WHEEL_INSTALLED"):
    sys.path.insert(0, str(ROOT / "Python" / "src"))
