import { createRequire } from 'node:module'
import path from 'node:path'
import type { BackendChoice } from './config'
import { tf } from './tf'

// Backend selection: the best tfjs backend that loads, in the order tensorflow with GPU,
// tensorflow CPU, wasm, cpu. The tensorflow bindings are optional dependencies that need a
// downloaded libtensorflow, so they are loaded by name at run time and a failure just moves on.

export type BackendName = Exclude<BackendChoice, 'auto'>

export interface BackendInfo {
  /** What ran: `tensorflow-gpu`, `tensorflow`, `wasm` or `cpu`. */
  name: BackendName
  /** tfjs's own name for it (`tensorflow`, `wasm`, `cpu`). */
  tfName: string
  /** Why each better backend was skipped. */
  skipped: { name: BackendName; reason: string }[]
}

const ORDER: BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']
const requireHere = createRequire(import.meta.url)

let current: BackendInfo | null = null

async function importByName(name: string): Promise<unknown> {
  // A variable specifier keeps bundlers and tsc from resolving a package that may be absent.
  return import(/* @vite-ignore */ name)
}

async function tryBackend(name: BackendName): Promise<string> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      await importByName(name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node')
      // Both bindings register as 'tensorflow'; a GPU build that found no GPU still runs on CPU.
      if (!(await tf.setBackend('tensorflow'))) throw new Error('backend tensorflow did not initialise')
      return 'tensorflow'
    }
    case 'wasm': {
      const wasm = (await importByName('@tensorflow/tfjs-backend-wasm')) as {
        setWasmPaths(prefix: string): void
      }
      // On Node the .wasm binaries are read from the package's dist folder.
      const entry = requireHere.resolve('@tensorflow/tfjs-backend-wasm')
      wasm.setWasmPaths(path.dirname(entry) + path.sep)
      if (!(await tf.setBackend('wasm'))) throw new Error('backend wasm did not initialise')
      return 'wasm'
    }
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) throw new Error('backend cpu did not initialise')
      return 'cpu'
  }
}

/**
 * Selects a backend: `auto` walks the preference order; a named one must load or this throws.
 * Selecting again with the same choice reuses the loaded backend.
 */
export async function selectBackend(choice: BackendChoice = 'auto'): Promise<BackendInfo> {
  if (current && (choice === 'auto' || choice === current.name)) return current
  const candidates = choice === 'auto' ? ORDER : [choice]
  const skipped: BackendInfo['skipped'] = []
  for (const name of candidates) {
    try {
      const tfName = await tryBackend(name)
      await tf.ready()
      current = { name, tfName, skipped }
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
