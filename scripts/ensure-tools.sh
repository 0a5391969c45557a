#!/bin/sh
# Debian packages the tests need: Chromium for the browser tests (playwright cannot download
# browsers here) and strace for the permission engine's fuzz test (it watches what bash runs);
# and, for the container end-to-end tests, podman with runc and mmdebstrap (the sandbox image's
# local base, scripts/build-sandbox-image.ts), slirp4netns and iptables (the private network,
# sandbox-host/container-network.ts). Installs what is missing when this user may (root
# with apt-get); otherwise says how. Without a container engine the container tests are skipped
# (they say so), so that part is not required.
set -e
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v strace >/dev/null 2>&1 || missing="$missing strace"
optional=""
if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
  command -v podman >/dev/null 2>&1 || optional="$optional podman"
  command -v runc >/dev/null 2>&1 || optional="$optional runc"
fi
command -v mmdebstrap >/dev/null 2>&1 || optional="$optional mmdebstrap"
command -v slirp4netns >/dev/null 2>&1 || optional="$optional slirp4netns"
command -v iptables >/dev/null 2>&1 || [ -x /usr/sbin/iptables ] || optional="$optional iptables"
[ -z "$missing$optional" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing test tools (apt-get install$missing$optional)..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing $optional >&2
elif [ -n "$missing" ]; then
  echo "Missing test tools: install them (sudo apt-get install$missing$optional) to run the tests." >&2
  exit 1
else
  echo "No container engine: the container end-to-end tests will be skipped (sudo apt-get install$optional to run them)." >&2
fi
