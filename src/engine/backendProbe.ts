import { existsSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import type { BackendName } from './backend'

// Which backend selectBackend('auto') would pick, without loading tfjs (seconds) or a native
// library. A tensorflow package counts only when its native binding was actually installed: the
// package folder alone exists wherever npm skipped or failed the libtensorflow download.

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

export function probeBackendName(): BackendName {
  if (hasBinding('@tensorflow/tfjs-node-gpu')) return 'tensorflow-gpu'
  if (hasBinding('@tensorflow/tfjs-node')) return 'tensorflow'
  if (resolves('@tensorflow/tfjs-backend-wasm')) return 'wasm'
  return 'cpu'
}
