"""Build a distributable wheel of Hifazat (the desktop installer arrives with the desktop issue).

Usage: python build_installer.py  ->  dist/hifazat-<version>-py3-none-any.whl
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    root = Path(__file__).resolve().parent
    return subprocess.call([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w",
                            str(root / "dist"), str(root)])


if __name__ == "__main__":
    sys.exit(main())
