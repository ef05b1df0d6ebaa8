#!/usr/bin/env bash
# The GPU check of the webgpu backend (issue 17), for a machine with a GPU and no network. It runs
# from the self-contained folder that bench/gpu-bundle.mjs builds (about 21 MB: the benchmark
# bundled with tfjs, the wasm files, Dawn's linux-x64 dawn.node, the Vulkan loader's .deb):
#   node bench/gpu-bundle.mjs             # where node_modules is installed: builds out/gpu-check/
#   bash out/gpu-check/gpu-check.sh        # on the GPU machine (the device tool: carry out/gpu-check)
#   bash out/gpu-check/gpu-check.sh --small   # tiny shapes: proves the bundle on SwiftShader, no GPU
# It reports the Vulkan/WebGPU adapter and whether tfjs-node-gpu loads, then times bench:train's
# step and sampling on webgpu and on wasm at the default shape and at a larger one, with ratios.
# Each phase has its own time limit so that the whole check stays under 5 minutes.
set -uo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
if [ ! -f "$dir/gpu-bench.mjs" ]; then
  echo "gpu-check.sh runs from the bundle: node bench/gpu-bundle.mjs, then bash out/gpu-check/gpu-check.sh" >&2
  exit 2
fi
small=0
[ "${1:-}" = "--small" ] && small=1
t0=$(date +%s)
phase() { echo; echo "== $1 ($(( $(date +%s) - t0 )) s)"; }

phase machine
echo "$(uname -sm), node $(node --version), $(nproc) cores"
nvidia-smi -L 2>/dev/null || echo "nvidia-smi: not found"

# Dawn opens libvulkan.so.1 itself. The device notes' recipe: where ldconfig knows no Vulkan
# loader, unpack the carried Debian package into / (as root) and refresh the linker cache.
phase "Vulkan loader"
if ldconfig -p | grep 'libvulkan\.so\.1 ' >/dev/null; then
  echo "installed: $(ldconfig -p | grep 'libvulkan\.so\.1 ' | head -1 | sed 's/.*=> //')"
elif [ "$(id -u)" = 0 ] && ls "$dir"/debs/*.deb >/dev/null 2>&1; then
  for f in "$dir"/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
  echo "unpacked from the bundle: $(ls "$dir"/debs)"
else
  echo "none installed, and none unpacked (needs root and the bundle's debs/)"
fi
# The NVIDIA container runtime may mount the driver's Vulkan ICD outside the loader's search path.
nv=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ] && [ -f "$nv" ] && ! ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json >/dev/null 2>&1; then
  export VK_DRIVER_FILES=$nv
  echo "VK_DRIVER_FILES=$nv"
fi

phase "WebGPU adapter and tfjs-node-gpu"
timeout 60 node "$dir/gpu-bench.mjs" --adapter || echo "adapter report failed (exit $?)"

if [ "$small" = 1 ]; then
  shapes=("1,16,2,16,4,8" "1,32,2,24,8,8"); steps=(1 1); news=(4 4); limits=(240 240)
else
  # bench:train's reference shape; then L 4, D 256, context 128, B 16 × G 8 sequences.
  shapes=("2,128,4,64,32,8" "4,256,4,128,128,8"); steps=(5 2); news=(56 16); limits=(100 150)
fi
for i in 0 1; do
  phase "shape ${shapes[$i]} (L,D,H,T,B,P): webgpu, then wasm"
  timeout "${limits[$i]}" node "$dir/gpu-bench.mjs" --shape "${shapes[$i]}" --backends webgpu,wasm --steps "${steps[$i]}" --sample-new "${news[$i]}" \
    || echo "stopped (exit $?; 124 = over its ${limits[$i]} s limit)"
done
phase done
