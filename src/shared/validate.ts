import type { z } from 'zod'
import { ApiError } from './errors'
import { channels, isChannel, type Channel, type ParsedReq } from './contract'

/** Turns the first schema issue into an ApiError that names the field, e.g. `name: must not be empty`. */
export function zodToApiError(error: z.ZodError, channel: string): ApiError {
  const issue = error.issues[0]
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : undefined
  const detail = issue ? issue.message : 'invalid request'
  const where = field ? `${field}: ` : ''
  return new ApiError('invalid_argument', `${channel}: ${where}${detail}`, field)
}

export function parseRequest<C extends Channel>(channel: C, raw: unknown): ParsedReq<C>
export function parseRequest(channel: string, raw: unknown): unknown
export function parseRequest(channel: string, raw: unknown): unknown {
  if (!isChannel(channel)) throw new ApiError('unknown_channel', `unknown channel '${channel}'`)
  // An empty body means "no arguments", the same as {}.
  const parsed = channels[channel].req.safeParse(raw === null || raw === undefined ? {} : raw)
  if (!parsed.success) throw zodToApiError(parsed.error, channel)
  return parsed.data
}
