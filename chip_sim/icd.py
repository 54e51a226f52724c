"""The ICD v1 wire contract (sections 1–3) as Python: codes, payloads, framing, CRC, a receiver.

The RTL, the golden model and the bench must agree byte for byte, so no number lives here: every
code, field, type and CRC parameter is read from ``chip_sim/spec/icd.yaml`` once, on import, and
checked there (a broken spec fails the import, not a test run hours later). The payload dataclasses
mirror the YAML field lists and the import refuses any drift between the two.

Payloads check *wire* ranges only (u8, i32, …). Whether a code is *known* — an EVENT code, a NACK
reason, a register — is a conformance question the bench asks of a DUT; a receiver never refuses a
well-formed frame for carrying one, and a host must be able to send an unknown one on purpose.

Two kinds of error: a caller passing an out-of-range value gets a ``ValueError``; bytes that do not
follow the ICD raise :class:`IcdError`. :class:`FrameDecoder` raises neither: a link delivers
garbage, and garbage is counted, never hidden.
"""

from __future__ import annotations

import operator
import struct
import sys
from collections.abc import Sequence
from dataclasses import dataclass, fields
from enum import IntEnum, IntFlag
from importlib import resources
from typing import Any, ClassVar, Self

import yaml

from chip_sim.errors import ChipError

SPEC_FILE = "chip_sim/spec/icd.yaml"  # as named in messages and in the generated document


class IcdError(ChipError):
    """Bytes (or the spec file) do not follow the ICD; the message names what, where and why.

    A :class:`ChipError`, hence a ``ValueError``."""


# --- the spec ---------------------------------------------------------------------------------

#: Wire types of the YAML: struct code, lowest and highest value.
_TYPES = {
    "u8": ("B", 0, 0xFF),
    "u16": ("H", 0, 0xFFFF),
    "u32": ("I", 0, 0xFFFF_FFFF),
    "i16": ("h", -0x8000, 0x7FFF),
    "i32": ("i", -0x8000_0000, 0x7FFF_FFFF),
}
_HEADER_BYTES = 5  # SYNC0 SYNC1 TYPE SEQ LEN
_CRC_BYTES = 2
_DIRECTIONS = {"chip_to_host": "chip→host", "host_to_chip": "host→chip"}

#: Keys of the entries of each list section: (required, optional).
_ENTRY_KEYS: dict[str, tuple[set[str], set[str]]] = {
    "channels": ({"index", "name", "quantity", "lsb", "unit", "full_scale_code"}, set()),
    "frame_types": (
        {"code", "name", "direction", "payload", "size_bytes"},
        {"rows", "note", "defined_by"},
    ),
    "event_codes": ({"code", "name", "defined_by", "value", "value_unit"}, set()),
    "nack_reasons": ({"code", "name", "meaning"}, {"defined_by"}),
    "commands": ({"code", "name", "meaning"}, set()),
    "reset_reasons": ({"code", "name", "meaning"}, set()),
}
_TOP_KEYS = {"icd_version", "framing", "no_data_code", "project_event_codes", "event_flag_bits"}
_TOP_KEYS |= {"status_fault_flags", *_ENTRY_KEYS}


def _spec_error(where: str, message: str) -> IcdError:
    return IcdError(f"{SPEC_FILE}: {where}: {message}")


def _check_entries(spec: dict[str, Any], section: str) -> None:
    entries = spec[section]
    if not isinstance(entries, list) or not entries:
        raise _spec_error(section, "expected a non-empty list of entries")
    required, optional = _ENTRY_KEYS[section]
    seen: set[object] = set()
    for i, entry in enumerate(entries):
        where = f"{section}[{i}]"
        if not isinstance(entry, dict):
            raise _spec_error(where, f"expected a mapping with keys {sorted(required)}")
        missing, unknown = required - entry.keys(), entry.keys() - required - optional
        if missing or unknown:
            raise _spec_error(where, f"missing keys {sorted(missing)}, unknown {sorted(unknown)}")
        name = entry["name"]
        if not isinstance(name, str) or not name.isidentifier() or not name.isupper():
            raise _spec_error(f"{where}.name", f"{name!r} is not an UPPER_CASE identifier")
        key = entry.get("code", entry.get("index"))
        if not isinstance(key, int) or not 0 <= key <= 0xFF:
            raise _spec_error(f"{where}", f"code {key!r} is not a u8 (0..255)")
        if key in seen or name in seen:
            raise _spec_error(where, f"code {key} or name {name} is repeated")
        if entry.get("defined_by", "icd") not in ("icd", "project"):
            raise _spec_error(
                f"{where}.defined_by", f"{entry['defined_by']!r}; expected icd or project"
            )
        seen |= {key, name}


def _check_spec(spec: Any) -> dict[str, Any]:
    """Refuse a spec file that is incomplete or contradicts itself, naming the key."""
    if not isinstance(spec, dict) or spec.keys() != _TOP_KEYS:
        got = sorted(spec) if isinstance(spec, dict) else spec
        raise _spec_error("top level", f"expected the keys {sorted(_TOP_KEYS)}, got {got}")
    for section in _ENTRY_KEYS:
        _check_entries(spec, section)
    if spec["no_data_code"] != -32768:
        raise _spec_error("no_data_code", f"{spec['no_data_code']} is not the i16 minimum -32768")
    if [c["index"] for c in spec["channels"]] != list(range(8)):
        raise _spec_error("channels", "expected the indices 0..7 in order")
    for c in spec["channels"]:
        if not 0 < c["full_scale_code"] <= 0x7FFF:
            raise _spec_error(f"channels {c['name']}", "full_scale_code not in 1..32767")
    for frame in spec["frame_types"]:
        if frame["direction"] not in _DIRECTIONS:
            raise _spec_error(f"frame_types {frame['name']}.direction", f"not in {[*_DIRECTIONS]}")
        for field in frame["payload"]:
            if set(field) != {"name", "type", "meaning"} or field["type"] not in _TYPES:
                raise _spec_error(
                    f"frame_types {frame['name']}.payload",
                    f"{field!r}: expected name, type (one of {', '.join(_TYPES)}) and meaning",
                )
    lo, hi = spec["project_event_codes"]
    for e in spec["event_codes"]:
        if (e["defined_by"] == "project") != (lo <= e["code"] <= hi):
            raise _spec_error(
                f"event_codes {e['name']}",
                f"code 0x{e['code']:02X}, defined_by {e['defined_by']!r}: project codes, and only "
                f"they, lie in 0x{lo:02X}..0x{hi:02X}",
            )
    return spec


def _load_spec() -> dict[str, Any]:
    resource = resources.files("chip_sim").joinpath("spec", "icd.yaml")
    return _check_spec(yaml.safe_load(resource.read_text(encoding="utf-8")))


def _int_enum(section: str, enum_name: str) -> Any:
    members = {e["name"]: e["code"] for e in _SPEC[section]}
    return IntEnum(enum_name, members, module=__name__)


_SPEC = _load_spec()
_CRC = _SPEC["framing"]["crc"]

ICD_VERSION: int = _SPEC["icd_version"]
SYNC0, SYNC1 = (int(b) for b in _SPEC["framing"]["sync"])
MAX_PAYLOAD: int = _SPEC["framing"]["max_payload_bytes"]
NO_DATA_CODE: int = _SPEC["no_data_code"]

FrameType = _int_enum("frame_types", "FrameType")
EventCode = _int_enum("event_codes", "EventCode")
NackReason = _int_enum("nack_reasons", "NackReason")
Command = _int_enum("commands", "Command")
ResetReason = _int_enum("reset_reasons", "ResetReason")

#: What this project added where ICD.md is silent (``defined_by: project``): the host-port
#: sample replay (docs/host-replay.md).
PROJECT_FRAME_TYPES = frozenset(
    FrameType(f["code"]) for f in _SPEC["frame_types"] if f.get("defined_by") == "project"
)
PROJECT_NACK_REASONS = frozenset(
    NackReason(r["code"]) for r in _SPEC["nack_reasons"] if r.get("defined_by") == "project"
)

#: Frame types by direction of travel.
CHIP_TO_HOST = frozenset(
    FrameType(f["code"]) for f in _SPEC["frame_types"] if f["direction"] == "chip_to_host"
)
HOST_TO_CHIP = frozenset(
    FrameType(f["code"]) for f in _SPEC["frame_types"] if f["direction"] == "host_to_chip"
)


# --- section 1: channels ----------------------------------------------------------------------


@dataclass(frozen=True)
class Channel:
    """One sensor channel: a code times ``lsb`` is the measured value in ``unit``."""

    index: int
    name: str
    lsb: float
    unit: str
    full_scale_code: int
    quantity: str

    @property
    def full_scale(self) -> float:
        """Full scale in ``unit`` (codes beyond ±``full_scale_code`` clip to it)."""
        return self.full_scale_code * self.lsb

    def to_physical(self, code: int) -> float:
        """The value of ``code`` in ``unit``; refuses NO_DATA_CODE and codes beyond full scale."""
        if code == NO_DATA_CODE:
            raise ValueError(f"{self.name} code {code} is NO_DATA_CODE: the sensor gave no data")
        if not -self.full_scale_code <= code <= self.full_scale_code:
            raise ValueError(
                f"{self.name} code {code} is out of range; expected "
                f"{-self.full_scale_code}..{self.full_scale_code}"
            )
        return code * self.lsb


CHANNELS: tuple[Channel, ...] = tuple(
    Channel(c["index"], c["name"], float(c["lsb"]), c["unit"], c["full_scale_code"], c["quantity"])
    for c in _SPEC["channels"]
)


def _fault_flag_members() -> dict[str, int]:
    flags = _SPEC["status_fault_flags"]
    first = flags["channel_bits"]["first_bit"]
    members = {c.name: 1 << (first + c.index) for c in CHANNELS}
    for bit in flags["bits"]:
        if not 0 <= bit["bit"] <= 15:
            raise _spec_error(f"status_fault_flags {bit['name']}", f"bit {bit['bit']} not 0..15")
        if bit["name"] in members or 1 << bit["bit"] in members.values():
            raise _spec_error(f"status_fault_flags {bit['name']}", "name or bit used twice")
        members[bit["name"]] = 1 << bit["bit"]
    return members


#: STATUS.fault_flags: one bit per channel (named as the channel), BROWN_OUT, EVENT_FIFO_OVERFLOW.
FaultFlag: Any = IntFlag("FaultFlag", _fault_flag_members(), module=__name__)


# --- CRC-16/CCITT-FALSE -----------------------------------------------------------------------


def _crc_table(poly: int) -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = (crc << 1) ^ poly if crc & 0x8000 else crc << 1
        table.append(crc & 0xFFFF)
    return tuple(table)


if _CRC["width_bits"] != 16 or _CRC["reflect_in"] or _CRC["reflect_out"]:
    raise _spec_error("framing.crc", "only a 16-bit CRC without reflection is implemented")
_CRC_TABLE = _crc_table(_CRC["poly"])
_CRC_INIT: int = _CRC["init"]
_CRC_XOROUT: int = _CRC["xorout"]


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE of ``data`` (any bytes-like object), as the ICD's frames carry it."""
    crc, table = _CRC_INIT, _CRC_TABLE
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ table[(crc >> 8) ^ byte]
    return crc ^ _CRC_XOROUT


if crc16(b"123456789") != _CRC["check"]:  # the parameters and the check value disagree
    raise _spec_error("framing.crc.check", f"the parameters give 0x{crc16(b'123456789'):04X}")


# --- payloads ---------------------------------------------------------------------------------


def _checked(owner: str, field: str, value: Any, type_name: str) -> int:
    """``value`` as an int within the wire type, or a ValueError naming field, value and range."""
    _, lo, hi = _TYPES[type_name]
    try:
        number = operator.index(value)
    except TypeError:
        number = None
    if isinstance(value, bool) or number is None:
        raise ValueError(f"{owner}.{field} = {value!r} is not an integer; expected {type_name}")
    if not lo <= number <= hi:
        raise ValueError(
            f"{owner}.{field} = {value!r} is out of range; expected {type_name} {lo}..{hi}"
        )
    return number


@dataclass(frozen=True)
class _Layout:
    """The fixed fields of one frame type's payload, from the YAML."""

    frame_name: str
    names: tuple[str, ...]
    types: tuple[str, ...]
    packer: struct.Struct


def _layouts(spec: dict[str, Any]) -> dict[int, _Layout]:
    out = {}
    for frame in spec["frame_types"]:
        names = tuple(f["name"] for f in frame["payload"])
        types = tuple(f["type"] for f in frame["payload"])
        packer = struct.Struct("<" + "".join(_TYPES[t][0] for t in types))
        if "rows" not in frame and frame["size_bytes"] != packer.size:
            raise _spec_error(
                f"frame_types {frame['name']}.size_bytes",
                f"{frame['size_bytes']} but the fields add up to {packer.size}",
            )
        out[frame["code"]] = _Layout(frame["name"], names, types, packer)
    return out


_LAYOUTS = _layouts(_SPEC)


class _FixedPayload:
    """Encode, decode and range checks of a payload whose layout is one row of YAML fields."""

    frame_type: ClassVar[int]

    def __post_init__(self) -> None:
        layout = _LAYOUTS[self.frame_type]
        for name, type_name in zip(layout.names, layout.types, strict=True):
            value = _checked(type(self).__name__, name, getattr(self, name), type_name)
            object.__setattr__(self, name, value)

    def encode(self) -> bytes:
        """The payload bytes (little-endian)."""
        layout = _LAYOUTS[self.frame_type]
        return layout.packer.pack(*(getattr(self, name) for name in layout.names))

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse payload bytes; :class:`IcdError` if their length is not the layout's."""
        layout = _LAYOUTS[cls.frame_type]
        if len(payload) != layout.packer.size:
            raise IcdError(
                f"{layout.frame_name} payload is {len(payload)} bytes; "
                f"expected {layout.packer.size}"
            )
        return cls(*layout.packer.unpack(payload))


@dataclass(frozen=True)
class EventPayload(_FixedPayload):
    """EVENT: ``code`` (EventCode) decided at ``sample_index``; ``value`` depends on the code."""

    frame_type: ClassVar[int] = FrameType.EVENT
    code: int
    flags: int
    sample_index: int
    value: int


@dataclass(frozen=True)
class StatusPayload(_FixedPayload):
    """STATUS: the chip's sample clock, step count, fault flags and dropped-event counter."""

    frame_type: ClassVar[int] = FrameType.STATUS
    sample_index: int
    step_count: int
    fault_flags: int
    events_dropped: int

    @property
    def faults(self) -> Any:
        """``fault_flags`` as a :data:`FaultFlag` (reserved bits kept as they came)."""
        return FaultFlag(self.fault_flags)


@dataclass(frozen=True)
class RegWrite(_FixedPayload):
    """REG_WRITE: set register ``addr`` to ``value``; answered by ACK or NACK."""

    frame_type: ClassVar[int] = FrameType.REG_WRITE
    addr: int
    value: int


@dataclass(frozen=True)
class RegRead(_FixedPayload):
    """REG_READ: ask for register ``addr``; answered by REG_VALUE or NACK."""

    frame_type: ClassVar[int] = FrameType.REG_READ
    addr: int


@dataclass(frozen=True)
class RegValue(_FixedPayload):
    """REG_VALUE: register ``addr`` holds ``value``."""

    frame_type: ClassVar[int] = FrameType.REG_VALUE
    addr: int
    value: int


@dataclass(frozen=True)
class CommandPayload(_FixedPayload):
    """COMMAND: ``cmd`` is a Command code; answered by ACK or NACK."""

    frame_type: ClassVar[int] = FrameType.COMMAND
    cmd: int


@dataclass(frozen=True)
class Ack(_FixedPayload):
    """ACK of the host frame with TYPE ``echoed_type`` and SEQ ``echoed_seq``."""

    frame_type: ClassVar[int] = FrameType.ACK
    echoed_type: int
    echoed_seq: int


@dataclass(frozen=True)
class Nack(_FixedPayload):
    """NACK of a host frame; ``reason`` is a NackReason code."""

    frame_type: ClassVar[int] = FrameType.NACK
    echoed_type: int
    echoed_seq: int
    reason: int


_SAMPLES = next(f for f in _SPEC["frame_types"] if f["name"] == "SAMPLES")
_STIMULUS = next(f for f in _SPEC["frame_types"] if f["name"] == "STIMULUS")
_SAMPLE_TYPE: str = _SAMPLES["rows"]["element_type"]
_SAMPLE_BYTES = struct.calcsize(_TYPES[_SAMPLE_TYPE][0])


def _checked_rows(owner: str, rows: tuple, width: int, why: str = "") -> tuple:
    """Each row ``width`` codes of the sample type, checked; ``why`` explains the width."""
    checked = []
    for r, row in enumerate(rows):
        if len(row) != width:
            raise ValueError(f"{owner}.samples[{r}] has {len(row)} values; expected {width}{why}")
        checked.append(
            tuple(_checked(owner, f"samples[{r}][{i}]", v, _SAMPLE_TYPE) for i, v in enumerate(row))
        )
    return tuple(checked)


def _rows_bytes(rows: tuple) -> bytes:
    """The rows' codes, row after row, little-endian."""
    values = [v for row in rows for v in row]
    return struct.pack(f"<{len(values)}{_TYPES[_SAMPLE_TYPE][0]}", *values)


def _rows_from(payload: bytes, offset: int, count: int, width: int) -> tuple:
    """``count`` rows of ``width`` codes from ``payload`` at ``offset``."""
    values = struct.unpack_from(f"<{count * width}{_TYPES[_SAMPLE_TYPE][0]}", payload, offset)
    return tuple(values[i : i + width] for i in range(0, len(values), width))


@dataclass(frozen=True)
class SamplesPayload:
    """SAMPLES: ``samples[r]`` is sample ``first_sample_index + r``, one code per channel in
    ``channel_mask`` (lowest channel first); NO_DATA_CODE where the sensor delivered nothing."""

    frame_type: ClassVar[int] = FrameType.SAMPLES
    first_sample_index: int
    channel_mask: int
    samples: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        owner = type(self).__name__
        first = _checked(owner, "first_sample_index", self.first_sample_index, "u32")
        mask = _checked(owner, "channel_mask", self.channel_mask, "u8")
        if mask == 0:
            raise ValueError(f"{owner}.channel_mask = 0 selects no channel; expected 1..255")
        width, limit = mask.bit_count(), self.max_rows(mask)
        rows = tuple(tuple(row) for row in self.samples)
        if len(rows) > limit:
            raise ValueError(
                f"{owner}.samples has {len(rows)} rows of {width} channels; expected 0..{limit} "
                f"so that the payload fits in {MAX_PAYLOAD} bytes"
            )
        why = f", one per set bit of channel_mask 0x{mask:02X}"
        object.__setattr__(self, "first_sample_index", first)
        object.__setattr__(self, "channel_mask", mask)
        object.__setattr__(self, "samples", _checked_rows(owner, rows, width, why))

    @staticmethod
    def max_rows(channel_mask: int) -> int:
        """How many rows of ``channel_mask``'s channels (1..255) fit in one payload."""
        if not 1 <= channel_mask <= 0xFF:
            raise ValueError(f"channel_mask = {channel_mask!r} is out of range; expected 1..255")
        header = _LAYOUTS[FrameType.SAMPLES].packer.size
        return (MAX_PAYLOAD - header) // (_SAMPLE_BYTES * channel_mask.bit_count())

    @property
    def count(self) -> int:
        """Number of rows (the payload's ``count`` field)."""
        return len(self.samples)

    @property
    def channels(self) -> tuple[int, ...]:
        """Channel indices of each row's values, in order."""
        return tuple(k for k in range(len(CHANNELS)) if self.channel_mask >> k & 1)

    def encode(self) -> bytes:
        """The payload bytes (little-endian)."""
        header = _LAYOUTS[FrameType.SAMPLES].packer.pack(
            self.first_sample_index, self.channel_mask, self.count
        )
        return header + _rows_bytes(self.samples)

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse payload bytes; :class:`IcdError` on a length that disagrees with mask and count."""
        header = _LAYOUTS[FrameType.SAMPLES].packer
        if not header.size <= len(payload) <= MAX_PAYLOAD:
            raise IcdError(
                f"SAMPLES payload is {len(payload)} bytes; expected {header.size}..{MAX_PAYLOAD}"
            )
        first, mask, count = header.unpack_from(payload)
        if mask == 0:
            raise IcdError("SAMPLES channel_mask is 0 (no channel); expected 1..255")
        width = mask.bit_count()
        expected = header.size + count * width * _SAMPLE_BYTES
        if len(payload) != expected:
            raise IcdError(
                f"SAMPLES payload is {len(payload)} bytes; expected {expected} for count {count} "
                f"and channel_mask 0x{mask:02X} ({width} channels)"
            )
        return cls(first, mask, _rows_from(payload, header.size, count, width))


_STIM_CHANNELS = len(CHANNELS)
_STIM_ROW_BYTES = _STIM_CHANNELS * _SAMPLE_BYTES
#: rows of one STIMULUS frame: all eight channels per row, as many as fit in MAX_PAYLOAD (15)
STIMULUS_MAX_ROWS = (MAX_PAYLOAD - _LAYOUTS[_STIMULUS["code"]].packer.size) // _STIM_ROW_BYTES


@dataclass(frozen=True)
class StimulusPayload:
    """STIMULUS (host-port sample replay): ``samples[r]`` are the eight channels' codes of sample
    ``first_sample_index + r`` (since the chip's last reset), 1..STIMULUS_MAX_ROWS rows."""

    frame_type: ClassVar[int] = FrameType.STIMULUS
    first_sample_index: int
    samples: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        owner = type(self).__name__
        first = _checked(owner, "first_sample_index", self.first_sample_index, "u32")
        rows = tuple(tuple(row) for row in self.samples)
        if not 1 <= len(rows) <= STIMULUS_MAX_ROWS:
            raise ValueError(
                f"{owner}.samples has {len(rows)} rows; expected 1..{STIMULUS_MAX_ROWS}"
            )
        object.__setattr__(self, "first_sample_index", first)
        object.__setattr__(self, "samples", _checked_rows(owner, rows, _STIM_CHANNELS))

    @property
    def count(self) -> int:
        return len(self.samples)

    def encode(self) -> bytes:
        header = _LAYOUTS[FrameType.STIMULUS].packer.pack(self.first_sample_index, self.count)
        return header + _rows_bytes(self.samples)

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse payload bytes; :class:`IcdError` on a length that disagrees with ``count``."""
        header = _LAYOUTS[FrameType.STIMULUS].packer
        if len(payload) < header.size:
            raise IcdError(
                f"STIMULUS payload is {len(payload)} bytes; expected at least {header.size}"
            )
        first, count = header.unpack_from(payload)
        expected = header.size + count * _STIM_ROW_BYTES
        if not 1 <= count <= STIMULUS_MAX_ROWS or len(payload) != expected:
            raise IcdError(
                f"STIMULUS payload is {len(payload)} bytes with count {count}; expected count "
                f"1..{STIMULUS_MAX_ROWS} and {header.size} + count × {_STIM_ROW_BYTES} bytes"
            )
        return cls(first, _rows_from(payload, header.size, count, _STIM_CHANNELS))


Payload = (
    EventPayload
    | SamplesPayload
    | StimulusPayload
    | StatusPayload
    | RegWrite
    | RegRead
    | RegValue
    | CommandPayload
    | Ack
    | Nack
)


def _payload_classes(*classes: type[Payload]) -> dict[int, type[Payload]]:
    """Map TYPE codes to payload classes, refusing any drift from the YAML field lists."""
    by_code = {cls.frame_type: cls for cls in classes}
    for code, layout in _LAYOUTS.items():
        expected = layout.names
        rows = next(f.get("rows") for f in _SPEC["frame_types"] if f["code"] == code)
        if rows:  # the count field is implied by the rows
            expected = (*(n for n in expected if n != rows["count_field"]), "samples")
        got = tuple(f.name for f in fields(by_code[code])) if code in by_code else None
        if got != expected:
            raise _spec_error(
                f"frame_types {layout.frame_name}",
                f"fields {expected}, but its payload class in chip_sim/icd.py has {got}",
            )
    return by_code


#: The payload dataclass of each ICD frame type, by TYPE code.
PAYLOAD_CLASSES = _payload_classes(
    EventPayload,
    SamplesPayload,
    StimulusPayload,
    StatusPayload,
    RegWrite,
    RegRead,
    RegValue,
    CommandPayload,
    Ack,
    Nack,
)


# --- frames -----------------------------------------------------------------------------------


def encode_frame(frame_type: int, seq: int, payload: bytes) -> bytes:
    """SYNC0 SYNC1 TYPE SEQ LEN PAYLOAD CRC, ready for the wire."""
    frame_type = _checked("encode_frame", "frame_type", frame_type, "u8")
    seq = _checked("encode_frame", "seq", seq, "u8")
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(
            f"encode_frame.payload length = {len(payload)} bytes is out of range; "
            f"expected 0..{MAX_PAYLOAD}"
        )
    body = bytes((frame_type, seq, len(payload))) + bytes(payload)
    return bytes((SYNC0, SYNC1)) + body + crc16(body).to_bytes(_CRC_BYTES, "little")


@dataclass(frozen=True)
class Frame:
    """One frame as received or to be sent; ``frame_type`` may be a code the ICD does not know."""

    frame_type: int
    seq: int
    payload: bytes

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "frame_type", _checked("Frame", "frame_type", self.frame_type, "u8")
        )
        object.__setattr__(self, "seq", _checked("Frame", "seq", self.seq, "u8"))
        object.__setattr__(self, "payload", bytes(self.payload))
        if len(self.payload) > MAX_PAYLOAD:
            raise ValueError(
                f"Frame.payload length = {len(self.payload)} bytes is out of range; "
                f"expected 0..{MAX_PAYLOAD}"
            )

    @classmethod
    def from_payload(cls, payload: Payload, seq: int) -> Frame:
        """The frame that carries ``payload`` with sequence number ``seq``."""
        return cls(payload.frame_type, seq, payload.encode())

    def encode(self) -> bytes:
        """The frame's bytes, CRC included."""
        return encode_frame(self.frame_type, self.seq, self.payload)

    def decode_payload(self) -> Payload:
        """The payload as its dataclass; :class:`IcdError` for an unknown TYPE or a bad length."""
        cls = PAYLOAD_CLASSES.get(self.frame_type)
        if cls is None:
            known = ", ".join(f"0x{t:02X}" for t in sorted(PAYLOAD_CLASSES))
            raise IcdError(
                f"frame TYPE 0x{self.frame_type:02X} is unknown; expected one of {known}"
            )
        return cls.decode(self.payload)


class FrameDecoder:
    """Receiver for one direction of one link: bytes in, CRC-checked frames out.

    Follows ICD section 2: hunt for SYNC0 SYNC1, check LEN and CRC, and after any failure resume
    at the byte after the SYNC0 just tried — so a corrupted or fake header never hides a real frame
    behind it. Data may be split anywhere between :meth:`feed` calls. The price: a corrupted LEN
    holds back the frames behind it until LEN + 7 bytes have arrived, or :meth:`flush` is called.

    Statistics: ``frames_ok``; ``crc_errors``; ``bad_length`` (LEN > MAX_PAYLOAD); ``bytes_skipped``
    (discarded while hunting, including the SYNC0 of each failed try); ``seq_gaps`` (frames missing
    by SEQ since the first frame, modulo 256: 255 → 0 is no gap, a repeated SEQ counts 255).
    Every byte fed is in a returned frame, in ``bytes_skipped`` or in ``pending_bytes``.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._last_seq: int | None = None
        self.frames_ok = 0
        self.crc_errors = 0
        self.bad_length = 0
        self.bytes_skipped = 0
        self.seq_gaps = 0

    @property
    def pending_bytes(self) -> int:
        """Bytes held back until more data shows whether they start a frame."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Frame]:
        """Take the next received bytes; return the frames they complete, in order."""
        self._buffer += data
        return self._hunt(final=False)

    def flush(self) -> list[Frame]:
        """The stream has ended: decide the held-back bytes, skipping any frame cut short."""
        return self._hunt(final=True)

    def _hunt(self, *, final: bool) -> list[Frame]:
        buf, frames, pos = self._buffer, [], 0
        while True:
            start = buf.find(SYNC0, pos)
            start = len(buf) if start < 0 else start
            self.bytes_skipped += start - pos
            pos = start
            available = len(buf) - pos
            if available == 0:
                break
            length = buf[pos + 4] if available >= _HEADER_BYTES else MAX_PAYLOAD
            end = pos + _HEADER_BYTES + length + _CRC_BYTES
            if available >= 2 and buf[pos + 1] != SYNC1:
                pass  # not a header
            elif length > MAX_PAYLOAD:
                self.bad_length += 1
            elif end <= len(buf):
                body = bytes(buf[pos + 2 : end - _CRC_BYTES])
                if crc16(body) == int.from_bytes(buf[end - _CRC_BYTES : end], "little"):
                    frames.append(self._accept(Frame(body[0], body[1], body[3:])))
                    pos = end
                    continue
                self.crc_errors += 1
            elif not final:
                break  # wait for the rest of the header or frame
            self.bytes_skipped += 1  # resume the hunt at the byte after this SYNC0
            pos += 1
        del buf[:pos]
        return frames

    def _accept(self, frame: Frame) -> Frame:
        if self._last_seq is not None:
            self.seq_gaps += (frame.seq - self._last_seq - 1) % 256
        self._last_seq = frame.seq
        self.frames_ok += 1
        return frame


# --- generated documentation ------------------------------------------------------------------


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def line(cells: Sequence[object]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(header), "|" + "---|" * len(header), *map(line, rows)]) + "\n"


def _expand(text: object) -> str:
    return str(text).replace("max_payload_bytes", str(MAX_PAYLOAD))


def _project_mark(entry: dict[str, Any]) -> str:
    return "project addition (ICD.md is silent): " if entry.get("defined_by") == "project" else ""


def frame_table_markdown() -> str:
    """Frame types of the YAML as a Markdown table."""
    rows = []
    for f in _SPEC["frame_types"]:
        payload = ", ".join(f"{p['name']} {p['type']}" for p in f["payload"])
        if "rows" in f:
            r = f["rows"]
            per_row = (
                f"one {r['element_type']} per set bit of {r['mask_field']}, lowest channel first"
                if "mask_field" in r
                else f"{len(CHANNELS)} × {r['element_type']}, channel 0 first"
            )
            payload += f", then {r['count_field']} × ({per_row})"
        direction = _DIRECTIONS[f["direction"]]
        note = _project_mark(f) + f.get("note", "")
        rows.append(
            (f"0x{f['code']:02X}", f["name"], direction, payload, _expand(f["size_bytes"]), note)
        )
    return _table(("TYPE", "name", "direction", "payload", "bytes", "note"), rows)


def event_table_markdown() -> str:
    """EVENT codes of the YAML as a Markdown table."""
    by = {"icd": f"ICD v{ICD_VERSION}", "project": "project"}
    rows = [
        (f"0x{e['code']:02X}", e["name"], e["value"], e["value_unit"], by[e["defined_by"]])
        for e in _SPEC["event_codes"]
    ]
    return _table(("code", "name", "value", "value unit", "defined by"), rows)


def _field_table_markdown() -> str:
    rows = []
    for f in _SPEC["frame_types"]:
        offset = 0
        for p in f["payload"]:
            rows.append((f["name"], offset, p["name"], p["type"], p["meaning"]))
            offset += struct.calcsize(_TYPES[p["type"]][0])
        if "rows" in f:
            rows.append(
                (f["name"], offset, "rows", f"{f['rows']['element_type']}[]", f["rows"]["layout"])
            )
    return _table(("frame", "offset", "field", "type", "meaning"), rows)


def _code_table_markdown(section: str, *, hex_codes: bool) -> str:
    rows = [
        (
            f"0x{e['code']:02X}" if hex_codes else e["code"],
            e["name"],
            _project_mark(e) + e["meaning"],
        )
        for e in _SPEC[section]
    ]
    return _table(("code", "name", "meaning"), rows)


def codes_markdown() -> str:
    """The whole of ``docs/icd-codes.md``: channels, frames, fields and every code table."""
    lo, hi = _SPEC["project_event_codes"]
    project = ", ".join(e["name"] for e in _SPEC["event_codes"] if e["defined_by"] == "project")
    flags = _SPEC["status_fault_flags"]
    first = flags["channel_bits"]["first_bit"]
    flag_rows = [
        (first + c.index, c.name, f"channel {c.index} has an active fault") for c in CHANNELS
    ]
    flag_rows += [(b["bit"], b["name"], b["meaning"]) for b in flags["bits"]]
    channel_rows = [
        (
            c.index,
            c.name,
            c.quantity,
            f"{c.lsb:g} {c.unit}",
            f"±{c.full_scale_code}",
            f"±{c.full_scale:g} {c.unit}",
        )
        for c in CHANNELS
    ]
    parts = [
        f"# ICD v{ICD_VERSION} codes\n",
        f"Generated from `{SPEC_FILE}` — do not edit; regenerate with "
        "`python -m chip_sim.icd > docs/icd-codes.md`.\n",
        "## Sensor channels\n",
        f"Code {NO_DATA_CODE} (0x8000) means no data from the sensor; it is never a measurement. "
        "Codes beyond full scale clip to it.\n",
        _table(("ch", "name", "quantity", "LSB", "full-scale code", "full scale"), channel_rows),
        f"## Frame types\n\nSYNC0 0x{SYNC0:02X}, SYNC1 0x{SYNC1:02X}, TYPE, SEQ, LEN (at most "
        f"{MAX_PAYLOAD}), payload, then {_CRC['name']} over TYPE..payload. All integers are "
        "little-endian.\n",
        frame_table_markdown(),
        "## Payload fields\n",
        _field_table_markdown(),
        f"## EVENT codes\n\nProject codes (0x{lo:02X}..0x{hi:02X}): {project or 'none yet'}.\n",
        event_table_markdown(),
        "## NACK reasons\n",
        _code_table_markdown("nack_reasons", hex_codes=False),
        "## Commands\n",
        _code_table_markdown("commands", hex_codes=True),
        "## RESET event reasons\n",
        _code_table_markdown("reset_reasons", hex_codes=False),
        "## STATUS fault_flags bits\n\nBits not listed are reserved and sent as 0.\n",
        _table(("bit", "name", "meaning"), flag_rows),
    ]
    return "\n".join(parts)


if __name__ == "__main__":
    sys.stdout.write(codes_markdown())
