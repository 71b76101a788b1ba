#!/usr/bin/env bash
# Three faas-pool nodes behind HAProxy (deploy/haproxy/cluster.sh), under load, through a rolling stop
# and a crash: ClusterIT's scenario with longer phases, written to benchmark/results/cluster.md (requests
# sent, answered 200, answered 503, failed, per phase; the timeline) and the weights HAProxy applied over
# time, sampled from its stats socket every 250 ms, to benchmark/results/cluster-weights.html.
#
#   benchmark/cluster.sh [--phase SECONDS]     (default 10)
#
# Needs root (network namespaces), the Docker engine and images bin/test builds, haproxy, and the jar.
set -euo pipefail
cd "$(dirname "$0")/.."
source bin/lib.sh
phase=10
while [ $# -gt 0 ]; do
  case "$1" in
    --phase) phase="$2"; shift ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "cluster.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
ensure_java
mvn_quiet_jdk
mkdir -p benchmark/results
mvn -B -q verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=ClusterIT \
    -Dcluster.phase="$phase" -Dcluster.report="$PWD/benchmark/results/cluster.md"
cat benchmark/results/cluster.md
