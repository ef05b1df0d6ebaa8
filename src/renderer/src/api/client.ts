import type { ApiClient, Channel, Req, Res } from '../../../shared/contract'
import type { EventMap, EventName } from '../../../shared/events'
import { ApiError, isApiErrorShape, type ApiResult } from '../../../shared/errors'

function unwrap<T>(result: ApiResult<unknown>): T {
  if (result.ok) return result.value as T
  throw new ApiError(result.error.code, result.error.message, result.error.field)
}

/** Desktop: Electron IPC through the preload's window.api. */
function ipcClient(bridge: NonNullable<Window['api']>): ApiClient {
  return {
    invoke: async (channel, req) => unwrap(await bridge.invoke(channel, req)),
    on: (event, listener) => bridge.on(event, listener as (p: unknown) => void)
  }
}

const TOKEN_KEY = 'hicra.token'

/** The token `hicra serve` printed, taken from the opening URL once and kept for this tab. */
export function serverToken(): string | null {
  const params = new URLSearchParams(window.location.search)
  const fromUrl = params.get('token')
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl)
    // Out of the address bar, history and bookmarks once it is kept: the URL is shown and shared.
    params.delete('token')
    const rest = params.toString()
    history.replaceState(history.state, '', `${window.location.pathname}${rest ? `?${rest}` : ''}${window.location.hash}`)
    return fromUrl
  }
  return sessionStorage.getItem(TOKEN_KEY)
}

/** Browser: HTTP POST per call and one shared EventSource for pushed events. */
function httpClient(): ApiClient {
  const token = serverToken()
  const headers: Record<string, string> = { 'Content-Type': 'application/json' }
  if (token) headers.Authorization = `Bearer ${token}`
  let source: EventSource | null = null
  const listeners = new Map<string, Set<(p: unknown) => void>>()
  const ensureSource = (event: string) => {
    if (!source) source = new EventSource(`/api/events${token ? `?token=${encodeURIComponent(token)}` : ''}`)
    if (!listeners.has(event)) {
      listeners.set(event, new Set())
      source.addEventListener(event, (e) => {
        const payload = JSON.parse((e as MessageEvent<string>).data) as unknown
        for (const l of listeners.get(event) ?? []) l(payload)
      })
    }
  }
  return {
    async invoke(channel, req) {
      let res: Response
      try {
        res = await fetch(`/api/${channel}`, { method: 'POST', headers, body: JSON.stringify(req ?? {}) })
      } catch (err) {
        throw new ApiError('unavailable', `the workbench server is not reachable (${(err as Error).message})`)
      }
      const body = (await res.json().catch(() => null)) as ApiResult<unknown> | null
      if (body && typeof body === 'object' && 'ok' in body) return unwrap(body)
      const err = (body as { error?: unknown } | null)?.error
      if (isApiErrorShape(err)) throw new ApiError(err.code, err.message, err.field)
      throw new ApiError('internal', `HTTP ${res.status} from /api/${channel}`)
    },
    on(event, listener) {
      ensureSource(event)
      const set = listeners.get(event)!
      const l = listener as (p: unknown) => void
      set.add(l)
      return () => set.delete(l)
    }
  }
}

export const api: ApiClient = window.api ? ipcClient(window.api) : httpClient()

export function invoke<C extends Channel>(channel: C, req: Req<C>): Promise<Res<C>> {
  return api.invoke(channel, req)
}

export function onEvent<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void {
  return api.on(event, listener)
}
