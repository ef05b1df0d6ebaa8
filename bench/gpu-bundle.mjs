// Builds the self-contained GPU check folder (default out/gpu-check/, about 21 MB) for a machine
// with no network where only a few tens of MB travel (node_modules is about 540 MB):
//   gpu-bench.mjs            bench/gpu.bench.ts bundled with tfjs and its wasm and webgpu backends
//   wasm/*.wasm              the wasm backend's binaries
//   node_modules/webgpu/     Dawn's Node bindings: index.js and the linux-x64 dawn.node only
//   node_modules/@tensorflow/tfjs-node-gpu/   only where it is installed with its native binding
//   debs/libvulkan1_*.deb    the Vulkan loader, for a machine without one (gpu-check.sh unpacks it)
//   gpu-check.sh             the check itself
// Usage: node bench/gpu-bundle.mjs [--out DIR] [--no-debs]
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const outIdx = args.indexOf('--out')
const out = outIdx >= 0 ? args[outIdx + 1] : join(root, 'out', 'gpu-check')
const require = createRequire(join(root, 'package.json'))
const pkgDir = (name) => dirname(require.resolve(`${name}/package.json`))

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })

await build({
  absWorkingDir: root,
  entryPoints: ['bench/gpu.bench.ts'],
  outfile: join(out, 'gpu-bench.mjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Dawn loads dawn.node from beside its own index.js, and the tensorflow bindings are native:
  // those stay packages, found in the folder's node_modules.
  external: ['webgpu', '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'],
  // tfjs's CommonJS modules use require and __dirname (the wasm backend's loader), which an ES
  // module bundle lacks.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; import { fileURLToPath as __fileURLToPath } from 'node:url'; " +
      "const require = __createRequire(import.meta.url); const __filename = __fileURLToPath(import.meta.url); const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));"
  },
  logLevel: 'warning'
})

const wasmDist = join(pkgDir('@tensorflow/tfjs-backend-wasm'), 'dist')
mkdirSync(join(out, 'wasm'))
for (const f of readdirSync(wasmDist)) if (f.endsWith('.wasm')) cpSync(join(wasmDist, f), join(out, 'wasm', f))

const dawn = pkgDir('webgpu')
const dawnOut = join(out, 'node_modules', 'webgpu')
mkdirSync(join(dawnOut, 'dist', 'linux-x64'), { recursive: true })
for (const f of ['package.json', 'index.js', 'LICENSE.md']) if (existsSync(join(dawn, f))) cpSync(join(dawn, f), join(dawnOut, f))
cpSync(join(dawn, 'dist', 'linux-x64', 'dawn.node'), join(dawnOut, 'dist', 'linux-x64', 'dawn.node'))

let gpuPkg = null
try {
  gpuPkg = pkgDir('@tensorflow/tfjs-node-gpu')
} catch {
  // not installed
}
if (gpuPkg && existsSync(join(gpuPkg, 'lib'))) {
  cpSync(gpuPkg, join(out, 'node_modules', '@tensorflow', 'tfjs-node-gpu'), { recursive: true })
  console.log('carried @tensorflow/tfjs-node-gpu')
} else {
  console.log('@tensorflow/tfjs-node-gpu is not installed with its binding here (its install downloads libtensorflow from outside the npm registry): not carried, the check will say it does not load')
}

if (!args.includes('--no-debs')) {
  // The device notes' recipe for the loader, amd64 whatever this processor is.
  const lists = '/tmp/gpu-bundle-apt-amd64'
  mkdirSync(join(lists, 'partial'), { recursive: true })
  const o = ['-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64', `-oDir::State::Lists=${lists}`]
  mkdirSync(join(out, 'debs'))
  try {
    execFileSync('apt-get', [...o, 'update', '-qq'], { stdio: 'inherit' })
    execFileSync('apt-get', [...o, 'download', 'libvulkan1'], { cwd: join(out, 'debs'), stdio: 'inherit' })
  } catch (e) {
    console.log(`the Vulkan loader's .deb could not be downloaded (${e.message.split('\n')[0]}): the check then needs a machine that has libvulkan1`)
  }
}

cpSync(join(root, 'bench', 'gpu-check.sh'), join(out, 'gpu-check.sh'))

const size = (p) => (statSync(p).isDirectory() ? readdirSync(p).reduce((s, f) => s + size(join(p, f)), 0) : statSync(p).size)
console.log(`${out}: ${(size(out) / 2 ** 20).toFixed(1)} MiB`)
