import type { z } from 'zod'
import type { ChannelDef } from './api/define'
import { appChannels } from './api/app'
import { runsChannels } from './api/runs'
import { metricsChannels } from './api/metrics'
import { jobsChannels } from './api/jobs'
import { importChannels } from './api/import'
import { rolloutsChannels } from './api/rollouts'
import { errorsChannels } from './api/errors'
import { sgChannels } from './api/sg'
import { trainChannels } from './api/train'
import { experimentsChannels } from './api/experiments'

/**
 * The one API contract: `'area/verb'` → request schema and response type. Main registers a handler
 * for every key, preload and the HTTP client expose exactly these keys. Each area keeps its channels
 * in `api/<area>.ts`; add a new area by spreading it here.
 */
export const channels = {
  ...appChannels,
  ...runsChannels,
  ...metricsChannels,
  ...jobsChannels,
  ...trainChannels,
  ...importChannels,
  ...rolloutsChannels,
  ...errorsChannels,
  ...sgChannels,
  ...experimentsChannels
} as const

export type Channels = typeof channels
export type Channel = keyof Channels
type DefOf<C extends Channel> = Channels[C]
/** What a caller passes (defaults may be omitted). */
export type Req<C extends Channel> = DefOf<C> extends ChannelDef<infer S, unknown> ? z.input<S> : never
/** What a handler receives after validation (defaults filled in). */
export type ParsedReq<C extends Channel> = DefOf<C> extends ChannelDef<infer S, unknown> ? z.output<S> : never
export type Res<C extends Channel> = DefOf<C> extends ChannelDef<z.ZodType, infer R> ? R : never

export const channelNames = Object.keys(channels) as Channel[]

export function isChannel(name: string): name is Channel {
  return Object.prototype.hasOwnProperty.call(channels, name)
}

/** The typed client both transports implement (window.api, the HTTP client, the in-process caller). */
export interface ApiClient {
  invoke<C extends Channel>(channel: C, req: Req<C>): Promise<Res<C>>
  on<E extends import('./events').EventName>(
    event: E,
    listener: (payload: import('./events').EventMap[E]) => void
  ): () => void
}
