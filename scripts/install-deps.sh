#!/usr/bin/env bash
# Installs what a target needs on a fresh machine of this kind, and nothing when it is all there:
# Debian packages (one `apt-get update` first, only if something is missing), npm packages
# (`npm ci` when node_modules is older than the lock file), then the build.
# Usage: scripts/install-deps.sh demo|test|bench [extra Debian packages…]
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:?usage: install-deps.sh demo|test|bench}; shift
demo=(iptables busybox-static bind9-dnsutils iputils-ping xz-utils)
test=("${demo[@]}" etcd-server zookeeper dnsmasq-base)
bench=("${test[@]}" iperf3 dnsperf)
case "$target" in
  demo) pkgs=("${demo[@]}") ;;
  test) pkgs=("${test[@]}") ;;
  bench) pkgs=("${bench[@]}") ;;
  *) echo "install-deps.sh: unknown target $target" >&2; exit 2 ;;
esac
pkgs+=("$@")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm packages" >&2
  npm ci --no-audit --no-fund >&2
fi
