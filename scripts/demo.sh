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

# With a real store, it runs on a machine of its own, as the seed's key-value store does.
engine_opts=()
case "$STORE" in
  sqlite) ;;
  etcd|zookeeper)
    say "weft machine create kv"
    weft machine create kv >&2
    say "weft store start --machine kv $STORE"
    url=$(weft store start --machine kv "$STORE")
    echo "$url"
    engine_opts=(--engine-opt "cluster-store=$url")
    ;;
  *) echo "demo: STORE must be sqlite, etcd or zookeeper, not $STORE" >&2; exit 2 ;;
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
# The interactive step, as the seed has it: `docker run -ti` wants a terminal, and there may be
# none (CI has no standard input), so the CLI runs under script(1), which gives it a pseudo-
# terminal of 24x80. This shell types each line into it once the prompt is back, as a user
# would, and then prints what the terminal showed, with its control sequences and carriage
# returns taken out.
interactive_step() {
  local host=$1 cmd=$2 line
  shift 2
  say "[$host] docker $cmd"
  local screen='' seen=0 ch from to
  coproc TERMINAL {
    exec script --quiet --flush --return --command "stty rows 24 cols 80 && exec docker $(weft machine config "$host") $cmd" /dev/null 2>&1
  }
  local pid=$TERMINAL_PID
  # Our own copies: bash unsets TERMINAL when the session ends, before its output is all read.
  exec {from}<&"${TERMINAL[0]}" {to}>&"${TERMINAL[1]}"
  # Reads the terminal until $1 (a bash regex) shows up after what was read before.
  wait_for() {
    local deadline=$((SECONDS + 60))
    until [[ ${screen:seen} =~ $1 ]]; do
      # A read that times out just as a byte arrives can lose that byte (bash), and ping's
      # replies come a second apart: so wait longer than that between checks of the deadline.
      if IFS= read -r -d '' -N 1 -t 5 ch <&"$from"; then
        screen+=$ch
      elif [ $? -le 128 ] || [ $SECONDS -ge $deadline ]; then
        echo "demo: no '$1' from the session; it showed:" >&2
        printf '%s\n' "$screen" >&2
        kill -KILL "$pid" 2>/dev/null || true
        return 1
      fi
    done
    seen=${#screen}
  }
  for line in "$@"; do
    wait_for '/ # '
    printf '%s\r' "$line" >&"$to"
  done
  # The session ends with the last line (`exit`): read the rest.
  while IFS= read -r -d '' -N 1 ch <&"$from"; do screen+=$ch; done
  exec {from}<&- {to}>&-
  local rc=0
  wait "$pid" || rc=$?
  printf '%s' "$screen" | sed -e $'s/\e\\[[0-9;?]*[@-~]//g' -e $'s/\r$//' -e $'s/.*\r//'
  [ -z "$screen" ] || [ "${screen: -1}" = $'\n' ] || echo
  return "$rc"
}

step host1 "run -d --name mongo --net=appnet busybox httpd -f -p 80 -h /"
interactive_step host2 "run -ti --name box --net=appnet busybox sh" "ping -c 3 mongo" "ping -c 3 mongo.appnet" "exit"
step host1 "inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' mongo"
