#!/usr/bin/env bash
# The cluster path end to end on a real Slurm: a one-node cluster from Debian's slurm-wlm and
# munge on localhost (tests/slurm/local_cluster.sh), a 4-task array over the demo CNN's 48
# features.conv4 units submitted by packaging/slurm/submit_population.sh, its merge job, and the
# merged CSV compared byte for byte with the unsharded run. Needs root (the daemons run as root
# in a temporary folder); exits 77 (skipped) without root or without the packages.
#   tests/slurm/test_population_array.sh build/app/cx
set -euo pipefail
cx="$(cd "$(dirname "${1:?usage: test_population_array.sh CX}")" && pwd)/$(basename "$1")"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [[ $(id -u) -ne 0 ]]; then echo "skipped: the local Slurm cluster runs as root"; exit 77; fi
for tool in munged slurmctld slurmd sbatch squeue; do
  command -v "$tool" > /dev/null || { echo "skipped: $tool not installed (slurm-wlm, munge)"; exit 77; }
done
work="$(mktemp -d /tmp/cx_slurm_XXXXXX)"
# shellcheck source=tests/slurm/local_cluster.sh
source "$root/tests/slurm/local_cluster.sh" "$work/cluster"
trap 'stop_cluster; rm -rf "$work"' EXIT
start_cluster

"$cx" demo images --count 16 --seed 3 --out "$work/images.safetensors" > /dev/null
args=(sweep "$root/resources/demo/shapes_cnn.pt" --images "$work/images.safetensors" --target features.conv4 --units all
      --criteria actgrad,random --sparsities 0.5,0.1,0.01)
"$cx" "${args[@]}" --out "$work/whole.csv" > /dev/null

submitted="$("$root/packaging/slurm/submit_population.sh" --cx "$cx" --shards 4 --out "$work/merged.csv" -- "${args[@]}")"
echo "$submitted"
merge="$(sed -E 's/.*merge ([0-9]+).*/\1/' <<< "$submitted")"
for _ in $(seq 1 600); do
  [[ -z "$(squeue -h -j "$merge" 2>/dev/null)" ]] && break
  sleep 1
done
if [[ ! -f "$work/merged.csv" ]]; then
  echo "FAILED: the merge job wrote nothing; its log and the shards':" >&2
  tail -n 5 "$work"/merged.csv.shards/*.log >&2 || true
  exit 1
fi
for i in 0 1 2 3; do [[ -s "$work/merged.csv.shards/shard-$i.csv" ]] || { echo "FAILED: shard $i wrote nothing" >&2; exit 1; }; done
if ! cmp "$work/whole.csv" "$work/merged.csv"; then
  echo "FAILED: the merged CSV differs from the unsharded run" >&2
  diff "$work/whole.csv" "$work/merged.csv" | head >&2
  exit 1
fi
echo "passed: 4 array tasks + merge equal the unsharded run ($(($(wc -l < "$work/whole.csv") - 1)) rows)"
