import { probeBackendName } from '../engine/backendProbe'

/**
 * The backend a training run would get, without loading tfjs (which takes seconds and, for the
 * tensorflow packages, a native library). A tensorflow package counts only when its native
 * binding is installed (src/engine/backendProbe.ts); the engine's selection confirms it at run start.
 */
export function probeBackend(forced?: string): string {
  return forced ?? probeBackendName()
}
