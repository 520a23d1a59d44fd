"""Hardware detection: one module per source, each returning a ``ProbeResult`` (hive_tui.wire).

Parsers are pure functions of a tool's text; the thin ``probe_*`` functions run the tool
with a timeout and turn every failure into a reason.
"""

from hive_tui.hardware.detect import detect_hardware

__all__ = ["detect_hardware"]
