#!/usr/bin/env bash
# Make sure Debian's PostgreSQL, Redis and nginx are there for `make run-cluster` and the cluster tests,
# the way scripts/browser.sh installs chromium. Only the programs are used: the cluster launcher
# (bot/cli/cluster.py) starts its own instances with their data under var/, never the system services.
set -euo pipefail

have_postgres() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
have_redis() { command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ]; }
have_nginx() { command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; }

missing=()
have_postgres || missing+=(postgresql)
have_redis || missing+=(redis-server)
have_nginx || missing+=(nginx)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing Debian's ${missing[*]} for the cluster"
  apt-get update -qq >/dev/null
  # policy-rc.d 101: install the programs without starting the system-wide services.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ "$created_policy" = 1 ] && rm -f "$policy"
  exit 0
fi
echo "ERROR: the cluster needs ${missing[*]}. Install: sudo apt-get install ${missing[*]}" >&2
exit 1
