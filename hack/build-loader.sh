#!/bin/sh
# build-loader.sh OUT: the loader program (loader/*.c) as the image ships it:
# C against musl, static, stripped, no build id and no source paths, so its
# bytes depend on the source, the compiler and musl only. Every wrapped RUN
# is cached by those bytes. Run from the repository's root.
#
#   CC        the compiler, as hack/cc.sh prints it for the platform
#             (Debian's gcc for it with musl's specs): the image and the
#             tests build with that
#   SANITIZE  1: a dynamically linked build with AddressSanitizer and
#             UndefinedBehaviorSanitizer, for the tests (CC=gcc)
set -eu
[ $# = 1 ] || { echo "usage: $0 OUT" >&2; exit 2; }
out=$1
warn="-std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes -Wvla -Werror"
if [ "${SANITIZE:-}" = 1 ]; then
	# shellcheck disable=SC2086 # word splitting of the flag lists is meant
	exec ${CC:-gcc} $warn -O1 -g -fno-omit-frame-pointer \
		-fsanitize=address,undefined -fno-sanitize-recover=all \
		-o "$out" loader/*.c
fi
# -Os: 8 KB smaller than -O2 (the image carries the loader) and as fast:
# a RUN's cost is page faults and exec, not the loader's instructions.
# -z noseparate-code: the ELF headers, code and read-only data in one mapping,
# which the kernel maps in with one or two page faults instead of three (a
# fault costs 20 us of CPU in a VM; the loader runs before every RUN).
# The link map shows which of musl's objects came in: its malloc must not,
# next to the loader's own (loader/alloc.c).
map=$(mktemp)
trap 'rm -f "$map"' EXIT
# shellcheck disable=SC2086
${CC:?"set CC to what hack/cc.sh PLATFORM prints"} $warn -Os -static -fstack-protector-strong \
	-ffile-prefix-map="$PWD"=. -fno-ident -fno-asynchronous-unwind-tables \
	-Wl,-z,noseparate-code -Wl,-Map="$map" -Wl,--build-id=none -s -o "$out" loader/*.c
if grep -E -A1 '^[^ ].*\((lite_)?malloc\.lo\)$' "$map" >&2; then
	echo "$0: musl's malloc is linked into $out, next to loader/alloc.c's (above: which call brought it in)" >&2
	rm -f "$out"
	exit 1
fi
