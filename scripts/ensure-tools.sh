#!/bin/sh
# Debian packages the tests need: Chromium for the browser tests (playwright cannot download
# browsers here) and strace for the permission engine's fuzz test (it watches what bash runs).
# Installs what is missing when this user may (root with apt-get); otherwise says how.
set -e
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v strace >/dev/null 2>&1 || missing="$missing strace"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing test tools (apt-get install$missing)..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >&2
else
  echo "Missing test tools: install them (sudo apt-get install$missing) to run the tests." >&2
  exit 1
fi
