"""What the cocotb benches of the stimulus-file harnesses (tb_step, tb_load_temp) share: the core
clock, the case JSON named by an environment variable, and the stimulus path as a string port."""

from __future__ import annotations

import json
import os
from pathlib import Path

CLOCK_PERIOD_NS = 1085  # the core clock, 921.6 kHz (hdl_models/rtl/README.md)
PATH_BYTES = 256  # width of the harnesses' stim_path port in bytes


def load_case(env_var: str) -> dict:
    """The case JSON named by ``env_var``; a clear error when it is not set."""
    path = os.environ.get(env_var)
    if not path:
        raise RuntimeError(f"environment variable {env_var} is not set (path of the case JSON)")
    return json.loads(Path(path).read_text())


def path_value(path: str) -> int:
    """``path`` as the integer of a Verilog string vector (last character in the low byte)."""
    raw = path.encode("ascii")
    if len(raw) > PATH_BYTES:
        raise ValueError(
            f"stimulus path {path!r} has {len(raw)} bytes; the harness takes {PATH_BYTES}"
        )
    return int.from_bytes(raw, "big")
