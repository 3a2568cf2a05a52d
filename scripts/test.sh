#!/usr/bin/env bash
# The whole test run: setup; data validation and training next to lint and the unit tests; then the end-to-end
# suite against real servers (Rasa test stories, REST pupils, browser, workshop). Ends with pytest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2

started=$(date +%s)
stage_start=$started
stage() {
  local now; now=$(date +%s)
  if [ -n "${current:-}" ]; then
    printf '\n[test] stage %-10s took %4ss\n' "$current" "$((now - stage_start))"
  fi
  current=$1; stage_start=$now
  printf '\n[test] === %s ===\n' "$1"
}

stage setup
scripts/setup.sh
scripts/browser.sh
scripts/services.sh

# Data validation and training run in the background while lint and the unit tests run: each of the two
# mostly keeps one core busy, and the machine has two. The background output is shown when both are done.
stage "validate + train (background) | lint + unit"
background_log=$(mktemp)
(
  set -e
  bg_start=$(date +%s)
  .venv/bin/rasa data validate --data data --domain domain --config config.yml
  printf '\n[test] validate took %ss\n' "$(( $(date +%s) - bg_start ))"
  bg_start=$(date +%s)
  .venv/bin/python -m bot.plugins.rasa_main train --domain domain --out models
  printf '\n[test] train took %ss\n' "$(( $(date +%s) - bg_start ))"
) >"$background_log" 2>&1 &
background=$!
show_background() {
  printf '\n[test] --- validate + train output ---\n'
  cat "$background_log"
  rm -f "$background_log"
}
trap 'kill "$background" 2>/dev/null || true' EXIT

fg_start=$(date +%s)
if ! { .venv/bin/ruff check bot actions tests scripts &&
  .venv/bin/ruff format --check bot actions tests scripts &&
  .venv/bin/python -m pytest tests/unit -q -p no:cacheprovider; }; then
  wait "$background" || true
  show_background
  printf '\n[test] lint or the unit tests failed (output above the validate + train output)\n'
  exit 1
fi
printf '\n[test] lint + unit took %ss\n' "$(( $(date +%s) - fg_start ))"
if ! wait "$background"; then
  show_background
  printf '\n[test] validate or train failed (output above)\n'
  exit 1
fi
trap - EXIT
show_background

stage e2e
printf '[test] total before e2e: %ss (e2e time is in the pytest summary below)\n' "$(( $(date +%s) - started ))"
exec .venv/bin/python -m pytest tests/e2e -q -p no:cacheprovider --durations=12
