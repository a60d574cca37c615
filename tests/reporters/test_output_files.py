"""Writing report files: through symlinks, into FIFOs, all formats or none, and checked before a scan."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from scanner.cli import main
from scanner.reporters.json_report import render_json
from scanner.reporters.output import check_writable, write_all

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def saved(vlm, tmp_path) -> Path:
    path = tmp_path / "report.json"
    path.write_text(render_json(vlm), encoding="utf-8")
    return path


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path):
    target = tmp_path / "reports" / "latest.html"
    target.parent.mkdir()
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o600)
    link = tmp_path / "report.html"
    link.symlink_to(target)
    write_all([(link, "new\n")])
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text(encoding="utf-8") == "new\n" and (target.stat().st_mode & 0o777) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["latest.html"]


def test_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "report.json"
    link.symlink_to(tmp_path / "real.json")
    write_all([(link, b"{}\n")])
    assert link.is_symlink() and (tmp_path / "real.json").read_bytes() == b"{}\n"


def test_a_fifo_is_written_into_not_replaced(saved, vlm, tmp_path):
    """Like ``--json /dev/stdout`` in a pipeline: the special file must survive, its reader gets the report."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "stdout"
    link.symlink_to(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    try:
        assert main(["report", str(saved), "--json", str(link), "-q"]) == 0
    finally:
        if reader.is_alive():  # unblock the reader if the write never opened the FIFO
            fifo.open("wb").close()
        reader.join(10)
    assert received == [render_json(vlm).encode("utf-8")]
    assert fifo.is_fifo() and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe", "report.json", "stdout"]


@pytest.mark.parametrize("bad", ["plain-file/x.html", "/proc/fromscratch-test/x.html"])
def test_several_outputs_are_all_or_nothing(saved, tmp_path, capsys, bad):
    (tmp_path / "plain-file").write_text("x", encoding="utf-8")
    bad_path = bad if bad.startswith("/") else str(tmp_path / bad)
    previous = tmp_path / "kept.spdx.json"
    previous.write_text("previous\n", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    code = main(["report", str(saved), "--json", str(tmp_path / "ok.json"), "--spdx", str(previous),
                 "--html", bad_path, "-q"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"fromscratch: error: {bad_path}: cannot write") and err.count("\n") == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "a report or temporary file was left behind"
    assert previous.read_text(encoding="utf-8") == "previous\n"


def test_the_same_file_for_two_formats_is_refused(saved, tmp_path, capsys):
    out = tmp_path / "out.json"
    assert main(["report", str(saved), "--json", str(out), "--sarif", str(out), "-q"]) == 2
    assert "given for more than one report" in capsys.readouterr().err and not out.exists()


def test_scan_checks_every_output_before_scanning(tmp_path, monkeypatch, capsys):
    def no_scan(*args, **kwargs):
        raise AssertionError("the scan ran although an output cannot be written")

    monkeypatch.setattr("scanner.cli.scan_cmd.run_scan", no_scan)
    monkeypatch.chdir(REPO)
    missing = tmp_path / "nonexistent-dir" / "x.html"
    ok = tmp_path / "ok.json"
    assert main(["scan", "examples/hcx-mini", "--json", str(ok), "--html", str(missing), "-q"]) == 2
    err = capsys.readouterr().err
    assert err == f"fromscratch: error: {missing}: cannot write (No such file or directory)\n"
    assert list(tmp_path.iterdir()) == []


def test_check_writable_leaves_nothing_behind(tmp_path):
    check_writable([tmp_path / "a.json", tmp_path / "b.html"])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("edit", "where"), [
    (lambda d: d["run"].__setitem__("started_at", "yesterday"), "run.started_at is not an ISO 8601 time"),
    (lambda d: d["components"][0]["lineage"][0]["statistics"]["per_layer"][0].__setitem__("similarity", "NaN"),
     "invalid report at components/0/lineage/0/statistics/per_layer/0/similarity: NaN and Infinity are not JSON numbers"),
    (lambda d: d["run"].__setitem__("duration_seconds", "Infinity"),
     "invalid report at run/duration_seconds: NaN and Infinity are not JSON numbers"),
])
def test_load_errors_name_the_input_file(saved, tmp_path, capsys, edit, where):
    data = json.loads(saved.read_text(encoding="utf-8"))
    edit(data)
    text = json.dumps(data).replace('"NaN"', "NaN").replace('"Infinity"', "Infinity")
    broken = tmp_path / "broken.json"
    broken.write_text(text, encoding="utf-8")
    out = tmp_path / "x.spdx.json"
    assert main(["report", str(broken), "--spdx", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"fromscratch: error: {broken}: ") and where in err and err.count("\n") == 1, err
    assert not out.exists()
