#!/bin/sh
# Runs the built service (dist/cli/start.js) as `npm start` does, with the node flags that suit the
# host (docs/operations.md, "Latency on a small host"): on two CPUs or fewer, one V8 helper thread
# instead of Node's four, which compete there with the request thread and the store's thread.
# FSC_NODE_FLAGS, when set (even empty), replaces that choice. Arguments are further node flags.
# FSC_ENTRY names another entry point (the benchmark starts its own build this way).
set -eu
if [ -z "${FSC_NODE_FLAGS+set}" ]; then
  cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 0)
  if [ "$cpus" -ge 1 ] && [ "$cpus" -le 2 ]; then FSC_NODE_FLAGS=--v8-pool-size=1; else FSC_NODE_FLAGS=; fi
fi
# shellcheck disable=SC2086 # the flags are words
exec node $FSC_NODE_FLAGS "$@" "${FSC_ENTRY:-dist/cli/start.js}"
