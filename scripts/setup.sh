#!/usr/bin/env bash
# Installs what isobench needs on Debian 12 (idempotent) and builds it.
#
#   scripts/setup.sh            build dependencies + release build in build/
#   scripts/setup.sh --tests    also test dependencies + sanitizer build in
#                               build-asan/
#
# Needs root for apt-get (it uses sudo when not root and sudo exists).
set -euo pipefail
cd "$(dirname "$0")/.."

# Build: compiler, Meson, the static probe's musl, the host tool's
# libraries (cJSON, inih, libcurl, libarchive, libcrypto). Runtimes isobench
# measures (runc, crun, runsc, Docker: isobench starts its own dockerd;
# containerd and its ctr for the kata driver, whose Kata shim Debian does
# not package), QEMU and a guest kernel, and the classic tools that
# `isobench validate` compares against (iperf3, nuttcp, sockperf for the
# network, cyclictest from rt-tests for jitter). The mariadb benchmark's server (mariadb-server-core: mariadbd
# and mariadb-install-db, no service) and mariadb-install-db's
# my_print_defaults (in mariadb-client-core); e2fsprogs formats a VM's data
# disk.
build_pkgs=(gcc meson ninja-build pkg-config musl-tools linux-libc-dev
	libcjson-dev libinih-dev libcurl4-openssl-dev libarchive-dev libssl-dev)
tool_pkgs=(runc crun runsc docker.io containerd sysbench fio linux-perf mbw hyperfine rt-tests iproute2
	mariadb-server-core mariadb-client-core e2fsprogs
	iperf3 sockperf nuttcp util-linux
	qemu-system-x86 linux-image-cloud-amd64)
test_pkgs=(libcmocka-dev clang libclang-rt-14-dev procps wrk chromium)

want=("${build_pkgs[@]}" "${tool_pkgs[@]}")
if [[ "${1:-}" == "--tests" ]]; then
	want+=("${test_pkgs[@]}")
fi

# not_installed PKG...: the packages of those that are not installed
not_installed() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q "install ok installed" || echo "$p"
	done
}

mapfile -t missing < <(not_installed "${want[@]}")
if ((${#missing[@]})); then
	sudo=""
	if [[ $(id -u) -ne 0 ]]; then
		command -v sudo >/dev/null || {
			echo "setup: need root to install: ${missing[*]}" >&2
			exit 3
		}
		sudo=sudo
	fi
	echo "setup: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	# A fresh machine may have no package lists yet.
	$sudo apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || {
		$sudo apt-get update -q
		$sudo apt-get install -y -q "${missing[@]}"
	}
fi

# Packages whose install would start a system service: nginx (the serve
# workload's tests run a real nginx of their own, on loopback, from a
# config in their temp directory). A service the machine did not run
# before must not start listening on port 80: Debian's switch for that,
# /usr/sbin/policy-rc.d (read by invoke-rc.d and deb-systemd-invoke),
# says no during their install unless the machine has one of its own, and
# the boot links they made are disabled again (systemd's and SysV's: it
# would start at the next boot). Only what this script installed now is
# touched.
service_pkgs=()
if [[ "${1:-}" == "--tests" ]]; then
	service_pkgs+=(nginx)
fi
mapfile -t new_services < <(not_installed "${service_pkgs[@]}")
if ((${#new_services[@]})); then
	[[ $(id -u) -eq 0 ]] || {
		echo "setup: need root to install: ${new_services[*]}" >&2
		exit 3
	}
	made_policy=""
	if (set -o noclobber; printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d) 2>/dev/null; then
		made_policy=1
		chmod 755 /usr/sbin/policy-rc.d
	fi
	echo "setup: installing ${new_services[*]} (its service not started)" >&2
	rc=0
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${new_services[@]}" \
		>/dev/null 2>&1 || {
		apt-get update -q
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${new_services[@]}"
	} || rc=$?
	[[ -z "$made_policy" ]] || rm -f /usr/sbin/policy-rc.d
	((rc == 0)) || exit "$rc"
	# not started at the next boot either (systemd's link, then the
	# SysV rc links; both helpers work without a running init)
	for p in "${new_services[@]}"; do
		if command -v deb-systemd-helper >/dev/null; then
			deb-systemd-helper disable "$p.service" >/dev/null 2>&1 || true
		fi
		if command -v update-rc.d >/dev/null && [[ -e "/etc/init.d/$p" ]]; then
			update-rc.d "$p" disable >/dev/null 2>&1 || true
		fi
	done
fi

# Quiet when all is well; the whole output when something fails.
quietly() {
	local log
	log=$(mktemp)
	if ! "$@" >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		echo "setup: failed: $*" >&2
		exit 3
	fi
	rm -f "$log"
}

if [[ ! -f build/build.ninja ]]; then
	quietly meson setup build --buildtype=release
fi
quietly ninja -C build

if [[ "${1:-}" == "--tests" ]]; then
	if [[ ! -f build-asan/build.ninja ]]; then
		quietly meson setup build-asan -Db_sanitize=address,undefined \
			-Db_lundef=false
	fi
	quietly ninja -C build-asan
fi
