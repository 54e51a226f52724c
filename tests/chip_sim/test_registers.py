"""Register map: the single source of truth, its generated table, and the ICD access rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from chip_sim.errors import RegisterError
from chip_sim.registers import (
    NACK_OUT_OF_RANGE,
    NACK_READ_ONLY,
    NACK_UNKNOWN_REGISTER,
    RegisterFile,
    register_map,
    register_table_markdown,
)

ROOT = Path(__file__).resolve().parents[2]


def test_fixed_registers_of_the_icd():
    m = register_map()
    assert m.by_addr(0x00).name == "CHIP_ID" and m.by_addr(0x00).reset == 0x5C1E0001
    assert m.by_addr(0x01).name == "ICD_VERSION" and m.by_addr(0x01).reset == 1
    assert not m.by_addr(0x00).writable and not m.by_addr(0x01).writable


def test_map_is_unique_and_resets_are_in_range():
    regs = list(register_map())
    assert len({r.addr for r in regs}) == len(regs)
    assert len({r.name for r in regs}) == len(regs)
    for r in regs:
        if r.writable:
            assert r.min <= r.reset <= r.max, r.name
            assert r.description


def test_docs_table_is_generated_from_the_map():
    assert (ROOT / "docs" / "registers.md").read_text() == register_table_markdown()


def test_write_read_and_nack_reasons():
    rf = RegisterFile()
    addr = register_map().by_name("OVERLOAD_LIMIT").addr
    assert rf.write(addr, 1234) is None
    assert rf.read(addr) == (1234, None)
    assert rf.write(addr, 40000) == NACK_OUT_OF_RANGE
    assert rf.write(addr, -1) == NACK_OUT_OF_RANGE
    assert rf.read(addr) == (1234, None)  # a refused write changes nothing
    assert rf.write(0x00, 1) == NACK_READ_ONLY
    assert rf.read(0x00) == (0x5C1E0001, None)
    assert rf.write(0xEE, 1) == NACK_UNKNOWN_REGISTER
    assert rf.read(0xEE) == (None, NACK_UNKNOWN_REGISTER)


def test_read_only_state_comes_from_the_running_core():
    rf = RegisterFile()
    addr = register_map().by_name("STEP_COUNT").addr
    assert rf.read(addr, live={"STEP_COUNT": 42}) == (42, None)


def test_python_api_names_the_register_and_the_range():
    with pytest.raises(
        RegisterError,
        match=r"FALL_IMPACT_MG: value 99999 is out of range; expected "
        r"an integer in 1000\.\.16000 mg",
    ):
        RegisterFile({"FALL_IMPACT_MG": 99999})
    with pytest.raises(RegisterError, match="unknown register 'NOPE'"):
        RegisterFile({"NOPE": 1})
    with pytest.raises(RegisterError, match="read-only"):
        RegisterFile({"CHIP_ID": 1})
    with pytest.raises(RegisterError, match="out of range"):
        RegisterFile({"STATUS_PERIOD_SAMPLES": 1.5})
