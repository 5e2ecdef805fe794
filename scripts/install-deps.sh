#!/usr/bin/env bash
# Installs what the build needs and the machine lacks: jemalloc's and zlib's headers with
# pkg-config (the CJemalloc and ZIPFoundation's CZLib system-library targets are found through
# `pkg-config jemalloc` / `pkg-config zlib`), and libcurl, which Foundation's URLSession loads
# for the first-run data download.
set -euo pipefail
have_curl() { ldconfig -p 2>/dev/null | grep -q 'libcurl\.so\.4 '; }
if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists jemalloc zlib && have_curl; then
  exit 0
fi
packages="libjemalloc-dev zlib1g-dev pkg-config libcurl4"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "error: build dependencies are missing and I am not root: run 'apt-get install -y $packages' as root" >&2; exit 1; }
  sudo="sudo"
fi
echo "installing $packages…" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq $packages >/dev/null
pkg-config --exists jemalloc zlib
have_curl
