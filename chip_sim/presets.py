"""Register presets per sensor placement, and the patient-specific registers a clinician programs
(the prescribed partial-weight-bearing limit)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from chip_sim.errors import RegisterError
from chip_sim.registers import RegisterFile

PRESETS_PATH = Path(__file__).resolve().parent / "spec" / "presets.yaml"
PLACEMENT_OF_SITE = {
    "knee_tibial_tray": "tibia",
    "tibial_plate": "tibia",
    "ankle_orthosis": "tibia",
    "hip_stem": "hip",
    "femoral_plate": "hip",
    "lower_back": "lower-back",
}


@cache
def presets() -> dict[str, dict[str, int]]:
    data = yaml.safe_load(PRESETS_PATH.read_text(encoding="utf-8"))["presets"]
    return {name: dict(p.get("registers") or {}) for name, p in data.items()}


def preset(name: str) -> dict[str, int]:
    if name not in presets():
        raise RegisterError(f"unknown preset {name!r}; expected one of {', '.join(presets())}")
    return dict(presets()[name])


def strain_code(load_n: float, strain_ue_per_n: float) -> int:
    """Implant load (N) as a LOAD code (0.1 µε), through the site's bridge calibration."""
    return round(load_n * strain_ue_per_n * 10)


def registers_for(
    implant_site: str,
    *,
    overload_limit_n: float | None,
    strain_ue_per_n: float,
    extra: dict[str, int] | None = None,
) -> RegisterFile:
    """The register file a clinician would program for this patient: the placement preset, the
    prescribed limit as OVERLOAD_LIMIT, then any explicit overrides."""
    values = preset(PLACEMENT_OF_SITE[implant_site])
    if overload_limit_n is not None:
        values["OVERLOAD_LIMIT"] = min(strain_code(overload_limit_n, strain_ue_per_n), 32767)
    values.update(extra or {})
    return RegisterFile(values)
