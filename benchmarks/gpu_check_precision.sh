#!/usr/bin/env bash
# GPU check of the precision path (issue 25, a minute or two): check_precision with the subject
# on CUDA and float64 references on the CPU. Runs the CUDA test of tests/test_precision.py, the
# command line on a bfloat16 layer with --device cuda, and the layer corpus in float32, float16
# and bfloat16 on the GPU (benchmarks/results/precision_layers_cuda.json), whose verdicts must
# equal the CPU run's (benchmarks/results/precision_layers.json). Exits non-zero on a failure.
#
#   benchmarks/gpu_check_precision.sh
set -euo pipefail
py=${PYTHON:-python}
export PYTHONPATH=${PYTHONPATH:-.}

"$py" - <<'PY'
import torch
assert torch.cuda.is_available(), "CUDA is not available"
print(f"torch {torch.__version__}, {torch.cuda.get_device_name(0)}")
PY

echo "== tests/test_precision.py (CUDA test included)"
HYPOTHESIS_PROFILE=ci "$py" -m pytest -q tests/test_precision.py -k "cuda or right_layers"

echo "== check-code --precision native --device cuda"
dir=$(mktemp -d)
cat > "$dir/layer.py" <<'PY'
import torch
import torch.nn.functional as F

class Softplus(torch.autograd.Function):                  # 1 - q for q near 1: unstable
    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return F.softplus(z)

    @staticmethod
    def backward(ctx, g):
        z, = ctx.saved_tensors
        return g * (1 - torch.exp(-F.softplus(z)))

inputs = (torch.randn(3, 5, dtype=torch.bfloat16) * 2,)
PY
set +e
"$py" -m workbench check-code "$dir/layer.py:Softplus" --precision native --device cuda
rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "expected exit 1 (precision mismatch), got $rc"; exit 1; }

echo "== layer corpus on CUDA, same verdicts as on the CPU"
"$py" benchmarks/bench_precision.py --part layers --device cuda \
    --out benchmarks/results/precision_layers_cuda.json
"$py" - <<'PY'
import json
cpu = json.load(open("benchmarks/results/precision_layers.json"))["rows"]
gpu = json.load(open("benchmarks/results/precision_layers_cuda.json"))["rows"]
keys = [k for k in cpu[0] if k.startswith("precision_")]
diff = [(c["name"], k, c[k]["outcome"], g[k]["outcome"]) for c, g in zip(cpu, gpu) for k in keys
        if c[k]["outcome"] != g[k]["outcome"]]
print("same verdicts on CPU and GPU" if not diff else f"differ: {diff}")
raise SystemExit(1 if diff else 0)
PY
