#!/bin/sh
# .ci/deps.sh - install the Debian packages heaplab needs, as root or via sudo.
#
# One list, used by `make deps`, `make test`, `make demo` and .ci/run, so they
# cannot disagree.  It only calls apt-get when a package is missing, so it is
# cheap to run before every build.
#
# --ci (what .ci/run passes) also installs what tests/cli/slurm.sh (a
# one-node Slurm cluster) and tests/cli/parallel_ssh.sh (an sshd on
# localhost) need: they start daemons of their own, so on a developer's
# machine they say they are skipped instead.
set -eu
PACKAGES="make gcc clang libclang-rt-14-dev libjansson-dev pkg-config gnuplot-nox
  libjemalloc-dev libmimalloc-dev libgoogle-perftools-dev valgrind jq sqlite3 python3 git
  xz-utils coreutils parallel"
[ "${1:-}" = --ci ] && PACKAGES="$PACKAGES slurm-wlm munge openssh-server rsync"

missing=
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
