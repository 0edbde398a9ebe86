#!/usr/bin/env bash
# Installs what is missing, creates a demo profile of synthetic cases (no real person) and
# opens it in the desktop. Without a display it says so and saves a screenshot instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export CASEAPP_HOME="${CASEAPP_HOME:-$PWD/.demo-home}"
mkdir -p "$CASEAPP_HOME"
pass="$CASEAPP_HOME/demo-passphrase.txt"
# A demo passphrase kept beside synthetic data only; real profiles never store theirs.
[ -f "$pass" ] || echo "demo mango river lantern" > "$pass"
app=.venv/bin/caseapp
if ! $app profile list | grep -qx demo; then
  $app demo --profile demo --passphrase-file "$pass" --cases "${DEMO_CASES:-300}"
fi
echo "Demo profile: demo   passphrase: $(cat "$pass")   (synthetic people only)"
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  $app --smoke "$CASEAPP_HOME/demo-window.png" --profile demo --passphrase-file "$pass"
  echo "No display here: a screenshot of the desktop is in $CASEAPP_HOME/demo-window.png."
  echo "On a machine with a screen, run: CASEAPP_HOME=$CASEAPP_HOME $app"
  exit 0
fi
exec $app
