#!/usr/bin/env bash
# Proves that a fresh clone can install with `npm ci`: the lock must list every package npm ci
# expects, including other platforms' optional binaries (the registry mirror here lacks some
# versions, so `npm install` can write a lock that `npm ci` then refuses).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cp package.json package-lock.json "$tmp/"
(cd "$tmp" && npm ci --dry-run --ignore-scripts --no-audit --no-fund >/dev/null 2>"$tmp/err") || {
  grep -v 'nodedir' "$tmp/err" >&2
  exit 1
}
echo "package-lock.json is installable with npm ci"
