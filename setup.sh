#!/usr/bin/env bash
# Install the Debian packages kmemu needs, configure and build it, and run the main job.
set -euo pipefail
cd "$(dirname "$0")"
packages=(cmake ninja-build g++ libboost-dev libfmt-dev catch2 libbenchmark-dev libedit-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
cmake --preset default
cmake --build --preset default
# The main job: the demo scenario (i386 2.6.32: kernel code vmallocs and writes a string, a user
# program reads it back through /dev/kmem).
./build/default/kmemu run examples/scenarios/kmem-vmalloc.kms
