#!/bin/sh
# Installs the project's npm dependencies when they are missing or differ from the lockfile
# (scripts/deps-current.mjs compares them), so `npm start` and `npm test` work as the first
# commands on a fresh clone, and a checkout that leaves the lockfile as it was reinstalls nothing.
# npm itself may run on an older system Node; the project's Node 22 comes from the `node`
# devDependency, so npm's engine warnings about the running Node are noise here (hidden).
set -e
cd "$(dirname "$0")/.."
if ! node scripts/deps-current.mjs; then
  echo "Installing dependencies: node_modules differs from package-lock.json (npm ci, about 30 s)..." >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
