import { createBackend, type Backend } from '../main/backend'
import type { Channel, Req, Res } from '../shared/contract'
import { ApiError } from '../shared/errors'
import { defaultDbPath } from './paths'

/** The CLI calls the same handlers as the app, in process, through the same validation. */
export async function call<C extends Channel>(backend: Backend, channel: C, req: Req<C>): Promise<Res<C>> {
  const result = await backend.invoke(channel, req)
  if (!result.ok) throw new ApiError(result.error.code, result.error.message, result.error.field)
  return result.value as Res<C>
}

export async function withBackend<T>(db: string | undefined, fn: (backend: Backend) => Promise<T>): Promise<T> {
  const backend = createBackend(db ?? defaultDbPath(), { transport: 'cli' })
  try {
    return await fn(backend)
  } finally {
    backend.close()
  }
}
