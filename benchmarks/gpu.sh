#!/usr/bin/env bash
# The whole GPU check of drt_min as one script, for one call on a lent GPU machine (issue 21).
#
#   bash benchmarks/gpu.sh [--out DIR] [--budget SECONDS] [--data-dir DIR] [--device DEV] [--dry-run]
#
# Run from anywhere; it works from the repository root it lies in and runs the package from the
# source tree (PYTHONPATH), offline, with MNIST from --data-dir (default: $DRT_DATA_DIR, else
# .data/ in the repository, a folder git ignores so that it can be carried with the working tree).
# It needs only what the GPU machine has (python3 with torch, numpy, scipy, sympy, matplotlib,
# tqdm, hypothesis, pytest; bash, coreutils, tar).
#
# Steps, in order of value, each capped with `timeout` by its share of one overall budget
# (--budget, default 480 s) plus whatever earlier steps left unused, so that a slow or failing step
# cannot cost the ones after it; a failing step is recorded and the script goes on:
#   1 env        GPU name, driver, library versions
#   2 tests      the CUDA tests (pytest -m gpu)
#   3 smoke      python -m drt_min run --preset smoke --device cuda
#   4 paper      paper-mnist with fewer epochs and the paper's protocol (n = 100,000) on as many of
#                the 1,000 test images as its share of the budget allows (benchmarks/paper_run.py)
#   5 certify    benchmarks/certify.py at n = 100,000 against the Cohen-style reference
#   6 train      benchmarks/train.py
#   7 crosscheck python -m verify crosscheck --device cuda on the step-4 run
#   8 bf16       benchmarks/certify.py --compare-precision on the step-4 DRT checkpoint
#
# Output (--out, default $OUT, else ./gpu-out; created, and refused if not empty): fewer than 8
# files, each under 16 MB (GPU_MAX_FILE_BYTES):
#   gpu.log          everything every step printed, with a header per step
#   summary.md       the environment and one row per step: status (ok, failed (exit N),
#                    timed out, skipped), seconds, cap
#   results.tar.gz   the run directories (without checkpoints), reports and benchmark results
#                    (split into results.tar.gz.partNN if it would exceed the size limit)
#   pretrain.pt, drt.pt, control.pt   the step-4 checkpoints (each left out, and the log says so,
#                    if it would break a limit)
# Exit status: 0 when every step passed, 1 otherwise, 2 for bad options.
#
# --dry-run (or TINY=1): every step at tiny sizes on --device cpu (default in this mode), so that
# CI checks the script on a CPU (tests/drt_min/test_gpu_script.py).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT_DIR=${OUT:-gpu-out}
BUDGET_S=${GPU_BUDGET_S:-480}
DATA_DIR=${DRT_DATA_DIR:-$ROOT/.data}
DRY=${TINY:-0}
DEVICE=""
MAX_FILE_BYTES=${GPU_MAX_FILE_BYTES:-16000000}
MAX_FILES=7
PY=${PYTHON:-python3}

while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT_DIR=$2; shift 2 ;;
    --budget) BUDGET_S=$2; shift 2 ;;
    --data-dir) DATA_DIR=$2; shift 2 ;;
    --device) DEVICE=$2; shift 2 ;;
    --dry-run) DRY=1; shift ;;
    -h|--help) sed -n '2,38p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: gpu.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ "$DRY" = 1 ] || DRY=0
if [ -z "$DEVICE" ]; then
  if [ "$DRY" = 1 ]; then DEVICE=cpu; else DEVICE=cuda; fi
fi
case "$BUDGET_S" in ''|*[!0-9]*) echo "error: gpu.sh: --budget must be whole seconds, got $BUDGET_S" >&2; exit 2 ;; esac
mkdir -p "$OUT_DIR" || { echo "error: gpu.sh: cannot create $OUT_DIR" >&2; exit 2; }
OUT_DIR=$(cd "$OUT_DIR" && pwd)
if [ -n "$(ls -A "$OUT_DIR")" ]; then
  echo "error: gpu.sh: --out $OUT_DIR is not empty (the file limits count everything in it)" >&2
  exit 2
fi
case "$DATA_DIR" in /*) ;; *) DATA_DIR=$(pwd)/$DATA_DIR ;; esac

cd "$ROOT" || exit 2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/drt-gpu.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/runs" "$WORK/results"
LOG=$OUT_DIR/gpu.log
ROWS=$WORK/rows.md
: >"$LOG"
: >"$ROWS"

export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export DRT_DATA_DIR="$DATA_DIR" DRT_OFFLINE=1 PYTHONUNBUFFERED=1 MPLBACKEND=Agg
export HYPOTHESIS_PROFILE=${HYPOTHESIS_PROFILE:-ci} PYTHONDONTWRITEBYTECODE=1

START=$(date +%s)
DEADLINE=$((START + BUDGET_S))
PACK_RESERVE=10                               # seconds kept for packing the output
STEPS=(env tests smoke paper certify train crosscheck bf16)
SHARES=(10 50 40 200 50 30 60 40)             # seconds of the default 480 s budget, scaled
SHARE_SUM=480
FAILED=0

log() { echo "$*" >>"$LOG"; }

share_of() {  # the scaled share of step $1 (index), at least 3 s
  local s=$(( ${SHARES[$1]} * BUDGET_S / SHARE_SUM ))
  [ "$s" -ge 3 ] || s=3
  echo "$s"
}

cap_for() {  # seconds step $1 (index) may take: its share plus what earlier steps left unused
  local i=$1 now later=0 j remaining share cap
  now=$(date +%s)
  remaining=$((DEADLINE - PACK_RESERVE - now))
  for ((j = i + 1; j < ${#STEPS[@]}; j++)); do later=$((later + $(share_of "$j"))); done
  share=$(share_of "$i")
  cap=$((remaining - later))
  [ "$cap" -lt "$share" ] && cap=$share
  [ "$cap" -gt "$remaining" ] && cap=$remaining
  echo "$cap"
}

step() {  # step INDEX [--capture FILE] COMMAND...: run it under its cap, log everything, and
          # record a summary row; an argument {time_s} becomes the cap less a margin; --capture
          # also keeps the command's output in FILE
  local i=$1; shift
  local name=${STEPS[$i]} cap t0 rc dt status capture="" arg args=()
  if [ "$1" = --capture ]; then capture=$2; shift 2; fi
  cap=$(cap_for "$i")
  for arg in "$@"; do
    if [ "$arg" = "{time_s}" ]; then args+=($((cap > 30 ? cap - 15 : cap / 2))); else args+=("$arg"); fi
  done
  log ""
  log "=== step $((i + 1)) $name: cap ${cap}s, $(date -u +%H:%M:%S) UTC: ${args[*]}"
  if [ "$cap" -lt 3 ]; then
    log "=== step $((i + 1)) $name: skipped (budget spent)"
    echo "| $((i + 1)) | $name | skipped (budget spent) | 0 | $cap |" >>"$ROWS"
    FAILED=1
    return
  fi
  t0=$(date +%s)
  if [ -n "$capture" ]; then
    timeout --kill-after=10 "$cap" "${args[@]}" >"$capture" 2>&1
    rc=$?
    cat "$capture" >>"$LOG"
  else
    timeout --kill-after=10 "$cap" "${args[@]}" >>"$LOG" 2>&1
    rc=$?
  fi
  dt=$(($(date +%s) - t0))
  case $rc in
    0) status=ok ;;
    124|137) status="timed out"; FAILED=1 ;;
    *) status="failed (exit $rc)"; FAILED=1 ;;
  esac
  log "=== step $((i + 1)) $name: $status after ${dt}s"
  echo "| $((i + 1)) | $name | $status | $dt | $cap |" >>"$ROWS"
}

env_report() {
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "dry run: $DRY; device: $DEVICE; budget: ${BUDGET_S}s; data: $DATA_DIR"
  echo "host: $(uname -srm); cpus: $(nproc)"
  if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1
  else
    echo "nvidia-smi: not found"
  fi
  "$PY" - <<'EOF'
import platform, sys
import numpy, scipy, torch
print(f"python {sys.version.split()[0]} ({sys.executable}); torch {torch.__version__}; "
      f"numpy {numpy.__version__}; scipy {scipy.__version__}")
print(f"torch CUDA {torch.version.cuda}; cuDNN {torch.backends.cudnn.version()}; "
      f"cuda available: {torch.cuda.is_available()}; devices: {torch.cuda.device_count()}")
for i in range(torch.cuda.device_count()):
    p = torch.cuda.get_device_properties(i)
    print(f"cuda:{i}: {p.name}, capability {p.major}.{p.minor}, {p.total_memory / 2**30:.1f} GiB, "
          f"{p.multi_processor_count} SMs")
print(f"TF32: cudnn.allow_tf32={torch.backends.cudnn.allow_tf32}, "
      f"matmul.allow_tf32={torch.backends.cuda.matmul.allow_tf32}; "
      f"bf16 supported: {torch.cuda.is_bf16_supported() if torch.cuda.is_available() else 'n/a'}")
print(f"cpu: {platform.processor() or platform.machine()}; torch threads {torch.get_num_threads()}")
EOF
  ls -l "$DATA_DIR/mnist" 2>&1
}

# ---- the steps --------------------------------------------------------------------------------
SMOKE=$WORK/runs/smoke
PAPER=$WORK/runs/paper
if [ "$DRY" = 1 ]; then
  # tiny sizes: one thread each (more only adds synchronisation, and CI machines are small)
  export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
  SMOKE_ARGS=(--train-subset 128 --cert-max-images 2)
  PAPER_ARGS=(--max-epochs 1 --train-subset 256 --cert-n 200 --cert-n0 10 --max-images 2)
  CERT_ARGS=(--images 1 --n0 10 --n 200 --batch 100 --repeats 1 --forward-batches 64
             --forward-samples 128 --protocols we --threads 1)
  TRAIN_ARGS=(--batch 8 --noise-copies 1 --attack-steps 1 --rounds 1)
  CROSS_ARGS=(--profile dry-run)
  BF16_ARGS=(--images-agree 2 --images-speed 1 --images-samples 1 --forward-samples 64 --repeats 1
             --threads 1)
else
  SMOKE_ARGS=()
  PAPER_ARGS=()
  # sized to the shares of the default budget: about 7e6 and 6e6 noisy forwards
  CERT_ARGS=(--images 5 --n0 100 --n 100000 --batch 10000 --repeats 1 --forward-batches 1000 10000
             --forward-samples 20000 --threads 8)
  TRAIN_ARGS=(--rounds 5)
  CROSS_ARGS=(--images 20 --batch-size 20000)
  BF16_ARGS=(--images-agree 20 --images-speed 2 --images-samples 5 --repeats 3
             --forward-samples 16384 --threads 8)
fi

export ROOT DRY DEVICE BUDGET_S DATA_DIR PY
step 0 --capture "$WORK/env.txt" bash -c "$(declare -f env_report); env_report"
step 1 "$PY" -m pytest -q -p no:cacheprovider -m "gpu and not slow" -rA tests/drt_min/test_gpu.py \
  tests/drt_min/test_models.py tests/drt_min/test_certify.py
step 2 "$PY" -m drt_min run --preset smoke --device "$DEVICE" --out "$SMOKE" --no-progress \
  "${SMOKE_ARGS[@]}"
step 3 "$PY" benchmarks/paper_run.py --out "$PAPER" --time-s "{time_s}" --device "$DEVICE" \
  "${PAPER_ARGS[@]}"
step 4 --capture "$WORK/results/certify-$DEVICE.md" "$PY" benchmarks/certify.py \
  --device "$DEVICE" "${CERT_ARGS[@]}"
step 5 "$PY" benchmarks/train.py --device "$DEVICE" --out "$WORK/results/train-$DEVICE.md" \
  "${TRAIN_ARGS[@]}"
step 6 "$PY" -m verify crosscheck "$PAPER" --device "$DEVICE" --out "$PAPER/crosscheck" \
  --no-progress "${CROSS_ARGS[@]}"
step 7 "$PY" benchmarks/certify.py --device "$DEVICE" --compare-precision \
  "$PAPER/checkpoints/drt.pt" --out "$WORK/results/certify-bf16-$DEVICE.md" "${BF16_ARGS[@]}"

# ---- packing: fewer than 8 files, each under MAX_FILE_BYTES -----------------------------------
size_of() { stat -c %s "$1"; }
nfiles() { find "$OUT_DIR" -maxdepth 1 -type f | wc -l; }

log ""
log "=== packing into $OUT_DIR (at most $MAX_FILES files of under $MAX_FILE_BYTES bytes)"
# the summary is written last; keep a place for it
ARCHIVE=$OUT_DIR/results.tar.gz
PACKED=(runs results)
[ -f "$WORK/env.txt" ] && PACKED+=(env.txt)
tar -czf "$ARCHIVE" -C "$WORK" --exclude='*.pt' "${PACKED[@]}" 2>>"$LOG"
if [ "$(size_of "$ARCHIVE")" -ge "$MAX_FILE_BYTES" ]; then
  log "results.tar.gz is $(size_of "$ARCHIVE") bytes: packed again without the PNG plots"
  tar -czf "$ARCHIVE" -C "$WORK" --exclude='*.pt' --exclude='*.png' "${PACKED[@]}" 2>>"$LOG"
fi
if [ "$(size_of "$ARCHIVE")" -ge "$MAX_FILE_BYTES" ]; then
  log "results.tar.gz is still $(size_of "$ARCHIVE") bytes: split into parts (cat them to join)"
  split -b $((MAX_FILE_BYTES - 1)) -d -a 2 "$ARCHIVE" "$ARCHIVE.part"
  rm -f "$ARCHIVE"
  # gpu.log and summary.md take two of the places
  for part in $(ls "$ARCHIVE".part* | sort); do
    if [ "$(nfiles)" -gt $((MAX_FILES - 2)) ]; then
      log "left out $(basename "$part"): more than $MAX_FILES files"
      rm -f "$part"
    fi
  done
fi
for stage in drt control pretrain; do
  ckpt=$PAPER/checkpoints/$stage.pt
  [ -f "$ckpt" ] || { log "no $stage.pt (step 4 did not write it)"; continue; }
  if [ "$(size_of "$ckpt")" -ge "$MAX_FILE_BYTES" ]; then
    log "left out $stage.pt: $(size_of "$ckpt") bytes"
  elif [ "$(nfiles)" -ge $((MAX_FILES - 1)) ]; then
    log "left out $stage.pt: the file limit"
  else
    cp "$ckpt" "$OUT_DIR/$stage.pt"
  fi
done

{
  echo "# gpu.sh summary"
  echo
  echo '```'
  cat "$WORK/env.txt" 2>/dev/null || echo "(no environment report: step 1 did not run)"
  echo '```'
  echo
  echo "| step | name | status | seconds | cap (s) |"
  echo "|---|---|---|---|---|"
  cat "$ROWS"
  echo
  echo "total: $(($(date +%s) - START)) s of a ${BUDGET_S} s budget; exit status $FAILED"
  echo
  echo "files:"
  for f in "$OUT_DIR"/*; do
    [ "$f" = "$OUT_DIR/summary.md" ] || echo "- $(basename "$f"): $(size_of "$f") bytes"
  done
} >"$OUT_DIR/summary.md"
cat "$OUT_DIR/summary.md" >>"$LOG"
if [ "$(size_of "$LOG")" -ge "$MAX_FILE_BYTES" ]; then
  keep=$((MAX_FILE_BYTES / 2 - 64))
  [ "$keep" -gt 0 ] || keep=0
  { head -c "$keep" "$LOG"; printf '\n[... cut to the first and last %s bytes ...]\n' "$keep"
    tail -c "$keep" "$LOG"; } >"$WORK/log.cut" && mv "$WORK/log.cut" "$LOG"
fi
cat "$OUT_DIR/summary.md"
exit "$FAILED"
