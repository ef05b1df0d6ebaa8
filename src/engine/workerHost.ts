import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { WorkerCommand, WorkerEvent } from './protocol'
import { prepareVulkanDrivers } from './webgpuAdapter'

// Starts a training worker thread and talks to it with the protocol's messages. Loads no tfjs in
// the calling thread.

export interface TrainingWorker {
  send(cmd: WorkerCommand): void
  /** Resolves with the exit code once the worker has stopped. */
  readonly exited: Promise<number>
  terminate(): Promise<number>
}

/**
 * The worker's entry file, and, when running from TypeScript sources (tsx, vitest), a small
 * CommonJS bootstrap that registers tsx's loader inside the worker before importing it: Node 20
 * does not carry `--import tsx` from execArgv into worker threads.
 */
export function workerEntry(): { path: string; bootstrap: string | null } {
  const here = import.meta.url
  const fromSource = here.endsWith('.ts')
  // Bundles: worker.js beside the app's main process, worker.mjs beside the CLI's (out/cli).
  const path = fileURLToPath(new URL(fromSource ? './worker.ts' : here.endsWith('.mjs') ? './worker.mjs' : './worker.js', here))
  if (!fromSource) return { path, bootstrap: null }
  // tsx's ESM API registers its hooks for this thread (its `--import` entry skips worker threads).
  const tsxDir = dirname(createRequire(here).resolve('tsx/package.json'))
  const api = pathToFileURL(join(tsxDir, 'dist', 'esm', 'api', 'index.mjs')).href
  const bootstrap = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(pathToFileURL(path).href)}) })`
  return { path, bootstrap }
}

export function startTrainingWorker(
  start: Extract<WorkerCommand, { type: 'start' }>,
  onEvent: (e: WorkerEvent) => void,
  onExit?: (code: number, error: Error | null) => void
): TrainingWorker {
  const entry = workerEntry()
  // The Vulkan loader reads its variables from the process environment, which only this thread
  // can change (a worker's process.env is a copy): set them before the worker starts Dawn.
  const c = start.config as { backend?: unknown } | null
  prepareVulkanDrivers(typeof c === 'object' && c !== null && c.backend === 'webgpu')
  const worker = entry.bootstrap ? new Worker(entry.bootstrap, { eval: true }) : new Worker(entry.path)
  let failure: Error | null = null
  worker.on('message', (m: WorkerEvent) => onEvent(m))
  worker.on('error', (e) => {
    failure = e
  })
  const exited = new Promise<number>((resolve) => {
    worker.on('exit', (code) => {
      onExit?.(code, failure)
      resolve(code)
    })
  })
  worker.postMessage(start)
  return {
    send: (cmd) => worker.postMessage(cmd),
    exited,
    terminate: () => worker.terminate()
  }
}
