"""``smile-bench system``: tables on stdout, the timeline PNG, bad input as one line + exit 2."""

from __future__ import annotations

import pytest

from bench.cli.main import main


def test_system_prints_the_tables_and_writes_the_timeline(tmp_path, capsys):
    png = tmp_path / "timeline.png"
    assert main(["system", "--scenario", "fall_forward", "--seed", "2", "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "Latency per hop" in out and "FALL" in out and "carer" in out
    assert "Energy — source harvest" in out and "mean µA" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["timeline.png"]  # no temporary left


@pytest.mark.parametrize(
    "args, message",
    [
        (["--scenario", "no_such_scenario"], "unknown scenario"),
        (["--scenario", "fall_forward", "--days", "-1"], "--days"),
        (["--scenario", "fall_forward", "--days", "400"], "--days"),
        (["--scenario", "fall_forward", "--seed", "x"], "--seed"),
        (["--scenario", "fall_forward", "--plot", "out.jpg"], "--plot"),
        (["--scenario", "fall_forward", "--energy", "solar"], "--energy"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        code = main(["system", *args])
        raise SystemExit(code)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert list(tmp_path.iterdir()) == []
