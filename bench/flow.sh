#!/usr/bin/env bash
# The flow engine's durable throughput and latency on the SQLite store
# (synchronous=FULL: every commit is fsynced): N executions of TASKS chained
# Task states, C at a time, after IDLE executions started one by one.
# Prints durable transitions/s, the CPU time per transition (which does not
# depend on how busy a shared machine is) and StartExecution -> first state
# latency p50/p99, idle and under load.
#
#   N=20000 C=1000 TASKS=5 bash bench/flow.sh
# Extra arguments go to the program, e.g. -cpuprofile /tmp/flow.prof.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-20000}
C=${C:-1000}
TASKS=${TASKS:-5}
IDLE=${IDLE:-300}
work=$(mktemp -d /tmp/edgecd-flow-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
go build -o "$work/flowbench" ./bench/flow
"$work/flowbench" -n "$N" -c "$C" -tasks "$TASKS" -idle "$IDLE" -dir "$work" "$@"
