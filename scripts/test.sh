#!/usr/bin/env bash
# The whole test run: setup, data validation, lint, unit tests, training, then the end-to-end
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

stage validate
.venv/bin/rasa data validate --data data --domain domain --config config.yml

stage lint
.venv/bin/ruff check bot actions tests scripts
.venv/bin/ruff format --check bot actions tests scripts

stage unit
.venv/bin/python -m pytest tests/unit -q -p no:cacheprovider

stage train
.venv/bin/rasa train --domain domain --out models

stage e2e
printf '[test] total before e2e: %ss (e2e time is in the pytest summary below)\n' "$(( $(date +%s) - started ))"
exec .venv/bin/python -m pytest tests/e2e -q -p no:cacheprovider --durations=12
