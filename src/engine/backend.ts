import { createRequire } from 'node:module'
import path from 'node:path'
import type { BackendChoice } from './config'
import { tf } from './tf'
import { adapterLabel, backendLine, findAdapter, prepareVulkanDrivers, type AdapterInfo, type FoundAdapter } from './webgpuAdapter'

// Backend selection: the best tfjs backend that loads, in the order tensorflow with GPU, webgpu
// on a hardware adapter, tensorflow CPU, wasm, cpu. The tensorflow bindings are optional
// dependencies that need a downloaded libtensorflow (CUDA 11.2 / cuDNN 8.1 for the GPU one), and
// `webgpu` (Dawn) is optional too: all are loaded by name at run time and a failure moves on.

export type BackendName = Exclude<BackendChoice, 'auto'>

export interface BackendInfo {
  /** What ran: `tensorflow-gpu`, `webgpu`, `tensorflow`, `wasm` or `cpu`. */
  name: BackendName
  /** tfjs's own name for it (`tensorflow`, `webgpu`, `wasm`, `cpu`). */
  tfName: string
  /** Why each better backend was skipped. */
  skipped: { name: BackendName; reason: string }[]
  /** The WebGPU adapter that trains (webgpu only). */
  adapter: AdapterInfo | null
  /** What the user should know about the choice (an emulator, a driver chosen for them). */
  note: string | null
}

export interface SelectOptions {
  /** Finds the WebGPU adapter; tests replace Dawn with a stand-in. */
  findAdapter?: () => Promise<FoundAdapter>
  /** Choose again even if a backend was already selected in this thread. */
  fresh?: boolean
}

const ORDER: BackendName[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']
const requireHere = createRequire(import.meta.url)

let current: BackendInfo | null = null
// Backends already started in this thread, by name: switching back must not start one again (for
// webgpu that would drop the device and every tensor on it).
const started = new Map<BackendName, BackendInfo>()

// Backend packages handed in by a bundle that carries its own copy of tfjs (bench/gpu-bundle.mjs):
// loaded by name they would bring a second tfjs-core, on which their kernels would be invisible.
const provided = new Map<string, unknown>()
let wasmDir: string | null = null

export function provideBackendModules(mods: Record<string, unknown>, opts: { wasmDir?: string } = {}): void {
  for (const [k, v] of Object.entries(mods)) provided.set(k, v)
  if (opts.wasmDir) wasmDir = opts.wasmDir
}

async function importByName(name: string): Promise<unknown> {
  if (provided.has(name)) return provided.get(name)
  // A variable specifier keeps bundlers and tsc from resolving a package that may be absent.
  return import(/* @vite-ignore */ name)
}

interface Loaded {
  tfName: string
  adapter?: AdapterInfo
  note?: string | null
}

// The WebGPU limits tfjs's own factory asks for (tfjs-backend-webgpu base.ts): the adapter's.
const LIMITS = [
  'maxComputeWorkgroupStorageSize', 'maxComputeWorkgroupsPerDimension', 'maxStorageBufferBindingSize',
  'maxBufferSize', 'maxComputeWorkgroupSizeX', 'maxComputeInvocationsPerWorkgroup'
]

async function startWebgpu(forced: boolean, opts: SelectOptions): Promise<Loaded> {
  const driverNote = prepareVulkanDrivers(forced)
  const found = await (opts.findAdapter ?? findAdapter)()
  const label = adapterLabel(found.adapter)
  if (found.adapter.software && !forced) {
    throw new Error(`only a software adapter was found (${label}); auto never trains on an emulator (--backend webgpu forces it)`)
  }
  const g = globalThis as Record<string, unknown>
  for (const [k, v] of Object.entries(found.globals)) if (!(k in g)) g[k] = v
  const nav = (g.navigator ?? (g.navigator = {})) as Record<string, unknown>
  Object.defineProperty(nav, 'gpu', { value: found.gpu, configurable: true, writable: true })
  const mod = (await importByName('@tensorflow/tfjs-backend-webgpu')) as {
    WebGPUBackend: new (device: unknown, info: unknown) => import('@tensorflow/tfjs').KernelBackend
  }
  // Our own factory instead of the one the package registers on import: it uses the adapter found
  // above (the one reported) and asks for no optional features (tfjs 4.22 passes one of them as an
  // array, which a strict WebIDL check may reject).
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu')
  tf.registerBackend('webgpu', async () => {
    const requiredLimits: Record<string, number> = {}
    for (const k of LIMITS) if (found.raw.limits[k] !== undefined) requiredLimits[k] = found.raw.limits[k]
    const device = await found.raw.requestDevice({ requiredFeatures: [], requiredLimits })
    return new mod.WebGPUBackend(device, found.raw.info)
  })
  if (!(await tf.setBackend('webgpu'))) throw new Error(`backend webgpu did not initialise on ${label}`)
  const notes = [driverNote, found.adapter.software ? 'a software adapter, an emulator of a GPU on the CPU: it trains correctly but slowly' : null]
  return { tfName: 'webgpu', adapter: found.adapter, note: notes.filter(Boolean).join('; ') || null }
}

async function tryBackend(name: BackendName, forced: boolean, opts: SelectOptions): Promise<Loaded> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      await importByName(name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node')
      // Both bindings register as 'tensorflow'; a GPU build that found no GPU still runs on CPU.
      if (!(await tf.setBackend('tensorflow'))) throw new Error('backend tensorflow did not initialise')
      return { tfName: 'tensorflow' }
    }
    case 'webgpu':
      return startWebgpu(forced, opts)
    case 'wasm': {
      const wasm = (await importByName('@tensorflow/tfjs-backend-wasm')) as {
        setWasmPaths(prefix: string): void
      }
      // On Node the .wasm binaries are read from the package's dist folder.
      const dir = wasmDir ?? path.dirname(requireHere.resolve('@tensorflow/tfjs-backend-wasm'))
      wasm.setWasmPaths(dir + path.sep)
      if (!(await tf.setBackend('wasm'))) throw new Error('backend wasm did not initialise')
      return { tfName: 'wasm' }
    }
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) throw new Error('backend cpu did not initialise')
      return { tfName: 'cpu' }
  }
}

/**
 * Selects a backend: `auto` walks the preference order; a named one must load or this throws.
 * Selecting again with the same choice reuses the loaded backend.
 */
export async function selectBackend(choice: BackendChoice = 'auto', opts: SelectOptions = {}): Promise<BackendInfo> {
  if (current && !opts.fresh && (choice === 'auto' || choice === current.name)) return current
  const again = choice !== 'auto' && !opts.fresh ? started.get(choice) : undefined
  if (again && (await tf.setBackend(again.tfName))) {
    current = again
    return again
  }
  const candidates = choice === 'auto' ? ORDER : [choice]
  const skipped: BackendInfo['skipped'] = []
  for (const name of candidates) {
    try {
      const loaded = await tryBackend(name, choice !== 'auto', opts)
      await tf.ready()
      current = { name, tfName: loaded.tfName, skipped, adapter: loaded.adapter ?? null, note: loaded.note ?? null }
      // Asked for by name later, it was not chosen over anything.
      started.set(name, { ...current, skipped: [] })
      return current
    } catch (e) {
      skipped.push({ name, reason: e instanceof Error ? e.message.split('\n')[0] : String(e) })
    }
  }
  const why = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')
  throw new Error(`no tfjs backend could be loaded (${why})`)
}

export function currentBackend(): BackendInfo | null {
  return current
}

/** One line for logs and the CLI: the backend, its adapter, and why better ones were skipped. */
export function describeBackend(info: BackendInfo): string {
  return backendLine(info.name, info)
}
