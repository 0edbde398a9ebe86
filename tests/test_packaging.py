"""An installed build speaks Urdu: the wheel carries the catalogs as package data.

The wheel is built from a copy of the sources (so the checkout gets no build/ or egg-info
litter), installed without dependencies into a fresh venv, and run from outside the source
tree. The dependencies come from this interpreter's site-packages through a plain .pth file:
plain path lines do not run the .pth files found there, so the editable install of the
checkout stays out of the new venv's sys.path.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

from babel.messages.pofile import read_po

from caseapp import errors

ROOT = Path(__file__).resolve().parents[1]
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF]")
LANGS = ("ur", "ps", "fa_AF")


def _urdu(message: str) -> str:
    with (ROOT / "caseapp" / "i18n" / "locale" / "ur" / "LC_MESSAGES" / "caseapp.po").open(
            "rb") as f:
        return read_po(f, locale="ur")[message].string


def _run(args: list[str | Path], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def _clean_env(tmp_path: Path) -> dict[str, str]:
    """No PYTHONPATH (tests run with the checkout on it), an empty profile home."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "PYTHONHOME", "CASEAPP_TRANSLATIONS", "VIRTUAL_ENV"}}
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env["CASEAPP_HOME"] = str(home)
    return env


def _build_wheel(tmp_path: Path, env: dict[str, str]) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for name in ("caseapp", "ui"):
        shutil.copytree(ROOT / name, src / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo"))
    dist = tmp_path / "dist"
    # Build isolation installs the pinned build backend (pyproject's build-system) from the
    # package index, exactly as a release build would.
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                  "--disable-pip-version-check", "-w", dist, src], tmp_path, env)
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = dist.glob("hifazat-*.whl")
    return wheel


def _venv_with_wheel(tmp_path: Path, wheel: Path, env: dict[str, str]) -> Path:
    target = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(target)
    python = target / "bin" / "python"
    purelib = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   tmp_path, env).stdout.strip()
    deps = [p for p in site.getsitepackages() if Path(p).resolve() != ROOT]
    (Path(purelib) / "hifazat-test-deps.pth").write_text("\n".join(deps) + "\n")
    installed = _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps",
                      "--no-index", "--quiet", "--disable-pip-version-check", wheel],
                     tmp_path, env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return target


def test_installed_wheel_speaks_urdu(tmp_path: Path) -> None:
    env = _clean_env(tmp_path)
    wheel = _build_wheel(tmp_path, env)
    names = set(zipfile.ZipFile(wheel).namelist())
    for lang in LANGS:
        assert f"caseapp/i18n/locale/{lang}/LC_MESSAGES/caseapp.po" in names
    # the desktop and the fonts it sets Urdu, Pashto and Dari in, with their licence
    assert {"ui/launcher.py", "ui/case/workspace.py", "caseapp/resources/fonts/OFL.txt",
            "caseapp/resources/fonts/NotoNastaliqUrdu-Regular.ttf",
            "caseapp/resources/fonts/NotoNaskhArabic-Regular.ttf"} <= names

    target = _venv_with_wheel(tmp_path, wheel, env)
    work = tmp_path / "elsewhere"  # not the checkout: '' on sys.path must not find caseapp
    work.mkdir()
    probe = _run([target / "bin" / "python", "-c", (
        "import json, sys, caseapp, caseapp.i18n as i\n"
        "i.set_language('ur')\n"
        f"print(json.dumps({{'file': caseapp.__file__, 'path': sys.path, "
        f"'text': i._({errors.WrongPassphrase.msgid!r})}}))\n")], work, env)
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout)
    assert Path(found["file"]).resolve().is_relative_to(target.resolve()), found["file"]
    assert str(ROOT) not in found["path"]
    expected = _urdu(errors.WrongPassphrase.msgid)
    assert ARABIC_SCRIPT.search(expected)
    assert found["text"] == expected

    # The installed command reports a missing profile in Urdu.
    (work / "pass.txt").write_text("not a real passphrase\n")
    shown = _run([target / "bin" / "caseapp", "--lang", "ur", "case", "list", "--profile",
                  "nobody", "--passphrase-file", work / "pass.txt"], work, env)
    assert shown.returncode != 0
    assert shown.stderr == f"caseapp: {_urdu(errors.ProfileNotFound.msgid)}\n"

    # The installed desktop starts (offscreen), opens a case in Urdu and saves its picture.
    picture = work / "smoke.png"
    smoke = _run([target / "bin" / "caseapp", "--smoke", picture, "--lang", "ur"], work,
                 {**env, "QT_QPA_PLATFORM": "offscreen"})
    assert smoke.returncode == 0, smoke.stderr[-2000:]
    assert picture.read_bytes().startswith(b"\x89PNG")
