"""Every parser that takes outside bytes or files, fuzzed (issue 15): ICD stream decoder, host
port, scenario YAML, station TOML, replay CSV, capture HDF5, run records JSONL. Whatever the
input, a parser returns or raises the project's own error (one line naming the input), never
another exception, within the per-example deadline; a refused input leaves nothing written.

Examples are built from the valid form with mutations (bytes flipped, cut, spliced, fields
replaced), so they reach past the first syntax check into the checks that follow."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from bench.records import verify
from bench.records.chain import RecordsError, read_records
from bench.station import StationError, load_station
from chip_sim.core.host import HostPort
from chip_sim.errors import ChipError
from chip_sim.icd import (
    Frame,
    FrameDecoder,
    IcdError,
    StimulusPayload,
    encode_frame,
)
from chip_sim.registers import RegisterFile
from chip_sim.replay import load_recording
from scenarios import library
from scenarios.errors import ScenarioError
from scenarios.schema import parse_scenario

SCENARIO_TEXT = (library.LIBRARY_DIR / "walk_level_1p3.yaml").read_text(encoding="utf-8")
STATION_TEXT = (
    Path(__file__).resolve().parents[2] / "bench" / "stations" / "lab-example.toml"
).read_text(encoding="utf-8")
CSV_TEXT = "t_s,acc_x_g,acc_y_g,acc_z_g\n" + "".join(
    f"{k / 100:.2f},0.01,-0.02,{1 + (k % 7) / 100:.2f}\n" for k in range(40)
)


def mutated(data: bytes) -> st.SearchStrategy[bytes]:
    """``data`` with a few edits: bytes replaced, a cut, a slice repeated, bytes inserted."""

    @st.composite
    def build(draw) -> bytes:
        out = bytearray(data)
        for _ in range(draw(st.integers(0, 6))):
            kind = draw(st.sampled_from(["flip", "cut", "dup", "insert", "delete"]))
            at = draw(st.integers(0, max(len(out) - 1, 0)))
            if kind == "flip" and out:
                out[at] = draw(st.integers(0, 255))
            elif kind == "cut":
                del out[at:]
            elif kind == "dup":
                end = draw(st.integers(at, min(len(out), at + 64)))
                out[at:at] = out[at:end] * draw(st.integers(1, 4))
            elif kind == "insert":
                out[at:at] = draw(st.binary(max_size=24))
            elif out:
                del out[at : at + draw(st.integers(1, 16))]
        return bytes(out)

    return st.one_of(build(), st.binary(max_size=512))


def text_of(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def files_in(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def load_or_refuse(data: bytes, name: str, load, errors) -> None:
    """``data`` as file ``name`` in a fresh folder, through ``load``: it loads, or raises one of
    ``errors`` in one line naming the file; either way nothing else is written there."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            load(path)
        except errors as exc:
            assert name in str(exc) and "\n" not in str(exc).strip()
        assert files_in(Path(tmp)) == {name}


# --- ICD: the stream decoder and the host port -----------------------------------------------

GOOD_STREAM = b"".join(
    encode_frame(t, k, p)
    for k, (t, p) in enumerate(
        [
            (0x01, bytes(10)),
            (0x13, StimulusPayload(0, [[1] * 8] * 3).encode()),
            (0x10, bytes([0x21, 40, 0, 0, 0])),
            (0x03, bytes(12)),
        ]
    )
)


@given(mutated(GOOD_STREAM), st.lists(st.integers(1, 64), max_size=8))
def test_the_stream_decoder_accounts_for_every_byte_and_never_raises(data, splits):
    decoder = FrameDecoder()
    frames, pos = [], 0
    for size in splits:
        frames += decoder.feed(data[pos : pos + size])
        pos += size
    frames += decoder.feed(data[pos:])
    frames += decoder.flush()
    in_frames = sum(len(f.encode()) for f in frames)
    assert in_frames + decoder.bytes_skipped + decoder.pending_bytes == len(data)
    for f in frames:
        # an unknown TYPE or a bad length: the one error a payload decode may raise
        with contextlib.suppress(IcdError):
            f.decode_payload()


@given(
    st.integers(0, 255),
    st.integers(0, 255),
    st.one_of(st.binary(max_size=250), mutated(StimulusPayload(0, [[2] * 8] * 4).encode())),
    st.booleans(),
)
def test_the_host_port_answers_every_frame_with_ack_nack_or_value(frame_type, seq, payload, on):
    port = HostPort(RegisterFile({"STIM_SOURCE": int(on)}))
    payload = payload[:250]
    answer = port.answer(Frame(frame_type, seq, payload))
    assert answer.reply.frame_type in (0x12, 0x7E, 0x7F)
    if answer.reply.frame_type != 0x12:
        assert (answer.reply.echoed_type, answer.reply.echoed_seq) == (frame_type, seq)
    assert len(port.stimulus.rows) <= port.stimulus.capacity


# --- files: scenario YAML, station TOML, replay CSV, capture HDF5 -----------------------------


#: pieces of YAML syntax — tags, anchors, complex keys, flow collections, block scalars — so
#: that examples reach the constructor and the schema, not only the scanner
YAML_TOKENS = st.sampled_from(
    [
        "name: ",
        "timeline:",
        "patient:",
        "- ",
        "? ",
        ": ",
        "[",
        "]",
        "{",
        "}",
        ", ",
        "\n",
        "  ",
        "&a ",
        "*a",
        "!!binary ",
        "!!timestamp ",
        "!!float ",
        "!!set ",
        "!!omap ",
        "!!python/object ",
        "|\n",
        ">-\n",
        "'q'",
        '"\\x00"',
        "1e999",
        "-.inf",
        ".nan",
        "~",
        "yes",
        "0x1F",
        "2026-12-07",
        "activity: walk",
        "duration_s: 5",
        "speed_mps: 1.3",
        "---\n",
        "...\n",
        "%YAML 1.1\n",
        "#c\n",
        "=",
        "<<: *a",
    ]
)


@given(
    st.one_of(
        mutated(SCENARIO_TEXT.encode()),
        st.lists(YAML_TOKENS, max_size=40).map(lambda parts: "".join(parts).encode()),
    )
)
def test_scenario_yaml_is_parsed_or_refused_with_a_scenario_error(data):
    try:
        parse_scenario(text_of(data), "fuzz.yaml")
    except ScenarioError as exc:
        assert "fuzz.yaml" in str(exc) and "\n" not in str(exc).strip()


@given(mutated(STATION_TEXT.encode()))
def test_station_toml_is_loaded_or_refused_with_a_station_error(data):
    load_or_refuse(data, "station.toml", load_station, StationError)


@given(mutated(CSV_TEXT.encode()))
def test_replay_csv_is_loaded_or_refused_with_a_chip_error(data):
    load_or_refuse(data, "rec.csv", load_recording, ChipError)


def _capture_bytes() -> bytes:
    from scenarios.capture import write_capture
    from scenarios.generator import render

    rendering = render(library.load("walk_level_1p3"), 1, duration_s=2)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.h5"
        write_capture(path, rendering)
        return path.read_bytes()


CAPTURE = _capture_bytes()


@given(st.data())
def test_capture_hdf5_is_read_or_refused_with_the_projects_error(data):
    raw = bytearray(CAPTURE)
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        del raw[data.draw(st.integers(0, len(raw))) :]
    load_or_refuse(bytes(raw), "cap.h5", load_recording, (ChipError, ScenarioError))


# --- run records ------------------------------------------------------------------------------


def _records_bytes() -> bytes:
    from bench.records import RunRecorder

    with tempfile.TemporaryDirectory() as tmp:
        rec = RunRecorder(Path(tmp) / "run")
        rec.start({"dut": "golden", "seeds": [1]})
        rec.append("test", {"test_id": "t", "verdict": "passed"})
        rec.finish({"verdict": "pass"}, sign=False)
        return (Path(tmp) / "run" / "records.jsonl").read_bytes()


RECORDS = _records_bytes()


@given(mutated(RECORDS))
def test_run_records_verify_to_a_list_of_problems_and_read_or_refuse(data):
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp)
        (run / "records.jsonl").write_bytes(data)
        problems = verify(run)
        assert isinstance(problems, list) and all(isinstance(p, str) for p in problems)
        try:
            read_records(run)
        except RecordsError as exc:
            assert "\n" not in str(exc).strip()
        assert files_in(run) <= {"records.jsonl", "records.lock"}
