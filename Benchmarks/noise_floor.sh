#!/bin/bash
# The last-bit noise floor of `bench accuracy` rows: runs the rows on the original files and on
# SEEDS copies whose floats differ in the last bits only (Benchmarks/ulp_noise.py: a checkpoint's
# batch-norm variances, or an ONNX file's weight rows, moved by up to +-2 float32 ulps), each copy
# quantized with the same configuration, and prints every row's top-1 and agreement per copy with
# their spread, and every ONNX / checkpoint pair's differences per copy.
#
#   bash Benchmarks/noise_floor.sh SEEDS ROW[,ROW...] [bench accuracy options...]
#   bash Benchmarks/noise_floor.sh 4 shufflenet_v1_g3-cifar10,shufflenet_v1_g3-cifar10.onnx
#   bash Benchmarks/noise_floor.sh 4 efficientnet_lite0-imagenet,efficientnet_lite0-imagenet.onnx --no-range-search --no-bias-correction
#
# Rows are `bench accuracy` rows. A checkpoint row is perturbed when it is a .safetensors file
# (the EfficientNet-Lite0 .pth is used as it is: the script says so). Needs numpy and onnx, and a
# release build of `bench` (`swift build -c release`). Copies are written under $TMPDIR (or /tmp)
# and deleted at the end.
set -euo pipefail
if [ $# -lt 2 ]; then sed -n 2,15p "$0"; exit 2; fi
seeds=$1; rows=$2; shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${INT8_SHARED:-$root/../shared}
bench=${BENCH:-$root/.build/release/bench}
[ -x "$bench" ] || { echo "error: $bench not found: run swift build -c release first" >&2; exit 1; }
[ -d "$shared/models" ] || { echo "error: $shared/models not found" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/noise_floor.XXXXXX")
trap 'rm -rf "$work"' EXIT

# A copy of the shared folder whose files are links, except the perturbed ones.
copy_shared() {  # copy_shared DIR SEED
  local dir=$1 seed=$2
  mkdir -p "$dir/models/onnx"
  for x in "$shared"/*; do [ "$(basename "$x")" = models ] || ln -s "$x" "$dir/"; done
  for x in "$shared"/models/*; do [ "$(basename "$x")" = onnx ] || ln -s "$x" "$dir/models/"; done
  for x in "$shared"/models/onnx/*; do ln -s "$x" "$dir/models/onnx/"; done
  for row in ${rows//,/ }; do
    local src dst
    if [[ $row == *.onnx ]]; then
      src=$shared/models/onnx/${row%.onnx}.float.onnx; dst=$dir/models/onnx/${row%.onnx}.float.onnx
    else
      src=$shared/models/$row.safetensors; dst=$dir/models/$row.safetensors
    fi
    if [ -f "$src" ]; then
      rm -f "$dst"; python3 "$root/Benchmarks/ulp_noise.py" "$src" "$dst" "$seed" > /dev/null
    else
      echo "note: $row has no .safetensors or ONNX file to perturb; every copy uses the original" >&2
    fi
  done
}

for seed in $(seq 0 "$seeds"); do
  if [ "$seed" = 0 ]; then dir=$shared; else dir=$work/shared$seed; copy_shared "$dir" "$seed"; fi
  echo "copy $seed of $seeds ($( [ "$seed" = 0 ] && echo original || echo "ulp_noise.py seed $seed"))" >&2
  INT8_SHARED=$dir "$bench" accuracy --models "$rows" "$@" > "$work/run$seed.log" 2>&1 \
    || { cat "$work/run$seed.log" >&2; echo "error: bench accuracy failed on copy $seed" >&2; exit 1; }
done

python3 - "$work" "$seeds" <<'EOF'
import sys
work, seeds = sys.argv[1], int(sys.argv[2])
rows, pairs = {}, {}
for s in range(seeds + 1):
    table = None
    for line in open(f'{work}/run{s}.log'):
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if line.startswith('| model |'): table = 'rows'; continue
        if line.startswith('| ONNX model |'): table = 'pairs'; continue
        if not line.startswith('| ') or line.startswith('|---'): continue
        if table == 'rows':
            try:
                rows.setdefault(cells[0], []).append((float(cells[2]), float(cells[3])))
            except (ValueError, IndexError):
                sys.exit(f'error: copy {s}: row {cells[0]} was not measured: {" ".join(cells[1:])}')
        elif table == 'pairs':
            pairs.setdefault(cells[0], []).append((float(cells[6].split()[0]), float(cells[7].split()[0])))
def span(xs): return f'{min(xs):.2f}–{max(xs):.2f} ({max(xs) - min(xs):.2f})'
print(f'copy 0 is the original file; copies 1–{seeds} differ from it in the last bits only')
print()
print('| row | int8 top-1 per copy | agreement per copy | top-1 min–max (spread) | agreement min–max (spread) |')
print('|---|---|---|---|---|')
for name, v in rows.items():
    t, a = [x[0] for x in v], [x[1] for x in v]
    print(f'| {name} | {" / ".join(f"{x:.2f}" for x in t)} | {" / ".join(f"{x:.2f}" for x in a)} | {span(t)} | {span(a)} |')
if pairs:
    print()
    print('| ONNX − checkpoint | Δ top-1 per copy | Δ agreement per copy | copies within 0.1 (both) |')
    print('|---|---|---|---|')
    for name, v in pairs.items():
        ok = sum(abs(d) <= 0.1 + 1e-9 and abs(e) <= 0.1 + 1e-9 for d, e in v)
        print(f'| {name} | {" / ".join(f"{d:+.2f}" for d, _ in v)} | {" / ".join(f"{e:+.2f}" for _, e in v)} | {ok} of {len(v)} |')
EOF
