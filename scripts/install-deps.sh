#!/usr/bin/env bash
# Installs what the build needs and the machine lacks: jemalloc's headers and pkg-config
# (the CJemalloc system-library target is found through `pkg-config jemalloc`).
set -euo pipefail
if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists jemalloc; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "error: libjemalloc-dev is missing and I am not root: run 'apt-get install -y libjemalloc-dev pkg-config' as root" >&2; exit 1; }
  sudo="sudo"
fi
echo "installing libjemalloc-dev and pkg-config…" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq libjemalloc-dev pkg-config >/dev/null
pkg-config --exists jemalloc
