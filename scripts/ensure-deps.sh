#!/bin/sh
# Installs the project's npm dependencies when they are missing or older than the lockfile,
# so `npm start` and `npm test` work as the first commands on a fresh clone.
set -e
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing dependencies (npm ci)..." >&2
  npm ci --no-audit --no-fund >&2
fi
