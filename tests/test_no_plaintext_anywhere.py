"""SECURITY.md item 10, wider (issue 7): after a scripted session through the services and the real
desktop — a person, a case, edits, a note, an attachment, a search; a second person registered
in the desktop, a note typed and saved there, a picture added and previewed, its CNIC and Urdu
name typed into the global search, then Ctrl+L — no canary is anywhere the session could write:
the profile folder (WAL and SHM included), the private temporary folder, Qt's cache, config and
data folders, the home folder, the log file (Python's logging at DEBUG and Qt's messages), and
the process's output.

The session runs in a process of its own (tests/canary_session.py) whose HOME, XDG folders,
TMPDIR and CASEAPP_HOME all lie under this test's tmp_path, so everything it writes is under
one folder the scan reads whole, and the shared system temp folder is never read. Control
markers written through ``tempfile`` and into Qt's own cache and config locations must be
found by the same scan, and every location Qt reports must lie under tmp_path: the scan looks
where the files really go."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from test_no_plaintext import files_under, scan_bytes, scan_files

REPO = Path(__file__).resolve().parents[1]
# Invented words make even the short canaries unique on any disk.
CANARIES = {
    "urdu name": "کینری ناصر",
    "latin name": "Canaryxq Zulfiqar",
    "cnic": "35202-9876543-1",
    "testimony": "they locked us in the Qwertzkiln every night",
    "attachment": "ATTACHCANARY-7b2e90d1",
    "desktop name": "Deskcanary Yousafzai",
    "desktop urdu": "ڈیسک کینری",
    "desktop cnic": "61101-2223334-7",
    "desktop note": "Plovrqanary: the agent at the Torkham crossing took her papers",
    "desktop attachment": "PICTURECANARY-4c8d1e02",
}
CONTROL = "CONTROLMARKER-e5a1c9f3 کنٹرول"


def needles(canaries: dict[str, str]) -> dict[str, bytes]:
    """Each canary as written and lower-cased (the search index folds case), a CNIC also as
    bare digits; in UTF-8, UTF-16-LE (SQLite) and UTF-16-BE (PDF text, Qt's caches)."""
    forms: dict[str, str] = {}
    for label, text in canaries.items():
        forms[label] = text
        forms[f"{label} (lower case)"] = text.lower()
        if "cnic" in label:
            forms[f"{label} digits"] = "".join(ch for ch in text if ch.isdigit())
    return {f"{label} / {encoding}": text.encode(encoding)
            for label, text in forms.items()
            for encoding in ("utf-8", "utf-16-le", "utf-16-be")}


def private_environment(root: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("XDG_", "TMP", "TEMP", "QT_", "CASEAPP_"))}
    for name in ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
                 "XDG_STATE_HOME", "XDG_RUNTIME_DIR", "TMPDIR", "CASEAPP_HOME"):
        folder = root / name.lower()
        folder.mkdir(mode=0o700)
        env[name] = str(folder)
    env.update(QT_QPA_PLATFORM="offscreen", LANG="C.UTF-8", PYTHONDONTWRITEBYTECODE="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO),
                                                        os.environ.get("PYTHONPATH")])))
    return env


def test_no_canary_anywhere_after_a_session_through_services_and_desktop(
        tmp_path: Path) -> None:
    root = tmp_path / "machine"
    root.mkdir()
    env = private_environment(root)
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "canaries.json").write_text(json.dumps({**CANARIES, "control": CONTROL}),
                                          encoding="utf-8")
    result_path = inputs / "result.json"
    done = subprocess.run([sys.executable, str(REPO / "tests" / "canary_session.py"),
                           str(inputs / "canaries.json"), str(result_path)],
                          env=env, cwd=root, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
    result = json.loads(result_path.read_text(encoding="utf-8"))

    # The session really ran, and wrote where the environment says.
    assert result["services_found"] and result["services_shown"]
    assert result["desktop_cases"] == 2 and result["locked"]  # the desktop's case, too
    assert Path(result["tempdir"]) == Path(env["TMPDIR"])
    for name, location in result["qt_locations"].items():
        assert location and Path(location).resolve().is_relative_to(root.resolve()), \
            (name, location)
    log = Path(env["HOME"]) / "logs" / "session.log"
    assert "session ends" in log.read_text(encoding="utf-8")
    profile = Path(env["CASEAPP_HOME"]) / "profiles" / "field"
    assert {"vault.db", "keyslots.json", "unlock-state.json"} <= \
        {p.name for p in profile.iterdir()}

    everything = files_under(root)
    # The controls are found by the scan that finds no canary: it reads where files go.
    controls = scan_files(everything, needles({"control": CONTROL}))
    assert any(result["control_file"] in hit for hit in controls), controls
    assert sum("control.txt" in hit for hit in controls) == 2, controls  # cache, config

    patterns = needles(CANARIES)
    hits = scan_files(everything, patterns)
    hits += scan_bytes(done.stdout, "stdout", patterns)
    hits += scan_bytes(done.stderr, "stderr", patterns)
    assert hits == []
    assert len([p for p in everything if p.is_file()]) >= 6  # not an empty folder
