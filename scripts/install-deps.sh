#!/usr/bin/env bash
# Install, with apt-get, only the Debian packages that are missing.
#   scripts/install-deps.sh build   what `make` needs to build everything
#   scripts/install-deps.sh test    that, plus what `make test` runs against
set -euo pipefail

build_pkgs=(gcc make cmake pkg-config libxxhash-dev libcmocka-dev libssl-dev libmemcached-dev liburing-dev libisal-dev
            libsasl2-dev)
test_pkgs=(python3-pytest python3-pytest-xdist python3-pymemcache python3-memcache memcached libmemcached-tools
           openssl                    # test_client_tls.py: its CAs and certificates
           nutcracker                 # twemproxy: test_nutcracker.py, test_placement_nutcracker.py
           libsasl2-modules sasl2-bin   # test_sasl.py: the PLAIN mechanism, saslpasswd2
           clang libclang-rt-14-dev
           python3-prometheus-client prometheus   # test_metrics.py: the parser, promtool
           automake libevent-dev    # memcached 1.6.45, the reference (make reference)
           debhelper lintian man-db systemd git    # make deb-check, test_install.py
           tmux                                    # test_top.py: the live view in a terminal
           openssl)                                # test_tls.py: certificates, s_client

want=("${build_pkgs[@]}")
if [ "${1:-build}" = "test" ]; then
    want+=("${test_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing missing packages: ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo=(sudo); else
        echo "error: missing packages (${missing[*]}) and not root; install them with apt-get" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
