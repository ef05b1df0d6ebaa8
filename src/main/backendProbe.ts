import { probeBackend as probeEngine, type BackendProbe } from '../engine/backendProbe'
import { BACKENDS } from '../engine/config'
import type { BackendName } from '../engine/backend'

/**
 * The backend a training run would get, without loading tfjs (which takes seconds and, for the
 * tensorflow packages, a native library): a tensorflow package counts only when its native binding
 * is installed, and webgpu only on a hardware adapter, which Dawn is asked for in a short-lived
 * worker thread (src/engine/backendProbe.ts). The engine's selection confirms it at run start.
 * Asked once per process and choice: adapters do not come and go while the app runs.
 */
const cache = new Map<string, Promise<BackendProbe>>()

export function probeBackend(forced?: string): Promise<BackendProbe> {
  const key = forced ?? 'auto'
  let p = cache.get(key)
  if (!p) {
    const name = forced && (BACKENDS as readonly string[]).includes(forced) && forced !== 'auto' ? (forced as BackendName) : undefined
    p = probeEngine(name)
    cache.set(key, p)
  }
  return p
}
