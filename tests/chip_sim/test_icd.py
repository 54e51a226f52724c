"""The ICD v1 wire contract (chip_sim.icd and chip_sim/spec/icd.yaml).

Every DUT backend and the bench speak through this module, so a wrong code, a shifted field or a
receiver that lets one corrupted frame through would falsify every later verification. The expected
values below are copied from ICD.md by hand, not read from the YAML, so they check it; the CRC is
checked against a bit-by-bit reference written here.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from chip_sim import icd
from chip_sim.errors import ChipError
from chip_sim.icd import (
    CHANNELS,
    CHIP_TO_HOST,
    HOST_TO_CHIP,
    MAX_PAYLOAD,
    NO_DATA_CODE,
    PAYLOAD_CLASSES,
    SYNC0,
    SYNC1,
    Ack,
    Command,
    CommandPayload,
    EventCode,
    EventPayload,
    FaultFlag,
    Frame,
    FrameDecoder,
    FrameType,
    IcdError,
    Nack,
    NackReason,
    RegRead,
    RegValue,
    RegWrite,
    ResetReason,
    SamplesPayload,
    StatusPayload,
    codes_markdown,
    crc16,
    encode_frame,
    event_table_markdown,
    frame_table_markdown,
)

ROOT = Path(__file__).resolve().parents[2]
I32_MIN, I32_MAX, U32_MAX = -(2**31), 2**31 - 1, 2**32 - 1

# --- ICD.md, copied by hand ----------------------------------------------------------------------

ICD_FRAME_TYPES = {
    "EVENT": 0x01,
    "SAMPLES": 0x02,
    "STATUS": 0x03,
    "REG_WRITE": 0x10,
    "REG_READ": 0x11,
    "REG_VALUE": 0x12,
    "COMMAND": 0x20,
    "ACK": 0x7E,
    "NACK": 0x7F,
}
ICD_HOST_TO_CHIP = {"REG_WRITE", "REG_READ", "COMMAND"}
ICD_EVENT_CODES = {
    "STEP": 0x01,
    "FALL": 0x02,
    "OVERLOAD_START": 0x03,
    "OVERLOAD_END": 0x04,
    "WALK_START": 0x05,
    "WALK_END": 0x06,
    "FAULT_SATURATION": 0x10,
    "FAULT_STUCK": 0x11,
    "FAULT_DROPOUT": 0x12,
    "TEMP_HIGH": 0x20,
    "RESET": 0x30,
}
ICD_NACK_REASONS = {
    "UNKNOWN_TYPE": 1,
    "BAD_LENGTH": 2,
    "UNKNOWN_REGISTER": 3,
    "READ_ONLY_REGISTER": 4,
    "VALUE_OUT_OF_RANGE": 5,
}
ICD_COMMANDS = {"RESET": 0x01, "START": 0x02, "STOP": 0x03}
ICD_RESET_REASONS = {"POWER_ON": 0, "BROWN_OUT": 1, "COMMAND": 2}
# index, name, LSB, unit, full-scale code
ICD_CHANNELS = [
    (0, "ACC_X", 1.0, "mg", 16000),
    (1, "ACC_Y", 1.0, "mg", 16000),
    (2, "ACC_Z", 1.0, "mg", 16000),
    (3, "GYR_X", 0.1, "deg/s", 20000),
    (4, "GYR_Y", 0.1, "deg/s", 20000),
    (5, "GYR_Z", 0.1, "deg/s", 20000),
    (6, "LOAD", 0.1, "microstrain", 32767),
    (7, "TEMP", 1 / 128, "degC", 32640),
]


def members(enum) -> dict[str, int]:
    return {m.name: m.value for m in enum}


def test_constants_match_the_icd():
    assert (SYNC0, SYNC1, MAX_PAYLOAD, NO_DATA_CODE) == (0xA5, 0x5A, 250, -32768)


#: what the project added where ICD.md is silent, and nothing else (docs/host-replay.md)
PROJECT_FRAME_TYPES = {"STIMULUS": 0x13}
PROJECT_NACK_REASONS = {"STIMULUS_FULL": 6}


def test_frame_types_and_directions_match_the_icd():
    ours = {t.name for t in icd.PROJECT_FRAME_TYPES}
    assert ours == set(PROJECT_FRAME_TYPES)
    assert {n: v for n, v in members(FrameType).items() if n not in ours} == ICD_FRAME_TYPES
    assert members(FrameType) == ICD_FRAME_TYPES | PROJECT_FRAME_TYPES
    assert {t.name for t in HOST_TO_CHIP} == ICD_HOST_TO_CHIP | {"STIMULUS"}
    assert {t.name for t in CHIP_TO_HOST} == set(ICD_FRAME_TYPES) - ICD_HOST_TO_CHIP


def test_event_codes_match_the_icd_and_project_codes_stay_in_their_range():
    codes = members(EventCode)
    assert {n: v for n, v in codes.items() if not 0x40 <= v <= 0x7F} == ICD_EVENT_CODES


@pytest.mark.parametrize(
    ("enum", "expected"),
    [
        (NackReason, ICD_NACK_REASONS | PROJECT_NACK_REASONS),
        (Command, ICD_COMMANDS),
        (ResetReason, ICD_RESET_REASONS),
    ],
)
def test_code_tables_match_the_icd(enum, expected):
    assert members(enum) == expected
    assert {r.name for r in icd.PROJECT_NACK_REASONS} == set(PROJECT_NACK_REASONS)


def test_stimulus_payload_round_trips_and_refuses_what_does_not_fit():
    rows = [[c * 10 + k for k in range(8)] for c in range(icd.STIMULUS_MAX_ROWS)]
    p = icd.StimulusPayload(123_456, rows)
    data = p.encode()
    assert icd.STIMULUS_MAX_ROWS == 15 and len(data) == 5 + 15 * 16 <= MAX_PAYLOAD
    assert data[:5] == (123_456).to_bytes(4, "little") + bytes([15])
    assert data[5:7] == (0).to_bytes(2, "little", signed=True)
    assert icd.StimulusPayload.decode(data) == p
    assert Frame.from_payload(p, 9).decode_payload() == p
    with pytest.raises(ValueError, match=r"samples has 16 rows; expected 1\.\.15"):
        icd.StimulusPayload(0, rows + rows[:1])
    with pytest.raises(ValueError, match=r"samples\[0\] has 7 values; expected 8"):
        icd.StimulusPayload(0, [[0] * 7])
    with pytest.raises(ValueError, match=r"samples\[0\]\[3\]"):
        icd.StimulusPayload(0, [[0, 0, 0, 40000, 0, 0, 0, 0]])
    with pytest.raises(IcdError, match=r"count 2; expected count 1\.\.15 and 5 \+ count × 16"):
        icd.StimulusPayload.decode(data[:4] + bytes([2]) + data[5:21])
    with pytest.raises(IcdError, match="count 0"):
        icd.StimulusPayload.decode(data[:4] + bytes([0]))


def test_channels_match_the_icd():
    got = [(c.index, c.name, c.lsb, c.unit, c.full_scale_code) for c in CHANNELS]
    assert got == ICD_CHANNELS
    full_scales = [c.full_scale for c in CHANNELS]
    assert full_scales == pytest.approx([16000] * 3 + [2000] * 3 + [3276.7, 255])


def test_channel_to_physical_refuses_no_data_and_codes_beyond_full_scale():
    temp, acc = CHANNELS[7], CHANNELS[0]
    assert temp.to_physical(128) == 1.0 and acc.to_physical(-16000) == -16000.0
    with pytest.raises(ValueError, match="TEMP code -32768 is NO_DATA_CODE"):
        temp.to_physical(NO_DATA_CODE)
    with pytest.raises(ValueError, match=r"ACC_X code 16001 is out of range; expected -16000\.\."):
        acc.to_physical(16001)


def test_status_fault_flag_bits():
    assert [FaultFlag[c.name].value for c in CHANNELS] == [1 << k for k in range(8)]
    assert FaultFlag.BROWN_OUT.value == 1 << 8 and FaultFlag.EVENT_FIFO_OVERFLOW.value == 1 << 9
    status = StatusPayload(0, 0, 0b11_0100_0001, 0)
    assert status.faults == FaultFlag.ACC_X | FaultFlag.LOAD | FaultFlag.BROWN_OUT | (
        FaultFlag.EVENT_FIFO_OVERFLOW
    )


# --- CRC -----------------------------------------------------------------------------------------


def crc_bitwise(data: bytes) -> int:
    """CRC-16/CCITT-FALSE straight from its definition, one bit at a time."""
    crc = 0xFFFF
    for byte in data:
        for bit in range(7, -1, -1):
            feedback = ((crc >> 15) & 1) ^ ((byte >> bit) & 1)
            crc = (crc << 1) & 0xFFFF
            if feedback:
                crc ^= 0x1021
    return crc


@pytest.mark.parametrize(
    ("data", "expected"),
    [(b"123456789", 0x29B1), (b"", 0xFFFF), (b"A", 0xB915), (bytes(4), 0x84C0)],
)
def test_crc_known_vectors(data, expected):
    assert crc_bitwise(data) == expected  # the reference agrees with the catalogue ...
    assert crc16(data) == expected  # ... and so does the module


def test_crc_matches_the_bitwise_reference_on_random_data():
    rng = np.random.default_rng(7)
    for length in [1, 2, 3, 7, 64, 255, 257]:
        data = rng.integers(0, 256, length, dtype=np.uint8).tobytes()
        assert crc16(data) == crc_bitwise(data)
        assert crc16(bytearray(data)) == crc16(memoryview(data)) == crc16(data)


def test_frame_bytes_are_laid_out_as_the_icd_says():
    frame = encode_frame(0x7E, 0x33, b"\x10\x05")
    body = bytes([0x7E, 0x33, 2, 0x10, 0x05])
    assert frame == bytes([0xA5, 0x5A]) + body + crc_bitwise(body).to_bytes(2, "little")


# --- payloads ------------------------------------------------------------------------------------

# Each payload with its bytes written out by hand (little-endian).
HAND_ENCODED = [
    (EventPayload(0x02, 0x00, 0x01020304, -2), "02 00 04030201 feffffff"),
    (StatusPayload(0x0A0B0C0D, 7, 0x0201, 0xFFFF), "0d0c0b0a 07000000 0102 ffff"),
    (RegWrite(0x05, 0x5C1E0001), "05 01001e5c"),
    (RegRead(0xFF), "ff"),
    (RegValue(0x01, I32_MIN), "01 00000080"),
    (CommandPayload(Command.START), "02"),
    (Ack(FrameType.REG_WRITE, 200), "10 c8"),
    (Nack(FrameType.COMMAND, 0, NackReason.VALUE_OUT_OF_RANGE), "20 00 05"),
    (
        SamplesPayload(9, 0x41, ((1, -1), (NO_DATA_CODE, 32767))),
        "09000000 41 02 0100 ffff 0080 ff7f",
    ),
]


@pytest.mark.parametrize(("payload", "hex_bytes"), HAND_ENCODED, ids=lambda p: type(p).__name__)
def test_payload_bytes_and_round_trip(payload, hex_bytes):
    data = payload.encode()
    assert data == bytes.fromhex(hex_bytes)
    assert type(payload).decode(data) == payload
    frame = Frame.from_payload(payload, seq=17)
    assert frame.frame_type == ICD_FRAME_TYPES[FrameType(frame.frame_type).name]
    assert Frame(frame.frame_type, 17, data).decode_payload() == payload
    assert FrameDecoder().feed(frame.encode()) == [frame]


def test_every_frame_type_has_a_payload_class():
    assert set(PAYLOAD_CLASSES) == set((ICD_FRAME_TYPES | PROJECT_FRAME_TYPES).values())
    assert {type(p).frame_type for p, _ in HAND_ENCODED} == set(ICD_FRAME_TYPES.values())


@pytest.mark.parametrize(
    "payload",
    [
        EventPayload(255, 255, U32_MAX, I32_MAX),
        EventPayload(0, 0, 0, I32_MIN),
        StatusPayload(U32_MAX, U32_MAX, 0xFFFF, 0xFFFF),
        RegValue(255, I32_MAX),
        Nack(255, 255, 255),
    ],
)
def test_extreme_field_values_round_trip(payload):
    assert type(payload).decode(payload.encode()) == payload


@pytest.mark.parametrize(("mask", "max_rows"), [(0x01, 122), (0xFF, 15), (0x41, 61)])
def test_samples_round_trip_up_to_the_payload_limit_and_refused_above(mask, max_rows):
    width = bin(mask).count("1")
    rng = np.random.default_rng(mask)
    assert SamplesPayload.max_rows(mask) == max_rows
    for count in (0, 1, max_rows):
        rows = rng.integers(-32768, 32768, (count, width)).tolist()
        payload = SamplesPayload(U32_MAX - count, mask, rows)
        data = payload.encode()
        assert len(data) == 6 + 2 * width * count <= MAX_PAYLOAD
        assert SamplesPayload.decode(data) == payload
        assert payload.count == count and len(payload.channels) == width
        assert Frame.from_payload(payload, 0).decode_payload() == payload
    with pytest.raises(ValueError, match=rf"samples has {max_rows + 1} rows .* 0\.\.{max_rows}"):
        SamplesPayload(0, mask, [[0] * width] * (max_rows + 1))


def test_samples_channels_are_listed_lowest_first():
    assert SamplesPayload(0, 0x41, ()).channels == (0, 6)
    assert SamplesPayload(0, 0xFF, ()).channels == tuple(range(8))


def test_samples_accept_numpy_rows_and_store_plain_int_tuples():
    rows = np.array([[1, 2], [3, 4]], dtype=np.int16)
    payload = SamplesPayload(np.uint32(5), 0x03, rows)
    assert payload.samples == ((1, 2), (3, 4)) and type(payload.samples[0][0]) is int
    assert hash(payload) == hash(SamplesPayload(5, 3, ((1, 2), (3, 4))))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: EventPayload(256, 0, 0, 0),
            r"EventPayload\.code = 256 is out of range; .*0\.\.255",
        ),
        (lambda: EventPayload(1, -1, 0, 0), r"EventPayload\.flags = -1 .*u8 0\.\.255"),
        (lambda: EventPayload(1, 0, -1, 0), r"sample_index = -1 .*u32 0\.\.4294967295"),
        (lambda: EventPayload(1, 0, 0, 2**31), r"value = 2147483648 .*-2147483648\.\.2147483647"),
        (lambda: StatusPayload(0, 0, 0x10000, 0), r"StatusPayload\.fault_flags = 65536 .*u16"),
        (lambda: StatusPayload(0, 2**32, 0, 0), r"StatusPayload\.step_count = 4294967296"),
        (lambda: RegWrite(0x100, 0), r"RegWrite\.addr = 256 .*0\.\.255"),
        (lambda: RegWrite(1, I32_MIN - 1), r"RegWrite\.value = -2147483649"),
        (lambda: RegRead(1.0), r"RegRead\.addr = 1\.0 is not an integer"),
        (lambda: CommandPayload(True), r"CommandPayload\.cmd = True is not an integer"),
        (lambda: Ack(0, 256), r"Ack\.echoed_seq = 256"),
        (lambda: Nack(0, 0, -1), r"Nack\.reason = -1"),
        (lambda: SamplesPayload(0, 0, ()), r"SamplesPayload\.channel_mask = 0 selects no channel"),
        (lambda: SamplesPayload(0, 0x100, ()), r"SamplesPayload\.channel_mask = 256 .*0\.\.255"),
        (lambda: SamplesPayload(-1, 1, ()), r"SamplesPayload\.first_sample_index = -1"),
        (lambda: SamplesPayload(0, 0x03, [[1]]), r"samples\[0\] has 1 values; expected 2"),
        (lambda: SamplesPayload(0, 1, [[0], [32768]]), r"samples\[1\]\[0\] = 32768 .*i16"),
        (lambda: Frame(256, 0, b""), r"Frame\.frame_type = 256"),
        (lambda: Frame(1, -1, b""), r"Frame\.seq = -1"),
        (lambda: Frame(1, 0, bytes(251)), r"Frame\.payload length = 251 bytes .*0\.\.250"),
        (lambda: encode_frame(1, 256, b""), r"encode_frame\.seq = 256 .*0\.\.255"),
        (lambda: encode_frame(-1, 0, b""), r"encode_frame\.frame_type = -1"),
        (lambda: encode_frame(1, 0, bytes(251)), r"payload length = 251 bytes .*0\.\.250"),
    ],
)
def test_out_of_range_fields_are_refused_naming_field_value_and_range(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(("payload", "_"), HAND_ENCODED[:-1], ids=lambda p: type(p).__name__)
def test_fixed_payloads_of_the_wrong_length_are_refused(payload, _):
    data = payload.encode()
    name = FrameType(payload.frame_type).name
    for bad in (data[:-1], data + b"\x00"):
        with pytest.raises(IcdError, match=rf"{name} payload is {len(bad)} bytes; expected"):
            type(payload).decode(bad)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00" * 5, r"SAMPLES payload is 5 bytes; expected 6\.\.250"),
        (bytes(4) + b"\x00\x00", "channel_mask is 0"),
        (
            bytes(4) + b"\x03\x02" + bytes(7),
            "is 13 bytes; expected 14 for count 2 and channel_mask",
        ),
        (bytes(4) + b"\x01\x01" + bytes(3), "is 9 bytes; expected 8"),
    ],
)
def test_samples_of_inconsistent_length_are_refused(data, message):
    with pytest.raises(IcdError, match=message):
        SamplesPayload.decode(data)


def test_unknown_frame_type_is_received_but_has_no_payload():
    frame = FrameDecoder().feed(encode_frame(0x55, 3, b"xyz"))[0]
    assert frame == Frame(0x55, 3, b"xyz")
    with pytest.raises(IcdError, match="frame TYPE 0x55 is unknown; expected one of 0x01"):
        frame.decode_payload()


def test_icd_error_is_a_chip_error_and_a_value_error():
    assert issubclass(IcdError, ChipError) and issubclass(IcdError, ValueError)


# --- receiver ------------------------------------------------------------------------------------


def assert_accounted(decoder: FrameDecoder, fed_bytes: int, frames: list[Frame]) -> None:
    """Every byte fed is in a frame, skipped while hunting, or still pending."""
    framed = sum(len(f.encode()) for f in frames)
    assert framed + decoder.bytes_skipped + decoder.pending_bytes == fed_bytes


SOME_FRAMES = [
    Frame.from_payload(EventPayload(EventCode.STEP, 0, 1234, 1), 0),
    Frame(FrameType.SAMPLES, 1, SamplesPayload(0, 0x01, [[-23206]] * 122).encode()),  # A5 5A...
    Frame(FrameType.ACK, 2, b""),  # LEN 0 (not an ACK the chip sends, but a valid frame)
    Frame.from_payload(StatusPayload(0xA55A, 0x5AA5, 0, 0), 3),
]


def test_frames_split_at_every_byte_boundary_are_all_received():
    stream = b"".join(f.encode() for f in SOME_FRAMES)
    assert len(SOME_FRAMES[1].payload) == MAX_PAYLOAD
    for cut in range(len(stream) + 1):
        decoder = FrameDecoder()
        got = decoder.feed(stream[:cut]) + decoder.feed(stream[cut:])
        assert got == SOME_FRAMES, cut
        assert decoder.frames_ok == 4 and decoder.bytes_skipped == decoder.pending_bytes == 0


def test_frames_cut_at_every_pair_of_boundaries_and_fed_bytewise_are_all_received():
    frames = [SOME_FRAMES[0], SOME_FRAMES[2], SOME_FRAMES[3]]
    stream = b"".join(f.encode() for f in frames)
    for first in range(len(stream) + 1):
        for second in range(first, len(stream) + 1):
            decoder = FrameDecoder()
            got = decoder.feed(stream[:first])
            got += decoder.feed(stream[first:second]) + decoder.feed(stream[second:])
            assert got == frames, (first, second)
    decoder = FrameDecoder()
    assert [f for i in range(len(stream)) for f in decoder.feed(stream[i : i + 1])] == frames


def fake_header(length: int) -> bytes:
    return bytes([SYNC0, SYNC1, FrameType.EVENT, 9, length])


@pytest.mark.parametrize("end_of_stream", ["more data", "flush"])
def test_garbage_and_fake_headers_do_not_hide_any_frame(end_of_stream):
    bad_crc = bytearray(encode_frame(FrameType.REG_READ, 4, b"\x01"))
    bad_crc[-1] ^= 0x01
    garbage = [
        b"\x00\xa5\x13\xa5",  # lone SYNC0s
        b"\xa5",  # SYNC0 right before a real SYNC0 SYNC1
        fake_header(251),  # LEN 251
        fake_header(255) + b"\xa5\xa5",
        bytes(bad_crc),  # a complete frame with a bad CRC
        fake_header(40),  # claims 40 bytes: swallows the start of the next real frame
        b"\x5a\x5a\xa5\x5a\x01\x00\xff",  # SYNC1 without SYNC0, then a header with LEN 255
    ]
    frames = [Frame(FrameType.EVENT, seq, bytes([seq]) * 10) for seq in range(len(garbage))]
    stream = b"".join(g + f.encode() for g, f in zip(garbage, frames, strict=True))
    decoder = FrameDecoder()
    got = decoder.feed(stream)
    assert got == frames[:5]  # the fake LEN 40 holds back what follows it ...
    if end_of_stream == "more data":
        tail = bytes(64)
        got += decoder.feed(tail)  # ... until its 47 bytes have arrived
    else:
        tail = b""
        got += decoder.flush()  # ... or the stream has ended
    assert got == frames
    assert decoder.bad_length == 3
    assert decoder.crc_errors == (2 if tail else 1)  # flush gives up on LEN 40 without a CRC
    assert decoder.bytes_skipped == sum(map(len, garbage)) + len(tail)
    assert decoder.pending_bytes == 0 and decoder.seq_gaps == 0
    assert_accounted(decoder, len(stream) + len(tail), got)


def test_flush_skips_a_frame_cut_short_and_keeps_the_frames_inside_it():
    inner = encode_frame(FrameType.ACK, 1, b"\x10\x00")
    decoder = FrameDecoder()
    assert decoder.feed(fake_header(100) + inner + b"\xa5\x5a\x01") == []
    assert decoder.flush() == [Frame(FrameType.ACK, 1, b"\x10\x00")]
    assert decoder.pending_bytes == 0 and decoder.bytes_skipped == 5 + 3
    assert decoder.crc_errors == decoder.bad_length == 0


def test_len_251_is_rejected_even_with_a_matching_crc_and_250_is_accepted():
    def raw(length: int) -> bytes:
        body = bytes([FrameType.SAMPLES, 0, length]) + bytes(length)
        return bytes([SYNC0, SYNC1]) + body + crc16(body).to_bytes(2, "little")

    decoder = FrameDecoder()
    assert decoder.feed(raw(251)) == []
    assert decoder.bad_length == 1 and decoder.frames_ok == 0
    assert decoder.feed(raw(250)) == [Frame(FrameType.SAMPLES, 0, bytes(250))]


def test_a_trailing_partial_frame_waits_for_its_rest():
    data = encode_frame(FrameType.COMMAND, 1, b"\x02")
    decoder = FrameDecoder()
    assert decoder.feed(b"\x01\x02" + data[:-1]) == []
    assert decoder.pending_bytes == len(data) - 1 and decoder.bytes_skipped == 2
    assert decoder.feed(data[-1:]) == [Frame(FrameType.COMMAND, 1, b"\x02")]


@pytest.mark.parametrize(
    ("seqs", "gaps"),
    [
        ([0, 1, 2, 3], 0),
        ([100, 101], 0),  # the first frame sets the reference
        ([0, 1, 2, 5], 2),
        ([253, 254, 255, 0, 1], 0),  # wrap-around is no gap
        ([250, 3], 8),  # 251..255 and 0..2
        ([255, 1], 1),
        ([7, 7], 255),  # a repeated SEQ cannot be told from 255 lost frames
        ([0, 10, 11, 20], 17),
    ],
)
def test_seq_gaps_count_missing_frames_modulo_256(seqs, gaps):
    decoder = FrameDecoder()
    for seq in seqs:
        decoder.feed(encode_frame(FrameType.STATUS, seq, bytes(12)))
    assert decoder.seq_gaps == gaps and decoder.frames_ok == len(seqs)


def test_bit_errors_never_pass_a_corrupted_frame_and_never_lose_an_intact_one():
    rng = np.random.default_rng(20240611)
    ber, n_frames = 1e-3, 2000
    sent, spans, position = [], [], 0
    for i in range(n_frames):
        length = int(rng.integers(0, MAX_PAYLOAD + 1))
        payload = rng.integers(0, 256, length, dtype=np.uint8)
        sync_like = rng.random(length) < 0.1  # plenty of fake SYNC bytes inside payloads
        payload[sync_like] = rng.choice([SYNC0, SYNC1], int(sync_like.sum()))
        data = encode_frame(int(rng.integers(0, 256)), i % 256, payload.tobytes())
        sent.append(data)
        spans.append((position, position + len(data)))
        position += len(data)
    assert len(set(sent)) == n_frames
    stream = np.frombuffer(b"".join(sent), dtype=np.uint8).copy()

    n_bits = 8 * len(stream)
    flipped = rng.choice(n_bits, rng.binomial(n_bits, ber), replace=False)
    np.bitwise_xor.at(stream, flipped // 8, (1 << (flipped % 8)).astype(np.uint8))
    hits = np.concatenate([[0], np.cumsum(np.bincount(flipped // 8, minlength=len(stream)))])
    intact = [data for data, (a, b) in zip(sent, spans, strict=True) if hits[b] == hits[a]]
    assert 0.2 * n_frames < len(intact) < 0.8 * n_frames  # the test exercises both cases

    decoder, received, start = FrameDecoder(), [], 0
    received_bytes = stream.tobytes()
    while start < len(received_bytes):
        size = int(rng.integers(1, 600))
        received += decoder.feed(received_bytes[start : start + size])
        start += size

    assert [f.encode() for f in received] == intact  # nothing corrupted, nothing intact lost
    assert decoder.frames_ok == len(intact) and decoder.crc_errors > 0
    index = {data: i for i, data in enumerate(sent)}
    lost = index[intact[-1]] - index[intact[0]] + 1 - len(intact)
    assert decoder.seq_gaps == lost  # counted, never hidden (no run of 256 losses here)
    assert_accounted(decoder, len(received_bytes), received)


# --- the spec file and the generated document ----------------------------------------------------


def test_docs_icd_codes_is_generated_from_the_spec():
    text = codes_markdown()
    assert (ROOT / "docs" / "icd-codes.md").read_text(encoding="utf-8") == text, (
        "docs/icd-codes.md is stale: run `python -m chip_sim.icd > docs/icd-codes.md`"
    )
    assert "Generated from `chip_sim/spec/icd.yaml`" in text.splitlines()[2]
    assert frame_table_markdown() in text and event_table_markdown() in text


def test_module_main_prints_the_document():
    result = subprocess.run(
        [sys.executable, "-m", "chip_sim.icd"], capture_output=True, text=True, check=True
    )
    assert result.stdout == codes_markdown()


def test_markdown_tables_list_every_code():
    frames, events = frame_table_markdown(), event_table_markdown()
    for name, code in ICD_FRAME_TYPES.items():
        assert f"| 0x{code:02X} | {name} |" in frames
    for name, code in ICD_EVENT_CODES.items():
        assert f"| 0x{code:02X} | {name} |" in events


def spec_copy() -> dict:
    return yaml.safe_load((ROOT / "chip_sim" / "spec" / "icd.yaml").read_text(encoding="utf-8"))


def break_event_code(spec: dict) -> None:
    spec["event_codes"][1]["code"] = spec["event_codes"][0]["code"]


def break_project_code(spec: dict) -> None:
    spec["event_codes"].append(
        {
            "code": 0x21,
            "name": "MY_DETECTOR",
            "defined_by": "project",
            "value": "",
            "value_unit": "",
        }
    )


def break_field_type(spec: dict) -> None:
    spec["frame_types"][0]["payload"][0]["type"] = "u12"


def break_missing_key(spec: dict) -> None:
    del spec["channels"][3]["unit"]


@pytest.mark.parametrize(
    ("breaks", "message"),
    [
        (break_event_code, r"event_codes\[1\]: code 1 or name FALL is repeated"),
        (
            break_project_code,
            r"event_codes MY_DETECTOR: code 0x21, defined_by 'project'.* 0x40\.\.0x7F",
        ),
        (break_field_type, r"frame_types EVENT\.payload: .*u12"),
        (break_missing_key, r"channels\[3\]: missing keys \['unit'\]"),
    ],
)
def test_a_broken_spec_is_refused_naming_the_key(breaks, message):
    spec = copy.deepcopy(spec_copy())
    breaks(spec)
    with pytest.raises(IcdError, match=r"chip_sim/spec/icd\.yaml: " + message):
        icd._check_spec(spec)
