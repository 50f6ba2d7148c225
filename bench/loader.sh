# The loader alone, inside a RUN that mounts the dotenv secret as ours do:
# a RUN's own shell started N times each way, alternating in blocks of 10:
#   plain   /bin/sh -c 'echo step'                          upstream's RUN
#   loader  /bin/sh -c '<loader>' dockerfile-dotenv <plain>  ours
#   exec    /bin/sh -c 'exec "$@"' dockerfile-dotenv <plain> the second shell alone
#   inline  /bin/sh -c '<loader without its exec>echo step'  one shell, no exec
#   v2      /bench/dotenv-loader --id=_env --file=… -- <plain>  loader v2, mask=false
#   v2mask  /bench/dotenv-loader … --mask -- <plain>        loader v2, ours (masking)
#   floor   /bench/floor-exec <plain>       a program that only execs: v2's floor
#   spawnfloor /bench/floor-spawn <plain>   a parent copying the command's
#           stdout and stderr through pipes: v2mask's floor (bench/floor/)
# (/bench/loader.txt is loader v1's frozen text, /bench/dotenv-loader loader
# v2's program.) Prints a line per way: its
# total wall time in centiseconds (/proc/uptime: busybox's date has no %N)
# and CPU time (user + system) in milliseconds.
set -eu
n=${1:-200}
loader=$(cat /bench/loader.txt)
inline=${loader%'exec "$@"'}'echo step'
[ "$inline" != "$loader" ] || {
	echo "the loader does not end in exec \"\$@\"" >&2
	exit 1
}

cs() {
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}"
}

# block CMD...: ten runs of CMD; prints their wall time and CPU time.
block() {
	t=$(cs)
	cpu=$( (
		for _ in 1 2 3 4 5 6 7 8 9 10; do "$@" >/dev/null; done
		times
	) | awk 'function s(x, a) { split(x, a, "m"); return a[1] * 60 + substr(a[2], 1, length(a[2]) - 1) }
		NR == 2 { printf "%d", (s($1) + s($2)) * 1000 + 0.5 }')
	echo "$(($(cs) - t)) $cpu"
}

ways="plain loader exec inline v2 v2mask floor spawnfloor"
for way in $ways; do eval "wall_$way=0 cpu_$way=0"; done
for _ in $(seq $((n / 10))); do
	for way in $ways; do
		case $way in
		plain) set -- $(block /bin/sh -c 'echo step') ;;
		loader) set -- $(block /bin/sh -c "$loader" dockerfile-dotenv /bin/sh -c 'echo step') ;;
		exec) set -- $(block /bin/sh -c 'exec "$@"' dockerfile-dotenv /bin/sh -c 'echo step') ;;
		inline) set -- $(block /bin/sh -c "$inline") ;;
		v2) set -- $(block /bench/dotenv-loader --id=_env --file=/run/secrets/_env -- /bin/sh -c 'echo step') ;;
		v2mask) set -- $(block /bench/dotenv-loader --id=_env --file=/run/secrets/_env --mask -- /bin/sh -c 'echo step') ;;
		floor) set -- $(block /bench/floor-exec /bin/sh -c 'echo step') ;;
		spawnfloor) set -- $(block /bench/floor-spawn /bin/sh -c 'echo step') ;;
		esac
		eval "wall_$way=\$((wall_$way + $1)) cpu_$way=\$((cpu_$way + $2))"
	done
done
for way in $ways; do eval "echo loader-bench $way n=$n \$wall_$way \$cpu_$way"; done
