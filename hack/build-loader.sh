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
# shellcheck disable=SC2086
exec ${CC:?"set CC to what hack/cc.sh PLATFORM prints"} $warn -O2 -static -fstack-protector-strong \
	-ffile-prefix-map="$PWD"=. -fno-ident -fno-asynchronous-unwind-tables \
	-Wl,--build-id=none -s -o "$out" loader/*.c
