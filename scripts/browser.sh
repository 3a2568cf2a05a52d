#!/usr/bin/env bash
# Make sure Debian's Chromium is there for the browser tests (Playwright's own download cannot work offline).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing Debian's chromium for the browser tests"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core fonts-noto-color-emoji >/dev/null
else
  echo "ERROR: the browser tests need Chromium. Install it: sudo apt-get install chromium" >&2
  exit 1
fi
