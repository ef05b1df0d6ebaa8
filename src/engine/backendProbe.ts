import { existsSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import type { BackendName } from './backend'
import { adapterLabel, prepareVulkanDrivers, probeAdapter, type AdapterInfo } from './webgpuAdapter'

// Which backend selectBackend('auto') would pick, without loading tfjs (seconds) or a tensorflow
// native library. A tensorflow package counts only when its native binding was actually installed:
// the package folder alone exists wherever npm skipped or failed the libtensorflow download.

const requireHere = createRequire(import.meta.url)

function hasBinding(pkg: string): boolean {
  try {
    const dir = path.dirname(requireHere.resolve(`${pkg}/package.json`))
    const lib = path.join(dir, 'lib')
    if (!existsSync(lib)) return false
    return readdirSync(lib).some((d) => d.startsWith('napi-v') && existsSync(path.join(lib, d, 'tfjs_binding.node')))
  } catch {
    return false
  }
}

function resolves(pkg: string): boolean {
  try {
    requireHere.resolve(pkg)
    return true
  } catch {
    return false
  }
}

export interface BackendProbe {
  name: BackendName
  /** The WebGPU adapter (webgpu only). */
  adapter: AdapterInfo | null
  /** Why each better backend would be skipped. */
  skipped: { name: BackendName; reason: string }[]
  note: string | null
}

/**
 * What selectBackend would choose, in its order, without loading tfjs: for webgpu Dawn is asked
 * for its adapter in a worker thread (a few milliseconds), and a software adapter counts only when
 * webgpu is forced. A forced backend is reported as it is; the run's start confirms it.
 */
export async function probeBackend(forced?: BackendName): Promise<BackendProbe> {
  const skipped: BackendProbe['skipped'] = []
  if (forced === 'webgpu') {
    const note = prepareVulkanDrivers(true)
    try {
      const adapter = await probeAdapter()
      return { name: 'webgpu', adapter, skipped, note: adapter.software ? [note, 'a software adapter, an emulator of a GPU on the CPU'].filter(Boolean).join('; ') : note }
    } catch (e) {
      return { name: 'webgpu', adapter: null, skipped, note: `webgpu will not start: ${(e as Error).message}` }
    }
  }
  if (forced) return { name: forced, adapter: null, skipped, note: null }
  if (hasBinding('@tensorflow/tfjs-node-gpu')) return { name: 'tensorflow-gpu', adapter: null, skipped, note: null }
  skipped.push({ name: 'tensorflow-gpu', reason: 'the @tensorflow/tfjs-node-gpu native binding is not installed' })
  try {
    const adapter = await probeAdapter()
    if (!adapter.software) return { name: 'webgpu', adapter, skipped, note: null }
    skipped.push({ name: 'webgpu', reason: `only a software adapter was found (${adapterLabel(adapter)}); auto never trains on an emulator` })
  } catch (e) {
    skipped.push({ name: 'webgpu', reason: (e as Error).message })
  }
  if (hasBinding('@tensorflow/tfjs-node')) return { name: 'tensorflow', adapter: null, skipped, note: null }
  skipped.push({ name: 'tensorflow', reason: 'the @tensorflow/tfjs-node native binding is not installed' })
  if (resolves('@tensorflow/tfjs-backend-wasm')) return { name: 'wasm', adapter: null, skipped, note: null }
  skipped.push({ name: 'wasm', reason: '@tensorflow/tfjs-backend-wasm is not installed' })
  return { name: 'cpu', adapter: null, skipped, note: null }
}
