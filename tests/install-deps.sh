#!/bin/bash
# Installs everything backstop needs to build, test and run its demo on a
# fresh Debian 12 machine, plus the packages named as arguments (the
# benchmark's firewalld comparison). Safe to run again. Needs root.
#
#   tests/install-deps.sh [PACKAGE...]
set -euo pipefail

packages=(
        meson ninja-build pkg-config gcc clang libclang-rt-14-dev
        libsystemd-dev libiptc-dev libip4tc-dev libip6tc-dev libnftnl-dev libmnl-dev
        libnetfilter-conntrack-dev libxtables-dev ipset nfacct
        libpolkit-gobject-1-dev polkitd libglib2.0-dev libglib-testing-0-dev
        iptables conntrack dbus-daemon iproute2 util-linux
        openssh-server openssh-client socat netcat-openbsd curl python3 systemd
        procps libxml2-utils passwd nftables netbase libdbus-1-dev
        dpkg-dev debhelper fakeroot lintian ansible-core
        zsh fish
        libgtk-4-dev libadwaita-1-dev xvfb xauth python3-dbusmock gir1.2-atspi-2.0 appstream desktop-file-utils gettext
)
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        if [ "$(id -u)" -ne 0 ]; then
                echo "install-deps: missing packages: ${missing[*]} (run as root to install them)" >&2
                exit 1
        fi
        export DEBIAN_FRONTEND=noninteractive
        apt-get update
        apt-get install -y --no-install-recommends "${missing[@]}"
fi
