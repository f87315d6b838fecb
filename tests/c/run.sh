#!/usr/bin/env bash
# Build and run the C kernel harness (tests/c/test_kernels.c), no Python involved:
#   natively with the host gcc (every path this CPU runs: scalar, avx2, avx512), and
#   cross-compiled with aarch64-linux-gnu-gcc -static, run under qemu-aarch64 (scalar,
#   neon), so the NEON kernels are tested on an x86 machine.
#
# Usage: tests/c/run.sh [--native] [--qemu] [--asan] [PATH]
#   --native / --qemu   run only that half (default: both; on an aarch64 host, native)
#   --asan              build the native harness with -fsanitize=address,undefined
#   PATH                one kernel path only (scalar, avx2, avx512, neon); the same as
#                       CCONV1D_HARNESS_PATH=PATH
# The cross compiler and qemu come from Debian's gcc-aarch64-linux-gnu and qemu-user.
# When they are missing and CI=true the script installs them (apt-get, as root or through
# sudo); otherwise it stops and says how. CC (default gcc) and AARCH64_CC (default
# aarch64-linux-gnu-gcc) choose the compilers, OPT (default -O2) the optimisation level.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
INCLUDE="$HERE/../../src/cconv1d/include/cconv1d"
CC="${CC:-gcc}"
AARCH64_CC="${AARCH64_CC:-aarch64-linux-gnu-gcc}"
# OPT=-O3 builds the kernels as setup.py does (default -O2: quicker to build, same code paths).
CFLAGS=("${OPT:--O2}" -Wall -Wextra -Wno-unused-function -I "$INCLUDE")

native=0 qemu=0 asan=0 path="${CCONV1D_HARNESS_PATH:-}"
for arg in "$@"; do
    case "$arg" in
        --native) native=1 ;;
        --qemu) qemu=1 ;;
        --asan) asan=1 ;;
        -h|--help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
        -*) echo "run.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
        *) path="$arg" ;;
    esac
done
if [ "$native" = 0 ] && [ "$qemu" = 0 ]; then
    # One path: only the half that has it (x86 paths natively, neon under qemu).
    case "$path" in
        avx2|avx512) native=1 ;;
        neon) qemu=1 ;;
        *) native=1 qemu=1 ;;
    esac
    # On an aarch64 host the native run already covers neon.
    if [ "$(uname -m)" = aarch64 ] || [ "$(uname -m)" = arm64 ]; then native=1 qemu=0; fi
fi

BUILD="$(mktemp -d "${TMPDIR:-/tmp}/cconv1d-harness.XXXXXX")"
trap 'rm -rf "$BUILD"' EXIT
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
status=0

if [ "$native" = 1 ]; then
    flags=("${CFLAGS[@]}")
    if [ "$asan" = 1 ]; then
        flags+=(-g -fsanitize=address,undefined -fno-sanitize-recover=all
                -fno-omit-frame-pointer)
    fi
    t0="$(now)"
    echo "--- native: $CC ${flags[*]}"
    "$CC" "${flags[@]}" "$HERE/test_kernels.c" -o "$BUILD/test_kernels" -lm
    echo "built in $(since "$t0")"
    t0="$(now)"
    ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" "$BUILD/test_kernels" $path || status=$?
    echo "native run: $(since "$t0")"
fi

if [ "$qemu" = 1 ]; then
    if ! command -v "$AARCH64_CC" >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
        if [ "${CI:-}" = true ]; then
            echo "--- installing gcc-aarch64-linux-gnu and qemu-user"
            t0="$(now)"
            SUDO=""
            if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
            $SUDO apt-get update -q >/dev/null
            DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
                gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user >/dev/null
            echo "installed in $(since "$t0")"
        else
            echo "run.sh: $AARCH64_CC or qemu-aarch64 is missing; install them with" >&2
            echo "  apt-get install gcc-aarch64-linux-gnu qemu-user" >&2
            echo "(or run with CI=true to let this script do it, or --native)" >&2
            exit 2
        fi
    fi
    t0="$(now)"
    echo "--- aarch64 under qemu: $AARCH64_CC -static ${CFLAGS[*]}"
    "$AARCH64_CC" -static "${CFLAGS[@]}" "$HERE/test_kernels.c" -o "$BUILD/test_kernels-aarch64" -lm
    echo "built in $(since "$t0")"
    t0="$(now)"
    qemu-aarch64 "$BUILD/test_kernels-aarch64" $path || status=$?
    echo "qemu-aarch64 run: $(since "$t0")"
fi

exit "$status"
