#!/usr/bin/env bash
# Installs what is missing, creates a demo profile of synthetic cases (no real person) and
# shows it from the command line: the first page of cases, a search in each script, the
# audit check. The desktop window arrives with the desktop issue.
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
echo; echo "== First page of cases =="
$app case list --profile demo --passphrase-file "$pass" --limit 10
echo; echo "== Search: Muhammad =="
$app search --profile demo --passphrase-file "$pass" "Muhammad" --limit 5
echo; echo "== Search: فاطمہ =="
$app search --profile demo --passphrase-file "$pass" "فاطمہ" --limit 5
echo; echo "== Audit chain =="
$app audit verify --profile demo --passphrase-file "$pass"
echo
echo "Profile folder: $CASEAPP_HOME (passphrase in $pass)."
echo "Try: $app --lang ur search --profile demo --passphrase-file $pass 'گل آغا'"
