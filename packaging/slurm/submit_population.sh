#!/usr/bin/env bash
# Submits a population run of cx over a Slurm cluster: N array tasks, one shard of the units
# each, then a merge job that waits for all of them (afterok) and writes the unsharded file.
#   packaging/slurm/submit_population.sh --shards N --out MERGED.csv|MERGED.safetensors \
#       [--cx PATH] [--sbatch "EXTRA SBATCH OPTIONS"] -- sweep|score MODEL --units SPEC ...
# Example, a whole layer of a torchvision model on 16 GPU tasks:
#   packaging/slurm/submit_population.sh --shards 16 --out layer3.csv --sbatch "--gres=gpu:1" -- \
#       sweep resnet50.pt --images val/ --target layer3.5.conv3 --units all
# Prints the array's and the merge's job ids. Shard files go next to the merged file
# (MERGED.shards/shard-I.EXT); the paths must be on storage every node sees.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
shards="" out="" cx="${CX:-$(command -v cx || echo "$here/../../build/app/cx")}" extra=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --shards) shards="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --cx) cx="$2"; shift 2 ;;
    --sbatch) extra="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "submit_population.sh: unknown option $1 (the cx command follows --)" >&2; exit 2 ;;
  esac
done
[[ -n "$shards" && "$shards" -ge 1 && -n "$out" && $# -ge 2 ]] || { sed -n '2,12p' "$0" >&2; exit 2; }
command="$1"; shift
[[ "$command" == sweep || "$command" == score ]] || { echo "the cx command is sweep or score, not $command" >&2; exit 2; }
case "$out" in *.csv) ext=csv ;; *.safetensors) ext=safetensors ;; *) echo "--out ends in .csv or .safetensors" >&2; exit 2 ;; esac
cx="$(cd "$(dirname "$cx")" && pwd)/$(basename "$cx")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
shard_dir="$out.shards"
mkdir -p "$shard_dir"
export CX="$cx" CX_COMMAND="$command" CX_OUT_DIR="$shard_dir" CX_EXT="$ext" CX_SHARDS="$shards" CX_MERGED="$out"
# shellcheck disable=SC2086  # the extra options are words
array=$(sbatch --parsable $extra --array="0-$((shards - 1))" --output="$shard_dir/shard-%a.log" \
  "$here/population_shard.sbatch" "$@")
array="${array%%;*}"
merge=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes --output="$shard_dir/merge.log" \
  "$here/merge_shards.sbatch")
echo "array $array ($shards shards), merge ${merge%%;*} -> $out"
