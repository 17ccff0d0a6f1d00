#!/bin/sh
# Install the Debian packages heaplab needs, as root or through sudo.
# Kept in one place so README, `make deps` and .ci/run agree.
set -eu
PACKAGES="build-essential clang libclang-rt-14-dev libjansson-dev gnuplot-nox \
  libjemalloc-dev libmimalloc-dev libgoogle-perftools-dev valgrind jq sqlite3 python3 git"
if [ "$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $PACKAGES
