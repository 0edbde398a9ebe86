"""No core dump of an unlocked session (issue 7, item 11): the command line and the
application object make their process undumpable before any key exists."""

from __future__ import annotations

import subprocess
import sys

import pytest

CHECK = """
import resource, sys
from caseapp.hardening import dumpable
{start}
print(resource.getrlimit(resource.RLIMIT_CORE), dumpable())
"""


@pytest.mark.parametrize("start", [
    "from caseapp.cli.main import main; main(['--version'])",
    "from caseapp.services.app import CaseApp; CaseApp(threaded=False).close()",
])
def test_the_process_leaves_no_core_dump(start: str) -> None:
    before = subprocess.run([sys.executable, "-c", CHECK.format(start="")],
                            capture_output=True, text=True, check=True)
    assert before.stdout.split(")")[-1].strip() in ("True", "None")  # the default
    # main() ends in SystemExit for --version: catch it so the check still prints.
    wrapped = f"try:\n    {start}\nexcept SystemExit:\n    pass"
    after = subprocess.run([sys.executable, "-c", CHECK.format(start=wrapped)],
                           capture_output=True, text=True, check=True)
    limits, flag = after.stdout.strip().splitlines()[-1].rsplit(" ", 1)
    assert limits == "(0, 0)"
    if sys.platform.startswith("linux"):
        assert flag == "False"


