#!/usr/bin/env bash
# Installs what is missing, then runs the whole test suite (slow security tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
.venv/bin/ruff check caseapp ui tests bench
.venv/bin/mypy
exec .venv/bin/python -m pytest -q "$@"
