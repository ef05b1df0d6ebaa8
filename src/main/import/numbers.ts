/**
 * The one rule for numbers in imported records, whichever field holds them (step, score, correct,
 * logprobs, entropies): a JSON number, or a string that is exactly a decimal number ("2", "0.5",
 * "-1e-3"), read as that number. A number beyond a 64-bit float (`1e400`, which JSON.parse turns
 * into Infinity) is out of range, not "not a number".
 */
export type NumberRead = { ok: true; value: number } | { ok: false; why: 'not a number' | 'out of range' }

const DECIMAL = /^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$/

export function readNumber(v: unknown): NumberRead {
  let n: number
  if (typeof v === 'number') n = v
  else if (typeof v === 'string' && DECIMAL.test(v)) n = Number(v)
  else return { ok: false, why: 'not a number' }
  if (!Number.isFinite(n)) return { ok: false, why: 'out of range' }
  return { ok: true, value: n }
}

/** What a value is, in words for a message: `a string ("abc")`, `null`, `an array`. */
export function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)})`
  if (typeof v === 'number' && !Number.isFinite(v)) return 'a number too large for a 64-bit float'
  return typeof v
}

/** Steps are integers from 0 to 2^53 − 1, the largest a double holds exactly (and SQLite's INTEGER stores). */
export const MAX_STEP = Number.MAX_SAFE_INTEGER
