#!/usr/bin/env bash
# GPU check of the CIFAR-10 trainer (a few minutes): one epoch of the course's recipe and the
# fast recipe (all its epochs: about 1.2 M images) on CUDA, evaluation of the model written,
# and, with two or more GPUs, a 2-process torchrun run over nccl.
#
#   benchmarks/gpu_check.sh DATA_DIR [OUT_DIR]
#
# It first runs benchmarks/gpu_check_precision.sh (check_precision with the subject on CUDA).
#
# DATA_DIR holds cifar-10-batches-py/ (or is it). Prints images/s and test accuracy per run;
# everything lands in OUT_DIR (default: runs/gpu-check). Exits non-zero on the first failure.
set -euo pipefail
data=${1:?usage: $0 DATA_DIR [OUT_DIR]}
out=${2:-runs/gpu-check}
py=${PYTHON:-python}
mkdir -p "$out"

"$py" - <<'EOF'
import torch
assert torch.cuda.is_available(), "CUDA is not available"
print(f"torch {torch.__version__}, {torch.cuda.device_count()} GPU(s): "
      f"{torch.cuda.get_device_name(0)}")
EOF

echo "== precision path (issue 25)"
"$(dirname "$0")/gpu_check_precision.sh"

summary() {
  "$py" - "$1" <<'EOF'
import json, sys
m = json.load(open(f"{sys.argv[1]}/metrics.json"))
print(f"{sys.argv[1]}: {m['test_accuracy']:.2f} % test accuracy, {m['images_per_s']:,.0f} images/s, "
      f"{m['train_time_s']:.1f} s training, {m['processes']} process(es), "
      f"peak GPU memory {m.get('peak_gpu_memory_mb', 0):,.0f} MB")
EOF
}

train() {  # name, extra arguments
  local name=$1; shift
  echo "== $name"
  "$py" -m workbench train --data "$data" --device cuda --no-gallery --no-progress \
      -o "$out/$name" "$@"
  summary "$out/$name"
}

train seed-1-epoch --recipe seed --epochs 1 --check-every 2000
train fast --recipe fast
echo "== evaluate"
"$py" -m workbench evaluate "$out/fast" --data "$data" --device cuda

gpus=$("$py" -c 'import torch; print(torch.cuda.device_count())')
if [ "$gpus" -ge 2 ]; then
  echo "== torchrun, 2 processes, nccl"
  "$py" -m torch.distributed.run --standalone --nproc-per-node 2 -m workbench train \
      --data "$data" --device cuda --recipe fast --epochs 4 --no-gallery --no-progress \
      -o "$out/fast-ddp"
  summary "$out/fast-ddp"
else
  echo "== torchrun skipped: nccl needs one GPU per process, this machine has $gpus"
fi
