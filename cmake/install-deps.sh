#!/usr/bin/env bash
# Installs the Debian 12 packages ropescope needs that are missing. Nothing else is downloaded.
# Usage: cmake/install-deps.sh [extra packages...]
set -euo pipefail
packages=(build-essential cmake pkg-config
  libeigen3-dev libhwy-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev libbenchmark-dev
  libimgui-dev libglfw3-dev libepoxy-dev libstb-dev
  fonts-dejavu-core xvfb xauth libgl1-mesa-dri
  python3-numpy python3-torch "$@")
missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
echo "ropescope: installing missing Debian packages: ${missing[*]}"
line="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -eq 0 ]]; then
  bash -c "$line"
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo bash -c "$line"
else
  echo "ropescope: cannot install packages (not root, no passwordless sudo). Run as root:" >&2
  echo "  $line" >&2
  exit 1
fi
