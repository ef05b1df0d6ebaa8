import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** tfjs backends in the order the trainer prefers them; the first whose package resolves wins. */
const PREFERENCE: readonly { name: string; pkg: string }[] = [
  { name: 'tensorflow-gpu', pkg: '@tensorflow/tfjs-node-gpu' },
  { name: 'tensorflow', pkg: '@tensorflow/tfjs-node' },
  { name: 'wasm', pkg: '@tensorflow/tfjs-backend-wasm' }
]

/**
 * The backend a training run would get, without loading tfjs (which takes seconds and, for the
 * tensorflow packages, a native library). The engine's own selection confirms it at run start.
 */
export function probeBackend(forced?: string): string {
  if (forced) return forced
  for (const b of PREFERENCE) {
    try {
      require.resolve(b.pkg)
      return b.name
    } catch {
      // not installed: try the next one
    }
  }
  return 'cpu'
}
