"""The report's HTML: helpers, one function per section, and the page."""

from __future__ import annotations

import html
import json
import math
import os
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.reports.verification_report.checks import (
    _file_sha256,
    _integrity,
    _kill_rows,
    _manifest,
    _report_time_provenance,
    _scenario_hash,
    _scenario_names,
    _seeds,
    _user,
    _verdict,
    _version,
)
from bench.reports.verification_report.common import (
    EXIT_MEANING,
    OPEN_RATIONALE,
    PACKAGES,
    REAL_TABLE_EVIDENCE,
    RECORDS,
    RECORDS_ABSENT,
    RUN_FILES,
    TESTS_JSON,
    TITLE,
    TRACE_JSON,
)
from bench.reports.verification_report.load import _first_payload, _recorded_scenario_hash, _Run
from bench.verification.requirements import REQUIREMENTS_PATH, requirements


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _num(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], cls: str = "") -> str:
    """Rows are HTML already escaped by the caller."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    attr = f' class="{cls}"' if cls else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _kv(rows: Iterable[tuple[str, str]]) -> str:
    """Two-column key/value table; values are HTML already escaped."""
    body = "".join(f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="kv"><tbody>{body}</tbody></table>'


def _badge(verdict: str) -> str:
    cls = {
        "pass": "ok",
        "passed": "ok",
        "fail": "bad",
        "failed": "bad",
        "error": "bad",
        "not run": "warn",
        "incomplete": "warn",
        "skipped": "warn",
        "xfailed": "bad",  # failed under an open known anomaly
    }.get(verdict.lower(), "warn")
    return f'<span class="badge {cls}">{_e(verdict)}</span>'


def _code(text: Any) -> str:
    return f"<code>{_e(text)}</code>"


def _id(text: Any) -> str:
    """A requirement or hazard ID, never broken across lines."""
    return f'<code class="id">{_e(text)}</code>'


def _css_string(text: str) -> str:
    """A CSS string literal: every character that is not a letter, digit or space escaped."""
    out = []
    for ch in text:
        out.append(ch if (ch.isalnum() and ch.isascii()) or ch == " " else f"\\{ord(ch):06x}")
    return '"' + "".join(out) + '"'


def _figure_html(fig: Mapping[str, Any]) -> str:
    value = _num(fig.get("value"))
    if fig.get("lower") is not None or fig.get("upper") is not None:
        value += f" [{_num(fig.get('lower'))}, {_num(fig.get('upper'))}] (Wilson 95 %)"
    unit = f" {fig['unit']}" if fig.get("unit") else ""
    verdict = "pass" if fig.get("passed") else "fail"
    detail = f' <span class="muted">— {_e(fig["detail"])}</span>' if fig.get("detail") else ""
    return (
        f"<div>{_e(fig.get('figure', '?'))} = <b>{_e(value + unit)}</b> "
        f"{_badge(verdict)}{detail}</div>"
    )


def _link(rel: str, run: _Run, link_base: str | None) -> str:
    exists = (run.path / rel).is_file()
    missing = "" if exists else ' <span class="bad-text">(missing)</span>'
    if link_base is None:
        return f"{_code(rel)}{missing}"
    href = link_base + urllib.parse.quote(rel)
    return f'<a href="{_e(href)}">{_e(rel)}</a>{missing}'


_CSS = """
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 10pt;
  color: #111; margin: 1.5em auto; max-width: 1200px; padding: 0 1em; line-height: 1.35; }
h1 { font-size: 17pt; margin: 0.2em 0; }
h2 { font-size: 13pt; border-bottom: 2px solid #333; margin-top: 1.6em; padding-bottom: 2px;
  break-after: avoid; }
h3 { font-size: 11pt; margin: 1em 0 0.3em; break-after: avoid; }
table { border-collapse: collapse; width: 100%; margin: 0.4em 0 0.8em; }
th, td { border: 1px solid #999; padding: 3px 5px; vertical-align: top; text-align: left; }
th { background: #e8e8e8; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
table.kv th { width: 24%; }
code, .mono { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 8.5pt;
  overflow-wrap: anywhere; }
td { overflow-wrap: anywhere; }
code.id, .badge { white-space: nowrap; overflow-wrap: normal; }
.badge { display: inline-block; padding: 0 5px; border-radius: 3px; font-weight: bold;
  font-size: 8.5pt; border: 1px solid; }
.ok { background: #dff3df; color: #0a5a0a; border-color: #0a5a0a; }
.bad { background: #fbdede; color: #8a0000; border-color: #8a0000; }
.warn { background: #fff1cc; color: #6b4a00; border-color: #6b4a00; }
.bad-text { color: #8a0000; font-weight: bold; }
.muted { color: #555; }
pre.mono { white-space: pre-wrap; margin: 0 0 2px; }
.verdict { font-size: 15pt; padding: 2px 10px; }
.note { background: #f4f4f4; border-left: 4px solid #888; padding: 4px 8px; margin: 0.4em 0; }
ul.problems li { color: #8a0000; }
table.manifest td:last-child { overflow-wrap: normal; }
nav ol { columns: 2; margin: 0.3em 0; }
.sign td { height: 2.2em; }
@media print { body { margin: 0; max-width: none; padding: 0; font-size: 9pt; }
  a { color: inherit; text-decoration: none; } nav { display: none; } }
"""


_MARGIN_FONT = 'font-family: "DejaVu Sans", Arial, sans-serif; font-size: 7.5pt; color: #555;'


def _real_recordings_html(run: _Run) -> str:
    """Section 3.1: the chip beside scikit-digital-health on the real recordings, as the
    real-data tier attached it (evidence file), so the figures are the run's own."""
    head = "<h3>3.1 Real recordings (independent reference)</h3>"
    rels = sorted(
        {
            rel
            for t in run.tests.values()
            for rel in t.get("evidence") or []
            if Path(rel).name == REAL_TABLE_EVIDENCE
        }
    )
    if not rels:
        return head + (
            "<p>No real-data test attached its table in this run (the recordings could not be "
            "fetched, or the tier was not selected): the requirements on real recordings are "
            "not run or incomplete above.</p>"
        )
    out = [
        head,
        "<p>Every figure here is measured on <b>real</b> public recordings with an independent "
        "reference; the detector was tuned on the synthetic library only.</p>",
    ]
    for rel in rels:
        try:
            text = (run.path / rel).read_text(encoding="utf-8")
        except OSError as exc:
            text = f"(cannot read {rel}: {exc})"
        out.append(f'<pre class="mono">{_e(text)}</pre><p class="muted">{_e(rel)}</p>')
    return "".join(out)


def _page_css(document_id: str, revision: str, run_id: str) -> str:
    """Document ID and revision, run ID and "Page n of N" on every printed page."""
    label = _css_string(f"{document_id} rev {revision}")
    run = _css_string(f"run {run_id}" if run_id else "run ID not recorded")
    return (
        "@page { size: A4; margin: 16mm 12mm 16mm 12mm;\n"
        f"  @top-left {{ content: {label}; {_MARGIN_FONT} }}\n"
        f"  @top-right {{ content: {run}; {_MARGIN_FONT} }}\n"
        f"  @bottom-left {{ content: {_css_string(TITLE)}; {_MARGIN_FONT} }}\n"
        '  @bottom-right { content: "Page " counter(page) " of " counter(pages); '
        f"{_MARGIN_FONT} }}\n}}\n"
    )


@dataclass(frozen=True)
class _Page:
    """What every section of the report draws on, computed once per report."""

    run: Any
    reqs: Any
    sp: Any
    rid: Any
    verdict: Any
    reasons: Any
    integrity: Any
    integrity_text: Any
    document_id: Any
    revision: Any
    kill_table: Any
    who: Any
    deviations: Any
    link_base: Any
    generated: Any
    seeds: Any
    seeds_src: Any
    scen: Any
    now_env: Any


def _header(page: _Page) -> str:
    """The header: document, run, overall verdict, record integrity; and the contents."""
    run, rid, verdict, reasons, integrity, integrity_text, document_id, revision, generated = (
        page.run,
        page.rid,
        page.verdict,
        page.reasons,
        page.integrity,
        page.integrity_text,
        page.document_id,
        page.revision,
        page.generated,
    )
    parts: list[str] = []
    add = parts.append
    integrity_cls = {"INTACT": "ok", "NOT INTACT": "bad"}.get(integrity, "warn")
    verdict_cls = {"PASS": "ok", "FAIL": "bad"}.get(verdict, "warn")
    add(f'<header id="header"><h1>{_e(TITLE)}</h1>')
    add(
        _kv(
            [
                ("Document", f"<b>{_e(document_id)}</b>"),
                ("Revision", _e(revision)),
                ("Date (UTC)", _e(generated.strftime("%Y-%m-%d %H:%M:%S UTC"))),
                ("Run ID", _code(rid)),
                ("Run directory", _code(run.path.resolve())),
                (
                    "Run started / ended (UTC)",
                    _e(run.start.get("utc", "not recorded"))
                    + " / "
                    + _e(run.end.get("utc", "not recorded")),
                ),
                (
                    "Overall verdict",
                    f'<span id="verdict" class="badge verdict {verdict_cls}">{_e(verdict)}</span> '
                    + _e("; ".join(reasons)),
                ),
                (
                    "Record integrity",
                    f'<span id="integrity" class="badge {integrity_cls}">{_e(integrity)}</span> '
                    + _e(integrity_text),
                ),
            ]
        )
    )
    if integrity == "NOT INTACT":
        add(
            '<p class="note bad-text">The records of this run fail verification (section 8.2): '
            "the verdict above rests on records that may have been changed.</p>"
        )
    elif run.consistency:
        add(
            '<p class="note bad-text">The files of this run disagree with each other (section '
            f"8.3): the verdict above is computed from {_e(run.tests_source)}.</p>"
        )
    add("</header>")
    add(
        '<nav><b>Contents</b><ol><li><a href="#scope">Scope</a></li>'
        '<li><a href="#environment">Environment record</a></li>'
        '<li><a href="#requirements">Requirements</a></li>'
        '<li><a href="#traceability">Traceability</a></li>'
        '<li><a href="#hazards">Hazards (ISO 14971)</a></li>'
        '<li><a href="#anomalies">Anomalies and deviations</a></li>'
        '<li><a href="#bench-validation">Bench validation</a></li>'
        '<li><a href="#evidence">Evidence manifest and records</a></li></ol></nav>'
    )
    return "\n".join(parts)


def _section_scope(page: _Page) -> str:
    """Section 1: scope."""
    run, reqs, sp, seeds, seeds_src, scen = (
        page.run,
        page.reqs,
        page.sp,
        page.seeds,
        page.seeds_src,
        page.scen,
    )
    parts: list[str] = []
    add = parts.append
    outcomes: dict[str, int] = {}
    for t in run.tests.values():
        outcomes[t["outcome"]] = outcomes.get(t["outcome"], 0) + 1
    counts = ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())) or "none"
    scope_src = "run_start record" if sp else f"not recorded (no run record; {run.tests_source})"
    add('<section id="scope"><h2>1. Scope</h2>')
    add(
        "<p>Verification of the requirements of "
        f"{_e(reqs.document.get('id', 'bench/verification/requirements.yaml'))} "
        f"revision {_e(reqs.document.get('revision', '?'))} "
        f"({_e(reqs.document.get('title', ''))}) on the device under test below. Scope "
        f"information from: {_e(scope_src)}.</p>"
    )
    add(
        _kv(
            [
                ("DUT", _e(sp.get("dut", _first_payload(run, "dut") or "not recorded"))),
                ("Station", _e(sp.get("station", "not recorded"))),
                ("Station file", _code(sp.get("station_file", "not recorded"))),
                ("Station file SHA-256", _code(sp.get("station_sha256", "not recorded"))),
                ("Scenarios named in the run", _e(", ".join(scen) or "none named")),
                ("Scenario filter", _e(sp.get("scenario_filter") or "none")),
                (
                    "Seeds",
                    _e(seeds)
                    + (f' <span class="muted">({_e(seeds_src)})</span>' if seeds_src else ""),
                ),
                ("Tests", _e(f"{len(run.tests)} ({counts}); results from {run.tests_source}")),
                ("Requirements", _e(f"{len(run.rows)} in bench/verification/requirements.yaml")),
                (
                    "pytest arguments",
                    _code(" ".join(map(str, sp.get("args", []))) or "not recorded"),
                ),
                (
                    "pytest exit status",
                    _e(
                        f"{run.end_payload['exit_status']} "
                        f"({EXIT_MEANING.get(run.end_payload['exit_status'], 'abnormal')})"
                        if isinstance(run.end_payload.get("exit_status"), int)
                        else "not recorded"
                    ),
                ),
            ]
        )
    )
    add(
        '<p class="muted">Scenarios run inside a test without being named in its test ID or '
        "records are not listed here.</p></section>"
    )
    return "\n".join(parts)


def _section_environment(page: _Page) -> str:
    """Section 2: environment."""
    run, sp, who, seeds, scen, now_env = (
        page.run,
        page.sp,
        page.who,
        page.seeds,
        page.scen,
        page.now_env,
    )
    parts: list[str] = []
    add = parts.append
    add('<section id="environment"><h2>2. Environment record</h2>')
    add(
        "<p>Left: as recorded with the run (run_start record). Right: the environment generating "
        "this report, for comparison — not evidence of the run.</p>"
    )
    nr = "not recorded" if run.records_present else "— (no run record)"
    env_rows = []
    for key, label in (
        ("git_commit", "Git commit"),
        ("software_version", "Software version (smile-bench)"),
        ("python", "Python"),
        ("platform", "OS / platform"),
        ("hostname", "Host name"),
    ):
        env_rows.append([_e(label), _code(sp.get(key, nr)), _code(now_env[key])])
    recorded_pkgs = sp.get("packages") if isinstance(sp.get("packages"), dict) else {}
    for dist in PACKAGES:
        env_rows.append(
            [_e(f"package {dist}"), _code(recorded_pkgs.get(dist, nr)), _code(_version(dist))]
        )
    req_sha = _file_sha256(REQUIREMENTS_PATH) if REQUIREMENTS_PATH.is_file() else "missing"
    env_rows.append(
        [
            _e("bench/verification/requirements.yaml SHA-256"),
            _code(sp.get("requirements_sha256", nr)),
            _code(req_sha),
        ]
    )
    add(_table(["Item", "Recorded with the run", "At report time"], env_rows))
    if who:
        who_text, who_src = who, "given to the report"
    elif sp.get("user"):
        who_text, who_src = sp["user"], "run_start record (login of the process)"
    else:
        who_text, who_src = _user(), "login generating this report; the run did not record it"
    sims = sp.get("simulators") or sp.get("simulator_versions")
    instruments = sp.get("instruments")
    simulated = sp.get("station") == "simulated" or str(sp.get("dut", "")).startswith(
        ("golden", "mutant")
    )
    if instruments:
        inst_html = _table(
            ["Instrument", "Identity", "Calibration"],
            [
                [
                    _e(i.get("name", "?")),
                    _code(i.get("idn") or i.get("identity") or i.get("serial", "not recorded")),
                    _e(i.get("calibration_date") or i.get("calibrated") or "not recorded"),
                ]
                for i in instruments
                if isinstance(i, dict)
            ],
        )
    elif simulated:
        inst_html = _e(
            "none — simulated station (golden-model DUT, no hardware instruments, hence no "
            "calibration dates)"
        )
    else:
        inst_html = _e("not recorded")
    add(
        _kv(
            [
                ("Run by", _e(who_text) + f' <span class="muted">({_e(who_src)})</span>'),
                (
                    "Simulator versions",
                    _code(json.dumps(sims, sort_keys=True)) if sims else _e("none recorded"),
                ),
                ("Instruments and calibration", inst_html),
                ("Station file SHA-256", _code(sp.get("station_sha256", nr))),
                ("Seeds", _e(seeds)),
            ]
        )
    )
    add("<h3>Scenarios</h3>")
    if scen:
        srows = []
        for name, where in scen.items():
            recorded = _recorded_scenario_hash(run, name)
            sha, src = _scenario_hash(name)
            if recorded and sha and recorded != sha:
                src += f"; DIFFERS from the hash recorded with the run ({recorded})"
            elif recorded:
                sha, src = recorded, "recorded with the run"
            srows.append([_code(name), _code(sha or "—"), _e(src), _e(", ".join(where))])
        add(_table(["Scenario", "SHA-256", "Hash source", "Named in"], srows))
    else:
        add("<p>No scenario is named in the test IDs or records of this run.</p>")
    add("</section>")
    return "\n".join(parts)


def _section_requirements(page: _Page) -> str:
    """Section 3: requirements."""
    (run,) = (page.run,)
    parts: list[str] = []
    add = parts.append
    add('<section id="requirements"><h2>3. Requirements</h2>')
    add(
        "<p>Texts and acceptance criteria from bench/verification/requirements.yaml at report "
        "time. A requirement with no test in this run is <b>not run</b>; statistical limits are "
        "judged on the Wilson 95 % bound on the safe side.</p>"
    )
    rrows = []
    for r in run.rows:
        figs = "".join(_figure_html(f) for f in r["figures"]) or '<span class="muted">none</span>'
        rrows.append(
            [
                f'<span id="req-{_e(r["requirement"])}">{_id(r["requirement"])}</span>',
                _e(r["text"]),
                _e(r["acceptance"]),
                figs,
                _badge(r["verdict"])
                + (
                    f'<br><span class="muted">known anomaly {_e(r["known_anomalies"])}</span>'
                    if r.get("known_anomalies")
                    else ""
                ),
                _e(len(r["tests"])),
            ]
        )
    add(_table(["ID", "Requirement", "Acceptance", "Measured", "Verdict", "Tests"], rrows, "reqs"))
    tally: dict[str, int] = {}
    for r in run.rows:
        tally[r["verdict"]] = tally.get(r["verdict"], 0) + 1
    add(
        "<p>Summary: "
        + _e(", ".join(f"{n} {v}" for v, n in sorted(tally.items())))
        + f" (of {len(run.rows)}).</p>"
    )
    add(_real_recordings_html(run))
    add("</section>")
    return "\n".join(parts)


def _section_traceability(page: _Page) -> str:
    """Section 4: traceability."""
    run = page.run
    link_base = page.link_base
    parts: list[str] = []
    add = parts.append
    add('<section id="traceability"><h2>4. Traceability</h2><h3>4.1 Matrix</h3>')
    trows = []
    for r in run.rows:
        tests = (
            "<br>".join(
                f"{_code(n)} {_badge(run.tests.get(n, {}).get('outcome', 'not run'))}"
                for n in r["tests"]
            )
            or '<span class="muted">no test in this run</span>'
        )
        ev = "<br>".join(_link(rel, run, link_base) for rel in r["evidence"]) or "—"
        trows.append(
            [
                _id(r["requirement"]),
                _e(", ".join(r["hazards"])),
                tests,
                _badge(r["verdict"]),
                ev,
            ]
        )
    add(_table(["Requirement", "Hazards", "Tests", "Result", "Evidence"], trows))
    add(f"<h3>4.2 Tests run</h3><p>Source: {_e(run.tests_source)}.</p>")
    add(
        _table(
            ["Test", "Outcome", "Duration (s)", "Requirements", "Evidence files"],
            [
                [
                    _code(n),
                    _badge(t["outcome"]),
                    _e(_num(t.get("duration_s"))),
                    _e(", ".join(t["requirements"]) or "—"),
                    _e(len(t["evidence"])),
                ]
                for n, t in sorted(run.tests.items())
            ],
        )
        if run.tests
        else "<p>No test was run.</p>"
    )
    add("</section>")
    return "\n".join(parts)


def _section_hazards(page: _Page) -> str:
    """Section 5: hazards."""
    run = page.run
    reqs = page.reqs
    parts: list[str] = []
    add = parts.append
    add('<section id="hazards"><h2>5. Hazards (ISO 14971)</h2>')
    add("<p>Each hazard, the requirements that control it, and their verdicts in this run.</p>")
    verdict_of = {r["requirement"]: r["verdict"] for r in run.rows}
    hrows = []
    for hz in reqs.hazards.values():
        controls = [rid for rid, req in reqs.requirements.items() if hz.id in req.hazards]
        vs = [verdict_of.get(c, "not run") for c in controls]
        if not controls:
            status = _badge("no risk control")
        elif any(v == "fail" for v in vs):
            status = _badge("control failed")
        elif all(v == "pass" for v in vs):
            status = '<span class="badge ok">all controls verified</span>'
        else:
            status = _badge("not fully verified")
        hrows.append(
            [
                _id(hz.id),
                _e(hz.name) + f'<div class="muted">{_e(hz.harm)}</div>',
                "<br>".join(f"{_id(c)} {_badge(v)}" for c, v in zip(controls, vs, strict=True))
                or "—",
                status,
            ]
        )
    add(_table(["Hazard", "Name and harm", "Risk-control requirements", "Status"], hrows))
    add("</section>")
    return "\n".join(parts)


def _section_anomalies(page: _Page) -> str:
    """Section 6: anomalies and deviations."""
    run = page.run
    reqs = page.reqs
    deviations = page.deviations
    parts: list[str] = []
    add = parts.append
    add('<section id="anomalies"><h2>6. Anomalies and deviations</h2><h3>6.1 Anomalies</h3>')
    bad = [
        (n, t)
        for n, t in sorted(run.tests.items())
        if t["outcome"] in ("failed", "error", "xfailed")
    ]
    has_tests_json = (run.path / TESTS_JSON).is_file()
    if not has_tests_json:
        add(
            f'<p class="note">{TESTS_JSON} is absent from the run directory: the anomalies '
            f"below come from {_e(run.tests_source)}.</p>"
        )
    if bad:
        arows = []
        for n, t in bad:
            msg = t.get("message") or ""
            src = t.get("message_source") or ""
            if msg:
                msg_html = f'<pre class="mono">{_e(msg)}</pre>' + (
                    f'<span class="muted">from {_e(src)}</span>' if src else ""
                )
            else:
                msg_html = _e(
                    f"no message recorded ({TESTS_JSON} carries none"
                    + (
                        f", and {RECORDS} has none for this test)"
                        if run.records_present
                        else f"; no {RECORDS})"
                    )
                )
            arows.append(
                [
                    _code(n),
                    _badge(t["outcome"]),
                    _e(", ".join(t["requirements"]) or "—"),
                    msg_html,
                    _e(OPEN_RATIONALE),
                ]
            )
        add(_table(["Test", "Outcome", "Requirements", "Message", "Rationale"], arows, "anoms"))
    else:
        add("<p>No failed or errored test in this run.</p>")
    add("<h3>6.2 Deviations</h3>")
    if deviations:
        keys: list[str] = []
        for d in deviations:
            if isinstance(d, Mapping):
                keys += [k for k in d if k not in keys]
        if keys:
            add(
                _table(
                    keys,
                    [
                        [_e(d.get(k, "")) for k in keys]
                        if isinstance(d, Mapping)
                        else [_e(d)] + [""] * (len(keys) - 1)
                        for d in deviations
                    ],
                )
            )
        else:
            add("<ul>" + "".join(f"<li>{_e(d)}</li>" for d in deviations) + "</ul>")
    else:
        add("<p>None recorded.</p>")
    add("<h3>6.3 Known anomalies</h3>")
    known = reqs.known_anomalies
    if known:
        add(
            _table(
                ["ID", "Anomaly", "Requirements", "Description", "Status", "Plan"],
                [
                    [
                        _code(a.id),
                        _e(a.title),
                        _e(", ".join(a.requirements)),
                        _e(a.description),
                        _e(a.status),
                        _code(a.plan),
                    ]
                    for a in known
                ],
            )
        )
    else:
        add("<p>None listed in bench/verification/requirements.yaml.</p>")
    add("</section>")
    return "\n".join(parts)


def _section_bench_validation(page: _Page) -> str:
    """Section 7: bench validation."""
    run = page.run
    kill_table = page.kill_table
    parts: list[str] = []
    add = parts.append
    add('<section id="bench-validation"><h2>7. Bench validation (ISO 13485 §7.5.6)</h2>')
    krows, ksrc = _kill_rows(run, kill_table)
    try:
        from bench.duts.mutant import MUTATIONS

        defined = list(MUTATIONS)
    except Exception:  # the count is then not shown
        defined = []
    if krows is None:
        add(
            "<p><b>Kill table: not provided.</b> No kill table was given to the report and this "
            "run contains no mutant tests, so this report does not evidence that the bench "
            "catches a misbehaving DUT.</p>"
        )
    else:
        killed = sum(1 for r in krows if r.get("killed"))
        n = len(krows)
        add(f"<p>Source: {_e(ksrc)}.</p>")
        add(
            f'<p id="kill-rate"><b>Kill rate {killed}/{n}</b>'
            + (f" ({100 * killed / n:.0f} %)" if n else "")
            + "</p>"
        )
        names = {str(r.get("mutant")) for r in krows}
        not_in = [m for m in defined if m not in names]
        if defined:
            add(
                f"<p>{len(names & set(defined))} of the {len(defined)} mutants defined in "
                "bench.duts.mutant are in the table"
                + (f"; not run: {_e(', '.join(not_in))}" if not_in else "")
                + ".</p>"
            )
        add(
            _table(
                ["Mutant", "Killed", "Killing requirements", "Killing tests", "Exit code"],
                [
                    [
                        _code(r.get("mutant", "?")),
                        '<span class="badge ok">killed</span>'
                        if r.get("killed")
                        else '<span class="badge bad">SURVIVED</span>',
                        _e(", ".join(r.get("killing_requirements") or []) or "—"),
                        "<br>".join(_code(t) for t in r.get("killing_tests") or []) or "—",
                        _e(r.get("exit_code", "—")),
                    ]
                    for r in krows
                ],
            )
        )
    add("</section>")
    return "\n".join(parts)


def _section_evidence(page: _Page) -> str:
    """Section 8: evidence and records."""
    run = page.run
    link_base = page.link_base
    parts: list[str] = []
    add = parts.append
    add('<section id="evidence"><h2>8. Evidence manifest and records</h2>')
    add('<h3 id="manifest">8.1 Evidence manifest</h3>')
    mrows, mnotes = _manifest(run)
    for note in mnotes:
        add(f'<p class="note">{_e(note)}</p>')
    add(
        _table(
            ["File", "SHA-256", "Status"],
            [[_link(rel, run, link_base), _code(sha), _e(status)] for rel, sha, status in mrows],
            "manifest",
        )
        if mrows
        else "<p>No evidence file in the run directory.</p>"
    )
    add('<h3 id="records">8.2 Hash-chained records</h3>')
    if not run.records_present:
        add(
            f'<p class="note"><b>{_e(RECORDS_ABSENT)}</b> — the run directory has no {RECORDS}, '
            "so nothing in it is protected against later change.</p>"
        )
    else:
        kinds: dict[str, int] = {}
        for r in run.records:
            kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
        add(
            "<p>"
            + _e(
                f"{RECORDS}: {len(run.records)} readable record(s) ("
                + ", ".join(f"{n} {k}" for k, n in kinds.items())
                + ")."
            )
            + "</p>"
        )
        if run.records_problems:
            add(
                "<p><b>bench.records.verify: problems found "
                f"({len(run.records_problems)})</b> — the "
                'records are not intact:</p><ul class="problems">'
                + "".join(f"<li>{_e(p)}</li>" for p in run.records_problems)
                + "</ul>"
            )
        else:
            add(
                "<p><b>bench.records.verify: intact</b> — hash chain unbroken, every evidence "
                "file matches the manifest sealed in run_end.</p>"
            )
        if run.records_note:
            add(f'<p class="muted">{_e(run.records_note)}</p>')
        ends = [r for r in run.records if r.get("kind") == "run_end"]
        key = ends[-1]["payload"].get("signing_key") if ends else None
        if isinstance(key, dict):
            add(
                "<p><b>Signed</b> by the station key "
                + _code(str(key.get("fingerprint")))
                + " (Ed25519, public key "
                + _code(str(key.get("public_key")))
                + "): signature.json signs the chain head "
                + _code(str(ends[-1].get("hash")))
                + " and the sealed manifest; check it against the station's key with "
                + _code("smile-bench report --verify RUN_DIR --trusted-key KEY")
                + ".</p>"
            )
        elif run.records_present:
            add("<p><b>Not signed</b>: the run_end names no station key.</p>")
    add("<h3>8.3 Consistency of the run's files</h3>")
    if run.consistency:
        add(
            f"<p><b>Disagreements found ({len(run.consistency)})</b> between "
            f"{TESTS_JSON}, {TRACE_JSON} and "
            f'{RECORDS}:</p><ul class="problems">'
            + "".join(f"<li>{_e(p)}</li>" for p in run.consistency)
            + "</ul>"
        )
    else:
        present = [n for n in RUN_FILES if (run.path / n).is_file()]
        add(f"<p>No disagreement between {_e(', '.join(present))}.</p>")
    add("</section>")
    return "\n".join(parts)


def _section_approval(page: _Page) -> str:
    """The approval block (signatures are added on paper or by the QMS)."""
    parts: list[str] = []
    add = parts.append
    add(
        '<section id="approval"><h2>Approval</h2>'
        + _table(
            ["Role", "Name", "Signature", "Date"],
            [[_e(r), "", "", ""] for r in ("Prepared by", "Reviewed by", "Approved by")],
            "sign",
        )
        + "</section>"
    )
    return "\n".join(parts)


SECTIONS = (
    _header,
    _section_scope,
    _section_environment,
    _section_requirements,
    _section_traceability,
    _section_hazards,
    _section_anomalies,
    _section_bench_validation,
    _section_evidence,
    _section_approval,
)


def _render(
    run: _Run,
    *,
    document_id: str,
    revision: str,
    kill_table: Sequence[Mapping[str, Any]] | str | os.PathLike[str] | None,
    who: str | None,
    deviations: Sequence[Any] | None,
    link_base: str | None,
    generated: datetime,
) -> str:
    reqs = requirements()
    verdict, reasons = _verdict(run)
    integrity, integrity_text = _integrity(run)
    sp = run.start_payload
    rid = sp.get("run_id") or f"not recorded (no run record); run folder {run.path.name}"
    seeds, seeds_src = _seeds(run)
    scen = _scenario_names(run)
    now_env = _report_time_provenance()
    page = _Page(
        run=run,
        reqs=reqs,
        sp=sp,
        rid=rid,
        verdict=verdict,
        reasons=reasons,
        integrity=integrity,
        integrity_text=integrity_text,
        document_id=document_id,
        revision=revision,
        kill_table=kill_table,
        who=who,
        deviations=deviations,
        link_base=link_base,
        generated=generated,
        seeds=seeds,
        seeds_src=seeds_src,
        scen=scen,
        now_env=now_env,
    )
    parts = [section(page) for section in SECTIONS]
    csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"
    title = f"{document_id} rev {revision} — {TITLE}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="smile-bench {_e(now_env["software_version"])}">\n'
        f"<title>{_e(title)}</title>\n"
        f"<style>{_CSS}{_page_css(document_id, revision, str(sp.get('run_id', '')))}</style>\n"
        "</head><body>\n" + "\n".join(parts) + "\n</body></html>\n"
    )
