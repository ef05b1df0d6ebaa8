import { readNumber } from './numbers'

/**
 * A record's time, as the loggers write one: epoch seconds (`time.time()`, W&B's `_timestamp`,
 * TensorBoard's `wall_time`), epoch milliseconds (`Date.now()`), or an ISO-8601 string
 * (`datetime.isoformat()`, `str(datetime)` with its space, `…Z` or an offset). Numeric strings
 * follow the numbers' rule (numbers.ts).
 */
export type TimeRead = { ok: true; ms: number } | { ok: false; why: 'not a time' | 'out of range'; detail: string }

/**
 * Seconds or milliseconds: below 1e11 a number is seconds (1e11 s is the year 5138; 1e11 ms is
 * 1973, before any log of a training run). Times outside 1990–2200 are refused: a duration
 * (`"time": 3.2`, seconds a generation took) is no point in time, and reading it as 1970 would
 * draw a timeline of nothing.
 */
const SECONDS_BELOW = 1e11
const EARLIEST = Date.UTC(1990, 0, 1)
const LATEST = Date.UTC(2200, 0, 1)

// Date and time, `T` or a space between them, fractions of a second, `Z` or an offset; a time
// without a zone is read as UTC (the axes show differences; a whole log shares one zone).
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i

export function readTimestamp(v: unknown): TimeRead {
  const n = readNumber(v)
  if (n.ok) {
    const ms = Math.abs(n.value) < SECONDS_BELOW ? n.value * 1000 : n.value
    if (ms < EARLIEST || ms >= LATEST) return { ok: false, why: 'out of range', detail: `${n.value} is no time between 1990 and 2200 as epoch seconds or milliseconds` }
    return { ok: true, ms }
  }
  if (!n.ok && n.why === 'out of range') return { ok: false, why: 'out of range', detail: 'a number too large for a 64-bit float' }
  if (typeof v !== 'string') return { ok: false, why: 'not a time', detail: `got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}` }
  const m = ISO.exec(v.trim())
  if (!m) return { ok: false, why: 'not a time', detail: `got ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}` }
  const [y, mo, d, h = '0', mi = '0', s = '0'] = m.slice(1, 7) as string[]
  const frac = m[7] ? Number(`0.${m[7]}`) * 1000 : 0
  const base = Date.UTC(+y!, +mo! - 1, +d!, +h, +mi, +s)
  const back = new Date(base)
  // Date.UTC rolls over (February 30 → March 2): a date that does not exist is refused.
  if (+mo! < 1 || +mo! > 12 || back.getUTCDate() !== +d! || +h > 23 || +mi > 59 || +s > 59) {
    return { ok: false, why: 'not a time', detail: `${JSON.stringify(v)} is no valid date and time` }
  }
  let offset = 0
  const z = m[8]
  if (z && z.toUpperCase() !== 'Z') {
    const digits = z.slice(1).replace(':', '')
    const oh = Number(digits.slice(0, 2))
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0
    if (oh > 23 || om > 59) return { ok: false, why: 'not a time', detail: `${JSON.stringify(v)} has no valid UTC offset` }
    offset = (z[0] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000
  }
  const ms = base + frac - offset
  if (ms < EARLIEST || ms >= LATEST) return { ok: false, why: 'out of range', detail: `${JSON.stringify(v)} is not between 1990 and 2200` }
  return { ok: true, ms }
}
