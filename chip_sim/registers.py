"""The register map (from ``spec/registers.yaml``, the single source of truth) and the register
file of the golden model: reads, writes, and the NACK reasons of ICD section 2."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from chip_sim.errors import RegisterError

SPEC_PATH = Path(__file__).resolve().parent / "spec" / "registers.yaml"
I32_MIN, I32_MAX = -(2**31), 2**31 - 1

# NACK reasons (ICD section 2), the ones a register access can produce.
NACK_UNKNOWN_REGISTER = 3
NACK_READ_ONLY = 4
NACK_OUT_OF_RANGE = 5


@dataclass(frozen=True)
class Register:
    addr: int
    name: str
    access: str  # "RO" or "RW"
    reset: int
    group: str
    description: str
    min: int | None = None
    max: int | None = None
    unit: str = ""

    @property
    def writable(self) -> bool:
        return self.access == "RW"

    def accepts(self, value: int) -> bool:
        return (
            self.writable
            and self.min is not None
            and self.max is not None
            and (self.min <= value <= self.max)
        )


@dataclass(frozen=True)
class RegisterMap:
    registers: tuple[Register, ...]

    def __iter__(self) -> Iterator[Register]:
        return iter(self.registers)

    def by_name(self, name: str) -> Register:
        for r in self.registers:
            if r.name == name:
                return r
        raise RegisterError(
            f"unknown register {name!r}; expected one of "
            + ", ".join(r.name for r in self.registers)
        )

    def by_addr(self, addr: int) -> Register | None:
        for r in self.registers:
            if r.addr == addr:
                return r
        return None

    def reset_values(self) -> dict[str, int]:
        return {r.name: r.reset for r in self.registers}


@cache
def register_map(path: Path = SPEC_PATH) -> RegisterMap:
    """Load and check the register map: unique addresses and names, resets inside ranges."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    regs = tuple(Register(**{k: v for k, v in r.items()}) for r in data["registers"])
    seen_addr: set[int] = set()
    seen_name: set[str] = set()
    for r in regs:
        if not 0 <= r.addr <= 0xFF or r.addr in seen_addr or r.name in seen_name:
            raise RegisterError(
                f"{path}: register {r.name} at 0x{r.addr:02X} is out of 0..0xFF or not unique"
            )
        if r.access not in ("RO", "RW"):
            raise RegisterError(f"{path}: {r.name}: access {r.access!r}; expected RO or RW")
        if r.writable and (
            r.min is None
            or r.max is None
            or not r.min <= r.reset <= r.max
            or r.min < I32_MIN
            or r.max > I32_MAX
        ):
            raise RegisterError(
                f"{path}: {r.name}: reset {r.reset} must lie in min..max within i32"
            )
        seen_addr.add(r.addr)
        seen_name.add(r.name)
    return RegisterMap(regs)


class RegisterFile:
    """Register values of one chip. Writes outside a register's range change nothing."""

    def __init__(self, values: Mapping[str, int] | None = None):
        self.map = register_map()
        self._values = self.map.reset_values()
        for name, value in (values or {}).items():
            self.set(name, value)

    def set(self, name: str, value: int) -> None:
        """Set a writable register by name (the Python API); raises :class:`RegisterError`."""
        reg = self.map.by_name(name)
        if not reg.writable:
            raise RegisterError(f"register {name} is read-only")
        if isinstance(value, bool) or not isinstance(value, int) or not reg.accepts(value):
            raise RegisterError(
                f"register {name}: value {value!r} is out of range; expected an "
                f"integer in {reg.min}..{reg.max}" + (f" {reg.unit}" if reg.unit else "")
            )
        self._values[name] = value

    def __getitem__(self, name: str) -> int:
        if name not in self._values:
            self.map.by_name(name)  # raises with the list of names
        return self._values[name]

    def values(self) -> dict[str, int]:
        return dict(self._values)

    # --- the ICD host interface: addresses and NACK reasons ------------------------------------

    def write(self, addr: int, value: int) -> int | None:
        """REG_WRITE: None on success (ACK), else the NACK reason."""
        reg = self.map.by_addr(addr)
        if reg is None:
            return NACK_UNKNOWN_REGISTER
        if not reg.writable:
            return NACK_READ_ONLY
        if not reg.accepts(value):
            return NACK_OUT_OF_RANGE
        self._values[reg.name] = value
        return None

    def read(
        self, addr: int, live: Mapping[str, int] | None = None
    ) -> tuple[int | None, int | None]:
        """REG_READ: (value, None) or (None, NACK reason). ``live`` supplies read-only state
        (step count, fault flags, ...) owned by the running core."""
        reg = self.map.by_addr(addr)
        if reg is None:
            return None, NACK_UNKNOWN_REGISTER
        if live and reg.name in live:
            return int(live[reg.name]), None
        return self._values[reg.name], None


def register_table_markdown() -> str:
    """docs/registers.md, generated from the map."""
    lines = [
        "# Register map",
        "",
        "Generated from `chip_sim/spec/registers.yaml` (the single source of truth) by",
        "`python -m chip_sim.registers > docs/registers.md`; a test fails when it is stale.",
        "",
        "| addr | name | access | reset | range | unit | description |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in register_map():
        rng = f"{r.min} .. {r.max}" if r.writable else "—"
        reset = f"0x{r.reset:08X}" if r.reset > 0xFFFF else str(r.reset)
        lines.append(
            f"| 0x{r.addr:02X} | {r.name} | {r.access} | {reset} | {rng} | {r.unit} | "
            f"{r.description} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(register_table_markdown(), end="")
