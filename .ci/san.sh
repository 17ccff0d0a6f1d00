#!/bin/sh
# .ci/san.sh - the whole test suite (unit + command-line tests) against the
# ASan+UBSan build (make test-san).  Any sanitizer report makes the test that
# triggered it fail (see SAN_ENV in the Makefile); peers are skipped there,
# with a message, because ASan owns malloc in that build.
set -eu
cd "$(dirname "$0")/.."
make -s test-san
