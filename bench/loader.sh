# The loader alone, inside a RUN that mounts the dotenv secret as ours do:
# a RUN's own shell, started N times without and N times with the loader in
# front (/bench/loader.txt, the frozen text), alternating in blocks of 10.
# Prints the total time of each in centiseconds (/proc/uptime: busybox's
# date has no %N).
set -eu
n=${1:-200}
loader=$(cat /bench/loader.txt)
cs() {
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}"
}
plain=0 wrapped=0
for _ in $(seq $((n / 10))); do
	t=$(cs)
	for _ in 1 2 3 4 5 6 7 8 9 10; do /bin/sh -c 'echo step' >/dev/null; done
	plain=$((plain + $(cs) - t))
	t=$(cs)
	for _ in 1 2 3 4 5 6 7 8 9 10; do /bin/sh -c "$loader" dockerfile-dotenv /bin/sh -c 'echo step' >/dev/null; done
	wrapped=$((wrapped + $(cs) - t))
done
echo "loader-bench n=$n plain=$plain wrapped=$wrapped"
