#!/bin/bash
# Builds the self-contained bundle device.sh runs on a GPU machine (node, the bundled CLI, the bundled runner host,
# node-llama-cpp with CPU + CUDA + Vulkan binaries, the tiny model, the bench scripts). Output goes to OUTDIR (keep
# it out of git; carried as ./.gpu it must stay under 64 MiB). Needs: the workspace installed, python3, gcc, xz.
# usage: bash tooling/gpu/build.sh <parlance-checkout> <outdir>      XZ="-9e" (default; "-1" for a quick rehearsal)
#        VULKAN=0 leaves the Vulkan binary out (measured with node 24 and -9e: 64.5 MiB with it, about 54 without)
set -euo pipefail
P=$(cd "$1" && pwd); OUTDIR=$2; HERE=$(cd "$(dirname "$0")" && pwd); XZ=${XZ:--9e}
B=$(mktemp -d); mkdir -p "$OUTDIR"; OUTDIR=$(cd "$OUTDIR" && pwd)
ESBUILD=$(ls -d "$P"/node_modules/.pnpm/esbuild@*/node_modules/esbuild/bin/esbuild | head -1)
REQ="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
# 1. the CLI and the runner's entry as two ESM files side by side: the CLI forks ./host.mjs beside itself (the
#    runner resolves its host relative to its own module, keeping the extension). node-llama-cpp stays external
#    (its binary test forks a file of its own), and so does libsql (native).
#    LIBSQL=0 (default) leaves libSQL out: @libsql/client becomes a stub (device.sh serves with --store memory).
LIBSQL_OPTS="--external:libsql"; [ "${LIBSQL:-0}" = 0 ] && LIBSQL_OPTS="--alias:@libsql/client=$HERE/libsql-stub.mjs"
(cd "$P/apps/cli" && "$ESBUILD" src/bin.ts --bundle --platform=node --format=esm --target=node20 --minify-whitespace \
  --minify-syntax --outfile="$B/pl/parlance.mjs" --external:node-llama-cpp $LIBSQL_OPTS --log-level=warning --banner:js="$REQ")
(cd "$P/packages/engine" && "$ESBUILD" src/runner/host.ts --bundle --platform=node --format=esm --target=node20 --minify-whitespace --minify-syntax \
  --outfile="$B/pl/host.mjs" --external:node-llama-cpp --log-level=warning --banner:js="$REQ")
# 2. node-llama-cpp (its number rule is corrected at load by the engine) and, with LIBSQL=1, libsql with their runtime dependencies; CPU, CUDA, Vulkan bins
NOVK=""; [ "${VULKAN:-1}" = 0 ] && NOVK=",@node-llama-cpp/linux-x64-vulkan"
SKIP_PKGS=@node-llama-cpp/linux-arm64,@node-llama-cpp/linux-armv7l,@node-llama-cpp/linux-x64-cuda-ext,typescript$NOVK \
  node "$HERE/copydeps.mjs" "$P/packages/engine/node_modules" "$B/pl/node_modules" node-llama-cpp > /dev/null 2>&1
[ "${LIBSQL:-0}" = 0 ] || SKIP_PKGS=@libsql/linux-x64-musl,@libsql/darwin-arm64,@libsql/darwin-x64,@libsql/linux-arm64-gnu,@libsql/linux-arm64-musl,@libsql/win32-x64-msvc \
  node "$HERE/copydeps.mjs" "$(ls -d "$P"/node_modules/.pnpm/@libsql+client@*/node_modules | head -1)" "$B/pl/node_modules" libsql > /dev/null 2>&1
find "$B/pl/node_modules" \( -name "*.map" -o -name "*.d.ts" \) -delete
# CPU variants for pre-2013 x86 (ggml loads the best one the host supports; a datacenter GPU host has AVX2+): out,
# for room under the carry limit
for v in piledriver sandybridge ivybridge sse42; do rm -f "$B"/pl/node_modules/@node-llama-cpp/*/bins/*/libggml-cpu-$v.so; done
# 3. libggml-cuda.so: keep only the compute_90 PTX image (the one an sm_90 GPU can use); 159 MB → ~21 MB xz
C="$B/pl/node_modules/@node-llama-cpp/linux-x64-cuda/bins/linux-x64-cuda"
python3 "$HERE/fatbin.py" blank "$C/libggml-cuda.so" "$B/slim.so" 1 90 && mv "$B/slim.so" "$C/libggml-cuda.so"
# the CPU backends are the same files in all three packages: hard links, stored once by tar
CPU="$B/pl/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
for d in "$C" "$B/pl/node_modules/@node-llama-cpp/linux-x64-vulkan/bins/linux-x64-vulkan"; do
  [ -d "$d" ] || continue
  for f in "$d"/*; do g="$CPU/$(basename "$f")"; [ -f "$g" ] && cmp -s "$f" "$g" && ln -f "$g" "$f"; done
done
# 4. model and bench scripts
mkdir -p "$B/pl/bench"; cp "$P/tooling/tiny-model/model/tiny.gguf" "$B/pl/"
cp "$HERE"/raw.mjs "$HERE"/client.mjs "$HERE"/probe.mjs "$HERE"/table.mjs "$B/pl/bench/"
(cd "$B" && tar -cf - pl | xz $XZ -T0 > "$OUTDIR/pl.tar.xz")
# 5. node itself (stripped, xz), the PTX relabel shim (a measuring device for the JIT step) and the libzstd it loads
strip -o "$B/node" "$(command -v node)"; xz $XZ -T0 -c "$B/node" > "$OUTDIR/node.xz"
gcc -O2 -Wall -fPIC -shared -o "$OUTDIR/ptxfix.so" "$HERE/ptxfix.c" -ldl
cp -L "$(ldconfig -p | awk '/libzstd.so.1 .*x86-64/ {print $NF; exit}')" "$OUTDIR/libzstd.so.1"
rm -rf "$B"; ls -la "$OUTDIR"; du -sh "$OUTDIR"
SIZE=$(du -sm "$OUTDIR" | cut -f1); [ "$SIZE" -lt 64 ] || echo "WARNING: ${SIZE} MiB: over the 64 MiB a carried folder may hold"
