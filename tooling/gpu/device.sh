#!/bin/bash
# Issue 19 on a GPU machine, one bounded run (every step under `timeout`, later steps skipped past DEADLINE s):
#  A. stock `serve --gpu auto`, empty CUDA cache: no crash — CUDA proven or a fallback (Vulkan/CPU) with its warning
#  B. stock `serve --gpu cuda`: works, or exits non-zero with the CUDA error and what fixes it
#  C. the CUDA JIT cost: time to ready on a first start (empty cache) and a second one (PTX relabelled by the
#     ptxfix shim when the stock binary failed — a measuring device, not a fix)
#  D. Parlance ÷ raw node-llama-cpp on the GPU, tiny model, 1 and 8 streams
#  E. the same on Vulkan (the backend `auto` falls back to), 1 stream
# Outputs under $OUT: device.log, results.jsonl, result.txt (the table). Bundle: build.sh's output in $CARRY (./.gpu).
# FAKE=1 rehearses it on a machine without a GPU: CUDA → CPU, and the test hook makes the CUDA runner die the way
# the R580 one does (PARLANCE_ENGINE_FAULT=probe-abort:cuda).
set -u
T0=$(date +%s)
DEADLINE=${DEADLINE:-270}
OUTD=${OUT:-/tmp/gpu-out}; mkdir -p "$OUTD"
exec > >(tee -a "$OUTD/device.log") 2>&1
HERE=$(cd "$(dirname "$0")" && pwd)
CARRY=${CARRY:-$(pwd)/.gpu}
W=${W:-/root/pw}; mkdir -p "$W"
RES=$OUTD/results.jsonl; : > "$RES"; TAB=$OUTD/starts.txt; : > "$TAB"
CUDA=cuda; FAULT=""; [ "${FAKE:-0}" = 1 ] && { CUDA=cpu; FAULT="PARLANCE_ENGINE_FAULT=probe-abort:cuda"; }
el() { echo $(( $(date +%s) - T0 )); }
step() { echo; echo "=== [$(el)s] $*"; }
left() { [ "$(el)" -lt "$DEADLINE" ] || { echo "--- skipped (deadline): $*"; return 1; }; }
# ONLY="A E" runs those steps alone (a second, shorter run)
want() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }
row() { echo "$*" | tee -a "$TAB"; }
ulimit -c 0

step "unpack"
if [ ! -x "$W/node" ]; then
  if command -v xz >/dev/null; then xz -dc "$CARRY/node.xz" > "$W/node"; tar -xJf "$CARRY/pl.tar.xz" -C "$W"
  else python3 -c "import lzma,shutil,tarfile,sys; shutil.copyfileobj(lzma.open(sys.argv[1]),open(sys.argv[2],'wb')); tarfile.open(sys.argv[3]).extractall(sys.argv[4])" "$CARRY/node.xz" "$W/node" "$CARRY/pl.tar.xz" "$W"; fi
  chmod +x "$W/node"; cp "$CARRY/ptxfix.so" "$CARRY/libzstd.so.1" "$W/"
fi
cp "$HERE"/raw.mjs "$HERE"/client.mjs "$HERE"/probe.mjs "$HERE"/table.mjs "$W/pl/bench/" 2>/dev/null
NODE=$W/node; PL=$W/pl; cd "$PL" || exit 1
$NODE --version

step "machine"
timeout 10 nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv 2>&1
grep -m1 "model name" /proc/cpuinfo; nproc; ls /usr/lib/x86_64-linux-gnu/libvulkan.so.1 2>&1
NAMES="-name libcublas.so.13* -o -name libcublasLt.so.13* -o -name libcudart.so.13* -o -name libcuda.so.1"
set -f; LIBS=$( { timeout 20 find /usr/local /usr/lib /usr/lib64 -xdev \( $NAMES \) ; } 2>/dev/null | sort -u); set +f
pick() { echo "$LIBS" | grep "/$1\$" | grep -m1 /usr/local/cuda || echo "$LIBS" | grep -m1 "/$1\$"; }
LDP=""; for n in libcublas.so.13 libcudart.so.13; do f=$(pick $n); [ -n "$f" ] && LDP="$LDP:$(dirname "$f")"; done
export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-/usr/local/nvidia/lib64}:${LDP#:}"
echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
SHIM="LD_PRELOAD=$W/ptxfix.so PTXFIX_ZSTD=$W/libzstd.so.1 PTXFIX_REPORT=1"
TH=$(( $(nproc) > 1 ? $(nproc) - 1 : 1 ))
PORT=8090; URL=http://127.0.0.1:$PORT

# serve <label> <gpu> <parallel> <env...>: Parlance in the background (threads: its default, cores − 1); sets SPID
# and READY_S (seconds to /health 200, the probe decode included); log in $W/<label>.log
serve() {
  local label=$1 gpu=$2 par=$3; shift 3
  rm -rf "$W/data-$label"
  local t0; t0=$(date +%s.%N)
  env "$@" $NODE parlance.mjs serve --model tiny.gguf --gpu "$gpu" --parallel "$par" --port $PORT --store memory > "$W/$label.log" 2>&1 &
  SPID=$!
  timeout 150 $NODE bench/probe.mjs wait $URL $SPID 140; local rc=$?
  READY_S=$(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}")
  grep -E "engine:|ptxfix|CUDA error|Error" "$W/$label.log" | head -12
  return $rc
}
unserve() { kill $SPID 2>/dev/null; for i in $(seq 1 40); do kill -0 $SPID 2>/dev/null || break; sleep 0.25; done; kill -9 $SPID 2>/dev/null; wait $SPID 2>/dev/null; echo "[server $SPID] exit status $?"; }
backend() { grep -oE "engine: [^ ]+ on [A-Za-z]+" "$W/$1.log" | tail -1 | awk '{print $NF}'; }
warning() { grep -oE "engine: [A-Za-z]+ failed its probe .*" "$W/$1.log" | head -1 | cut -c1-160; }

step "A. stock binary, serve --gpu auto, empty CUDA cache, one request"
if want A && left A; then
  if serve stock-auto auto 1 CUDA_CACHE_PATH="$W/cache-auto" $FAULT; then
    ASK=$(timeout 60 $NODE bench/probe.mjs ask $URL 16); echo "$ASK"
    kill -0 $SPID 2>/dev/null && ALIVE=alive || ALIVE=DIED
    row "A | stock --gpu auto | ready ${READY_S}s | runs on $(backend stock-auto) | server $ALIVE after a request: ${ASK#\[probe\] } | $(warning stock-auto)"
  else row "A | stock --gpu auto | did not start | $(tail -3 "$W/stock-auto.log" | tr '\n' ' ')"; fi
  unserve
fi

step "B. stock binary, serve --gpu $CUDA"
if want B && left B; then
  START=$(date +%s.%N)
  timeout 100 env CUDA_CACHE_PATH="$W/cache-cuda" $FAULT $NODE parlance.mjs serve --model tiny.gguf --gpu "$( [ "${FAKE:-0}" = 1 ] && echo cuda || echo $CUDA )" --port $PORT --store memory > "$W/stock-cuda.log" 2>&1 &
  BPID=$!
  timeout 110 $NODE bench/probe.mjs wait $URL $BPID 100; BRC=$?
  if [ $BRC -eq 0 ]; then STOCK_OK=1; row "B | stock --gpu cuda | ready: $(backend stock-cuda)"; kill $BPID; wait $BPID
  else wait $BPID; EXIT=$?; STOCK_OK=0; row "B | stock --gpu cuda | exit $EXIT after $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $START}")s | $(grep -oE "engine: CUDA failed its probe.{0,200}" "$W/stock-cuda.log" | head -1)"; fi
  grep -E "R590|engine build" "$W/stock-cuda.log" | head -2 | cut -c1-300
fi
PRE=""; [ "${STOCK_OK:-0}" = 0 ] && [ "${FAKE:-0}" != 1 ] && PRE="$SHIM" && echo "benchmarks run with the ptxfix shim"

step "C. JIT cost: first and second start of serve --gpu $CUDA on one fresh CUDA cache"
for n in 1 2; do
  want C && left "C$n" || break
  if serve jit$n $CUDA 1 CUDA_CACHE_PATH="$W/cache-jit" $PRE; then
    ASK=$(timeout 60 $NODE bench/probe.mjs ask $URL 16); row "C | start $n, --gpu $CUDA | ready ${READY_S}s | on $(backend jit$n) | ${ASK#\[probe\] }"
  else row "C | start $n | did not start | $(tail -2 "$W/jit$n.log" | tr '\n' ' ')"; fi
  unserve
done
du -sh "$W/cache-jit" 2>/dev/null

rawb() { # rawb <label> <mode> <seqs> <tokens> <reps> <timeout>
  left "$1" || return; step "raw $1"
  timeout "$6" env $PRE CUDA_CACHE_PATH="$W/cache-jit" $NODE bench/raw.mjs --model tiny.gguf --gpu $CUDA --threads $TH --mode "$2" --seqs "$3" --tokens "$4" --reps "$5" --label "$1" --out "$RES" 2>&1 | grep -v "n_ctx_seq"; }
parb() { # parb <label> <parallel> <conc> <tokens> <reps> <ref>
  left "$1" || return; step "Parlance $1"
  if serve "$1" $CUDA "$2" $PRE CUDA_CACHE_PATH="$W/cache-jit"; then
    timeout 120 $NODE bench/client.mjs --url $URL --tokens "$4" --conc "$3" --reps "$5" --label "$1" --ref "$6" --out "$RES"
  fi
  unserve; }

if want D; then
  step "D. Parlance ÷ raw on $CUDA"
  rawb gpu-raw-chat-x1 chat 1 512 3 60
  parb gpu-parlance-p1 1 1 512 3 gpu-raw-chat-x1
  rawb gpu-raw-chat-x8 chat 8 512 3 90
  parb gpu-parlance-p8 8 8 512 3 gpu-raw-chat-x8
fi

# E. the fallback backend measured the same way (skipped in a rehearsal: no Vulkan device there)
if [ "${FAKE:-0}" != 1 ] && want E; then
  step "E. Parlance ÷ raw on Vulkan"
  SAVED=$CUDA; SAVEDPRE=$PRE; CUDA=vulkan; PRE=""
  # raw node-llama-cpp needs what the runner sets by itself in an NVIDIA container (engine runner/gpu.ts)
  ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  [ -z "${VK_DRIVER_FILES:-}" ] && [ -f $ICD ] && RAWVK="VK_DRIVER_FILES=$ICD" || RAWVK=""
  PRE=$RAWVK rawb vk-raw-chat-x1 chat 1 512 3 60
  parb vk-parlance-p1 1 1 512 3 vk-raw-chat-x1
  PRE=$RAWVK rawb vk-raw-chat-x8 chat 8 512 3 90
  parb vk-parlance-p8 8 8 512 3 vk-raw-chat-x8
  CUDA=$SAVED; PRE=$SAVEDPRE
fi

step "table"
$NODE bench/table.mjs "$RES" "$OUTD/ratios.txt" > /dev/null
{ echo "# issue 19 on $(timeout 5 nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || echo 'no GPU (FAKE)') in $(el)s"; echo; cat "$TAB"; echo; cat "$OUTD/ratios.txt"; } > "$OUTD/result.txt"
step "done"; cat "$OUTD/result.txt"
