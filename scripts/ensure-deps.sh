#!/bin/sh
# Installs the project's npm dependencies when they are missing or older than the lockfile,
# so `npm start` and `npm test` work as the first commands on a fresh clone.
# npm itself may run on an older system Node; the project's Node 22 comes from the `node`
# devDependency, so npm's engine warnings about the running Node are noise here (hidden).
set -e
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "First run: installing dependencies (npm ci, about 30 s)..." >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
