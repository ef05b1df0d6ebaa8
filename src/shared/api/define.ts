import type { z } from 'zod'

/**
 * A channel pairs a runtime request schema with a compile-time response type. Responses are
 * produced by our own handlers, so only requests (which cross a trust boundary) are validated.
 */
export interface ChannelDef<Req extends z.ZodType, Res> {
  readonly req: Req
  /** Phantom field carrying the response type; never set at run time. */
  readonly __res?: Res
}

export function channel<Res>() {
  return <Req extends z.ZodType>(req: Req): ChannelDef<Req, Res> => ({ req })
}
