# Debian packages for the Engine and the multi-node builder (hack/engine.sh,
# hack/scale.sh), fetched with apt and unpacked, never configured: no
# service is installed or started. Source it after lib.sh.

# apt_as_root ARGS...: apt-get as root; the first call runs apt-get update
# first when the lists lack a package (a fresh machine has none), with the
# extra architectures of $APT_ARCHS (e.g. arm64) when asked.
APT_ARCHS=${APT_ARCHS:-}
apt_as_root() {
	local archs=() a
	for a in $APT_ARCHS; do archs+=(-o "APT::Architectures::=$a"); done
	as_root env DEBIAN_FRONTEND=noninteractive apt-get -qq -o APT::Sandbox::User=root "${archs[@]}" "$@"
}

apt_update() {
	say "apt-get update${APT_ARCHS:+ (with $APT_ARCHS)}"
	apt_as_root update || say "apt-get update failed in part: going on"
}

# apt_unpack DIR PACKAGE...: the files of PACKAGEs (name or name:arch) under
# DIR, as dpkg -x leaves them; DIR/.packages lists the versions unpacked.
# Skipped when DIR/.packages names the same packages.
apt_unpack() {
	local dir=$1 tmp want
	shift
	want="$*"
	[ "$(head -1 "$dir/.packages" 2>/dev/null)" = "$want" ] && return
	say "fetching $* (apt-get download)"
	tmp=$(mktemp -d)
	(cd "$tmp" && { apt_as_root download "$@" 2>/dev/null || { apt_update && apt_as_root download "$@"; }; }) ||
		die "apt-get download $* failed"
	rm -rf "$dir"
	mkdir -p "$dir"
	for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$dir"; done
	{ echo "$want"; (cd "$tmp" && ls ./*.deb); } >"$dir/.packages"
	rm -rf "$tmp"
}

# apt_install PACKAGE...: install the PACKAGEs that are not installed.
apt_install() {
	local missing=() p
	for p; do
		[ "$(dpkg-query -W -f '${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
	done
	[ ${#missing[@]} = 0 ] && return
	say "installing ${missing[*]}"
	apt_as_root install -y --no-install-recommends "${missing[@]}" 2>/dev/null ||
		{ apt_update && apt_as_root install -y --no-install-recommends "${missing[@]}"; } ||
		die "apt-get install ${missing[*]} failed"
}
