#!/usr/bin/env bash
# The founding walkthrough across two lab hosts, driven by the real docker CLI.
# Transcript format (grepped by an outside checker; keep it): each step is one line
#   $ [host1] docker network ls
# followed by the command's own output, verbatim. Set-up lines start with "$ weft".
# STORE=sqlite|etcd|zookeeper picks the cluster store; KEEP=1 leaves the lab up.
set -euo pipefail
cd "$(dirname "$0")/.."
export WEFT_LAB=${WEFT_LAB:-demo}
STORE=${STORE:-sqlite}
KEEP=${KEEP:-0}

weft() { node bin/weft "$@"; }
say() { printf '$ %s\n' "$*"; }

# Leftovers of an earlier (killed) run must not break this one.
weft lab rm --lab "$WEFT_LAB" >/dev/null 2>&1 || true
if [ "$KEEP" != 1 ]; then
  trap 'weft lab rm --lab "$WEFT_LAB" >&2 || true' EXIT
fi

engine_opts=()
case "$STORE" in
  sqlite) ;;
  *) echo "demo: STORE=$STORE is not supported yet (sqlite)" >&2; exit 2 ;;
esac

for h in host1 host2; do
  say "weft machine create ${engine_opts[*]} $h" | sed 's/  */ /g'
  weft machine create "${engine_opts[@]}" "$h" >&2
done

# One step: print it as typed, then run it against that host with the real docker CLI.
step() {
  local host=$1 cmd=$2
  say "[$host] docker $cmd"
  eval "docker $(weft machine config "$host") $cmd"
}

step host1 "network ls"
step host2 "network ls"
step host1 "network create -d overlay appnet"
step host1 "network ls"
step host2 "network ls"
step host2 "network inspect appnet"
step host1 "run -d --name mongo --net=appnet busybox httpd -f -p 80 -h /"
step host2 "run -d --name box --net=appnet busybox sh -c 'ping -c 3 mongo; ping -c 3 mongo.appnet'"
step host2 "wait box"
step host2 "logs box"
step host1 "inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' mongo"
