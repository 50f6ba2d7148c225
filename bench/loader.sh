# The loader alone, inside a RUN that mounts the dotenv secret as ours do:
# a RUN's own shell, started N times without and N times with the loader in
# front (/bench/loader.txt, the frozen text), alternating in blocks of 10.
# Prints the total wall time of each in centiseconds (/proc/uptime: busybox's
# date has no %N) and their CPU time (user + system) in milliseconds.
set -eu
n=${1:-200}
loader=$(cat /bench/loader.txt)

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

plain=0 plain_cpu=0 wrapped=0 wrapped_cpu=0
for _ in $(seq $((n / 10))); do
	set -- $(block /bin/sh -c 'echo step')
	plain=$((plain + $1)) plain_cpu=$((plain_cpu + $2))
	set -- $(block /bin/sh -c "$loader" dockerfile-dotenv /bin/sh -c 'echo step')
	wrapped=$((wrapped + $1)) wrapped_cpu=$((wrapped_cpu + $2))
done
echo "loader-bench n=$n plain=$plain wrapped=$wrapped plain-cpu=$plain_cpu wrapped-cpu=$wrapped_cpu"
