// The GPU check's benchmark (bench/gpu-check.sh runs it from the bundle bench/gpu-bundle.mjs
// builds; from the sources: npx tsx bench/gpu.bench.ts ...). bench:train's policy-gradient step
// and KV-cached sampling at a chosen shape, on each backend named, with webgpu/wasm ratios.
//   --adapter                       report the WebGPU adapter and whether tfjs-node-gpu loads, then stop
//   --shape L,D,H,T,B[,P]           layers, width, heads, context, sequences a step (B×G), prompt (default 2,128,4,64,32,8)
//   --backends webgpu,wasm          in this order
//   --steps N                       timed steps per backend after one untimed (default 3)
//   --sample-new N                  new tokens a sequence in the sampling figure (default T − P)
// The backend packages are imported here, not by name, so that a bundle carries them with the one
// copy of tfjs it holds (backend.ts, provideBackendModules).
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as wasm from '@tensorflow/tfjs-backend-wasm'
import * as webgpu from '@tensorflow/tfjs-backend-webgpu'
import { provideBackendModules, type BackendName } from '../src/engine/backend'
import { adapterLabel, configuredVulkanDrivers, prepareVulkanDrivers, probeAdapter } from '../src/engine/webgpuAdapter'
import { measureBackend, report, type Measured } from './trainStep'

const args = process.argv.slice(2)
const opt = (name: string, d: string) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : d
}

// In the bundle the .wasm files lie in wasm/ beside it; from the sources the package's dist is used.
const here = path.dirname(fileURLToPath(import.meta.url))
const wasmDir = path.join(here, 'wasm')
provideBackendModules(
  { '@tensorflow/tfjs-backend-wasm': wasm, '@tensorflow/tfjs-backend-webgpu': webgpu },
  existsSync(path.join(wasmDir, 'tfjs-backend-wasm.wasm')) ? { wasmDir } : {}
)

async function adapterReport(): Promise<void> {
  const drivers = configuredVulkanDrivers()
  console.log(`Vulkan drivers configured: ${drivers.length ? drivers.join(', ') : 'none'}`)
  const note = prepareVulkanDrivers(true)
  if (note) console.log(`  ${note}`)
  try {
    const a = await probeAdapter()
    console.log(`WebGPU adapter: ${adapterLabel(a)} (vendor ${a.vendor || '?'}, architecture ${a.architecture || '?'}, device ${a.device || '?'}, description ${a.description || '?'})`)
  } catch (e) {
    console.log(`WebGPU adapter: none: ${(e as Error).message}`)
  }
  try {
    const name = '@tensorflow/tfjs-node-gpu'
    await import(/* @vite-ignore */ name)
    console.log('tfjs-node-gpu: loads')
  } catch (e) {
    console.log(`tfjs-node-gpu: does not load: ${(e as Error).message.split('\n')[0]}`)
  }
}

async function main(): Promise<void> {
  if (args.includes('--adapter')) return adapterReport()
  const [layers, d, heads, t, batch, prompt = 8] = opt('shape', '2,128,4,64,32,8').split(',').map(Number)
  const shape = { layers, d, heads, t, vocab: 64, batch, prompt }
  if (![layers, d, heads, t, batch, prompt].every((x) => Number.isInteger(x) && x > 0) || d % heads !== 0 || prompt >= t) {
    throw new Error(`--shape ${opt('shape', '')}: expected L,D,H,T,B[,P], positive integers with D divisible by H and P < T`)
  }
  const steps = Number(opt('steps', '3'))
  const sampleNew = args.includes('--sample-new') ? Number(opt('sample-new', '0')) : undefined
  const backends = opt('backends', 'webgpu,wasm').split(',') as BackendName[]
  console.log(`shape: L ${layers}, D ${d}, H ${heads}, context ${t}, ${batch} sequences a step, prompt ${prompt}, vocab 64`)
  const results: Measured[] = []
  for (const b of backends) {
    try {
      const m = await measureBackend(b, shape, { steps, sampleNew })
      results.push(m)
      for (const line of report(m)) console.log(line)
    } catch (e) {
      console.log(`tfjs backend ${b}: failed: ${(e as Error).message.split('\n')[0]}`)
    }
  }
  const [first, ...rest] = results
  for (const o of rest) {
    console.log(`ratio ${first.info.name}/${o.info.name}: step time ${(first.stepS / o.stepS).toFixed(3)}, ` +
      `trained tokens/s ${(first.trainTokPerS / o.trainTokPerS).toFixed(2)}, sampling tokens/s ${(first.sampleTokPerS / o.sampleTokPerS).toFixed(2)}` +
      (first.sampleNew !== o.sampleNew ? ' (different sampling lengths)' : ''))
  }
}

main()
  .then(() => process.exit(0))
  .catch((e) => {
    console.error(e instanceof Error ? e.message : e)
    process.exit(1)
  })
