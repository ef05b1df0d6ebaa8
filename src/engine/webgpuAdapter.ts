import { existsSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { isMainThread, Worker } from 'node:worker_threads'
import path from 'node:path'
import type { AdapterInfo, BackendDetail } from './protocol'

// WebGPU in Node through Dawn's bindings (npm `webgpu`, an optional dependency loaded by name).
// No tfjs here: the back end asks for the adapter (app/info) without loading the engine.
// On Linux Dawn reaches the GPU through Vulkan: the Vulkan loader (libvulkan.so.1) plus a driver
// (an ICD) for the GPU; Metal on macOS, D3D12 on Windows.

export type { AdapterInfo }

export interface DawnAdapter {
  requestDevice(desc?: unknown): Promise<unknown>
  limits: Record<string, number>
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean }
  isFallbackAdapter?: boolean
}
export interface DawnGpu {
  requestAdapter(opts?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<DawnAdapter | null>
}
interface DawnModule {
  create(flags: string[]): DawnGpu
  globals: Record<string, unknown>
}

/** Debian's chromium ships SwiftShader's Vulkan driver, which Dawn accepts (Debian 12's lavapipe is too old). */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json'
const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|software/i

// Where the Vulkan loader looks for drivers when no variable names them (Khronos loader docs).
function icdDirs(): string[] {
  const config = (process.env.XDG_CONFIG_DIRS || '/etc/xdg').split(':')
  const data = (process.env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':')
  const dirs = [...config, '/etc', ...data, '/usr/local/share', '/usr/share']
  if (process.env.HOME) dirs.push(path.join(process.env.HOME, '.local/share'))
  return [...new Set(dirs.map((d) => path.join(d, 'vulkan', 'icd.d')))]
}

/** The Vulkan drivers the loader would find by itself: `VK_*` variables, else the ICD folders. */
export function configuredVulkanDrivers(): string[] {
  const named = [process.env.VK_ICD_FILENAMES, process.env.VK_DRIVER_FILES, process.env.VK_ADD_DRIVER_FILES]
    .filter((v): v is string => !!v)
    .flatMap((v) => v.split(':'))
    .filter(Boolean)
  if (named.length > 0) return named
  const found: string[] = []
  for (const dir of icdDirs()) {
    try {
      for (const f of readdirSync(dir)) if (f.endsWith('.json')) found.push(path.join(dir, f))
    } catch {
      // no such folder
    }
  }
  return found
}

/** The Vulkan loader itself; without it Dawn has no Vulkan at all. */
export function vulkanLoaderFound(): boolean {
  if (process.platform !== 'linux') return true
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    '/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu',
    '/usr/lib64', '/lib64', '/usr/lib', '/lib', '/usr/local/lib'
  ]
  return dirs.some((d) => existsSync(path.join(d, 'libvulkan.so.1')))
}

/**
 * For a forced `webgpu` on Linux with no Vulkan driver configured at all, points the loader at
 * chromium's SwiftShader: that is what lets CI and GPU-less machines run the WebGPU path. Only
 * then: VK_ICD_FILENAMES replaces the loader's whole driver search, so setting it where a driver
 * exists would hide the GPU, and `auto` never uses an emulator anyway. The variable is read by the
 * loader when Dawn creates its Vulkan instance, through the process's real environment, which a
 * worker thread's `process.env` (a copy) does not reach: the thread that starts a training worker
 * calls this first (workerHost.ts). Returns a note when it set the variable.
 */
// Marks VK_ICD_FILENAMES as ours (SwiftShader chosen here), so a worker can still say so.
const SET_BY_US = 'HICRA_VK_ICD_SET'

export function prepareVulkanDrivers(forcedWebgpu: boolean): string | null {
  if (!forcedWebgpu || process.platform !== 'linux') return null
  const note = `no Vulkan driver is installed: using chromium's SwiftShader (${SWIFTSHADER_ICD})`
  // Set by this function earlier, in this thread or the one that started this worker.
  if (process.env[SET_BY_US] === SWIFTSHADER_ICD && process.env.VK_ICD_FILENAMES === SWIFTSHADER_ICD) return note
  if (configuredVulkanDrivers().length > 0) return null
  if (!existsSync(SWIFTSHADER_ICD)) return null
  if (!isMainThread) return null
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD
  process.env[SET_BY_US] = SWIFTSHADER_ICD
  return note
}

async function loadDawn(): Promise<DawnModule> {
  const name = 'webgpu'
  try {
    // A variable specifier keeps bundlers and tsc from resolving an optional package.
    return (await import(/* @vite-ignore */ name)) as DawnModule
  } catch (e) {
    throw new Error(`the webgpu package (Dawn) did not load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`)
  }
}

export interface FoundAdapter {
  gpu: DawnGpu
  /** Dawn's WebGPU classes and constants (GPUBufferUsage, …), which tfjs expects as globals. */
  globals: Record<string, unknown>
  raw: DawnAdapter
  adapter: AdapterInfo
}

type RawInfo = NonNullable<DawnAdapter['info']>

function describe(a: { info?: RawInfo; isFallbackAdapter?: boolean }): AdapterInfo {
  const i = a.info ?? {}
  const text = `${i.vendor ?? ''} ${i.architecture ?? ''} ${i.device ?? ''} ${i.description ?? ''}`
  return {
    vendor: i.vendor ?? '',
    architecture: i.architecture ?? '',
    device: i.device ?? '',
    description: i.description ?? '',
    software: i.isFallbackAdapter === true || a.isFallbackAdapter === true || SOFTWARE.test(text)
  }
}

/** One line naming an adapter, as the CLI and the app show it. */
export function adapterLabel(a: AdapterInfo): string {
  const parts = [a.vendor, a.architecture, a.description].filter(Boolean)
  return `${parts.join(' / ') || 'unnamed adapter'}${a.software ? ' (software emulator, not a GPU)' : ''}`
}

/** One line for logs and the CLI: the backend, its adapter, a note, and why better ones were skipped. */
export function backendLine(name: string, d: BackendDetail): string {
  const head = d.adapter ? `${name} on ${adapterLabel(d.adapter)}` : name
  return [head, d.note, ...d.skipped.map((s) => `${s.name} skipped: ${s.reason}`)].filter(Boolean).join('; ')
}

/**
 * Asks Dawn for its high-performance adapter. Throws with the reason when there is none: the
 * package missing, no Vulkan loader, no driver Dawn accepts.
 */
export async function findAdapter(): Promise<FoundAdapter> {
  if (!vulkanLoaderFound()) {
    throw new Error('no Vulkan loader (libvulkan.so.1) on this machine, so Dawn has no GPU to use (Debian: apt-get install libvulkan1)')
  }
  const dawn = await loadDawn()
  const gpu = dawn.create([])
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' })
  if (!adapter) throw new Error(noAdapterReason())
  return { gpu, globals: dawn.globals, raw: adapter, adapter: describe(adapter) }
}

function noAdapterReason(): string {
  const drivers = process.platform === 'linux' ? configuredVulkanDrivers() : []
  const where = process.platform !== 'linux' ? '' : drivers.length === 0
    ? ' (no Vulkan driver is installed)'
    : ` (Vulkan drivers present: ${drivers.map((d) => path.basename(d)).join(', ')}; Dawn accepted none)`
  return `Dawn found no WebGPU adapter${where}`
}

// Dawn in a short-lived worker thread: the back end (the app's main process, `hicra serve`) learns
// the adapter without keeping Dawn's threads and GPU instance in its own thread.
const PROBE = `const { parentPort, workerData } = require('node:worker_threads')
import(workerData.url).then(async (m) => {
  const a = await m.create([]).requestAdapter({ powerPreference: 'high-performance' })
  const i = a && a.info
  parentPort.postMessage(i ? { info: { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, isFallbackAdapter: i.isFallbackAdapter } } : { info: null })
}).catch((e) => parentPort.postMessage({ error: String((e && e.message) || e) }))`

/** The adapter findAdapter would get, asked for in a worker thread; throws with the reason when there is none. */
export async function probeAdapter(timeoutMs = 15_000): Promise<AdapterInfo> {
  let entry: string
  try {
    entry = createRequire(import.meta.url).resolve('webgpu')
  } catch {
    throw new Error('the webgpu package (Dawn) is not installed')
  }
  if (!vulkanLoaderFound()) {
    throw new Error('no Vulkan loader (libvulkan.so.1) on this machine, so Dawn has no GPU to use (Debian: apt-get install libvulkan1)')
  }
  const reply = await new Promise<{ info?: RawInfo | null; error?: string }>((resolve) => {
    const w = new Worker(PROBE, { eval: true, workerData: { url: pathToFileURL(entry).href } })
    const timer = setTimeout(() => {
      resolve({ error: `Dawn did not answer within ${timeoutMs / 1000} s` })
      void w.terminate()
    }, timeoutMs)
    w.once('message', (m: { info?: RawInfo | null; error?: string }) => {
      clearTimeout(timer)
      resolve(m)
      void w.terminate()
    })
    w.once('error', (e) => {
      clearTimeout(timer)
      resolve({ error: e.message })
    })
  })
  if (reply.error) throw new Error(`the webgpu package (Dawn) did not load: ${reply.error.split('\n')[0]}`)
  if (!reply.info) throw new Error(noAdapterReason())
  return describe({ info: reply.info })
}
