#!/bin/sh
# The browser tests drive Debian's Chromium (playwright cannot download browsers here).
# Installs it when missing and this user may (root with apt-get); otherwise says how.
set -e
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Chromium for the browser tests (apt-get install chromium)..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
else
  echo "Chromium is missing: install it (sudo apt-get install chromium) to run the browser tests." >&2
  exit 1
fi
