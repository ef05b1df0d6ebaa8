import { ApiError, type ApiResult } from '../shared/errors'
import { parseRequest } from '../shared/validate'
import type { Channel } from '../shared/contract'
import type { BackendContext } from './context'
import { handlers } from './handlers'
import { StoreError } from './store'
import type { Handler } from './handlers/types'
import { deeperThan, MAX_REQUEST_DEPTH } from './depth'

/**
 * The one entry point of every transport: validate the request against the contract, run the
 * handler, and turn any failure into a typed error. Never throws, so one bad call cannot take the
 * process down.
 */
export async function dispatch(ctx: BackendContext, channel: string, raw: unknown): Promise<ApiResult<unknown>> {
  try {
    if (deeperThan(raw, MAX_REQUEST_DEPTH)) throw new ApiError('invalid_argument', `${channel}: the request nests deeper than ${MAX_REQUEST_DEPTH} levels`)
    const req = parseRequest(channel, raw)
    const handler = handlers[channel as Channel] as Handler<Channel>
    const value = await handler(req as never, ctx)
    return { ok: true, value }
  } catch (err) {
    return { ok: false, error: toApiError(err).toJSON() }
  }
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err
  if (err instanceof StoreError) return new ApiError('unavailable', err.message)
  const code = (err as { code?: string }).code
  if (typeof code === 'string' && code.startsWith('SQLITE_READONLY')) {
    return new ApiError('unavailable', 'the workspace is read-only here (its file or folder cannot be written): it can be read, but changes are refused')
  }
  if (typeof code === 'string' && code.startsWith('SQLITE_')) {
    return new ApiError(code === 'SQLITE_BUSY' ? 'unavailable' : 'internal', `database error: ${(err as Error).message}`)
  }
  console.error('handler failed:', err)
  return new ApiError('internal', err instanceof Error ? err.message : String(err))
}
