#!/bin/sh
# Developer-only: writes DIR/resnet50_trace.pt (and _script.pt), torchvision's ResNet-50 with
# random weights, for cx_bench_find_circuit. Needs Debian's python3-torch and python3-torchvision.
set -e
dir="${1:?usage: export_resnet50.sh DIR}"
exec /usr/bin/python3 "$(dirname "$0")/../data/export_torchvision.py" "$dir" resnet50
