#!/usr/bin/env bash
# Runs ddp_train.py the way spottrain agents would, on a machine with torch (a GPU machine), and
# prints the params-sha256 of: uninterrupted runs at world sizes 1 and 2, and runs checkpointed at
# step 100 and resumed (same and other world size). Used for the numbers in README.md.
set -uo pipefail
cd "$(dirname "$0")"
out="${OUT:-/tmp/ddp-check}"; mkdir -p "$out"
steps=${STEPS:-200}
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"
port=29600
run() { # name world device resume steps extra...
  local name=$1 world=$2 dev=$3 resume=$4 n=$5; shift 5
  port=$((port + 1)); local pids=()
  for ((r = 0; r < world; r++)); do
    RANK=$r WORLD_SIZE=$world LOCAL_RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port SPOTTRAIN_GENERATION=1 \
    SPOTTRAIN_CHECKPOINT_DIR="$out/$name-ckpt-rank$r" SPOTTRAIN_RESUME_STEP=$resume \
      timeout 240 python3 ddp_train.py --steps "$n" --device "$dev" --log-every 100 "$@" >"$out/$name-rank$r.log" 2>&1 &
    pids+=($!)
  done
  local rc=0; for p in "${pids[@]}"; do wait "$p" || rc=$?; done
  echo "$name: rc=$rc $(grep -h params-sha256 "$out/$name"-rank*.log | sort | uniq -c | tr '\n' ' ') $(grep -h final-loss "$out/$name-rank0.log")"
}
for dev in cuda cpu; do
  t0=$SECONDS; run "$dev-w1" 1 $dev 0 $steps; echo "  $((SECONDS - t0)) s"
  run "$dev-w2" 2 $dev 0 $steps
  run "$dev-w2-to100" 2 $dev 0 100 --checkpoint-every 100
  mkdir -p "$out/$dev-w1-resume-ckpt-rank0" && cp -r "$out/$dev-w2-to100-ckpt-rank0/step-100" "$out/$dev-w1-resume-ckpt-rank0/"
  run "$dev-w1-resume" 1 $dev 100 $steps
  for r in 0 1; do mkdir -p "$out/$dev-w2-resume-ckpt-rank$r" && cp -r "$out/$dev-w2-to100-ckpt-rank$r/step-100" "$out/$dev-w2-resume-ckpt-rank$r/"; done
  run "$dev-w2-resume" 2 $dev 100 $steps
done
run "cuda-float-w1" 1 cuda 0 $steps --reduce float
run "cuda-float-w2" 2 cuda 0 $steps --reduce float
tail -n 3 "$out"/cuda-w2-rank0.log
