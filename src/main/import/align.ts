import { TokenAlignmentError, tokenSpansFromStrings, tokenSpansFromTokenizer, type TokenSpans } from '../../core'
import type { Tokenizer } from '@huggingface/tokenizers'
import { RecordError, type RolloutRec } from './records'

/** A rollout ready for metrics and storage: token spans and per-token arrays checked against each other. */
export interface Aligned {
  rec: RolloutRec
  starts: Int32Array | null
  ends: Int32Array | null
  logprobs: Float32Array | null
  entropies: Float32Array | null
  nTokens: number | null
}

function spansFromOffsets(v: unknown, text: string): TokenSpans {
  if (!Array.isArray(v)) throw new RecordError('wrong type', '"token_offsets" must be an array of [start, end] pairs')
  const n = v.length
  const starts = new Int32Array(n)
  const ends = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const p = v[i]
    let s: unknown, e: unknown
    if (Array.isArray(p) && p.length === 2) [s, e] = p
    else if (typeof p === 'number') {
      // A flat list of starts: each token ends where the next begins.
      s = p
      e = i + 1 < n ? v[i + 1] : text.length
    } else throw new RecordError('wrong type', `"token_offsets"[${i}] must be a [start, end] pair`)
    if (!Number.isInteger(s) || !Number.isInteger(e) || (s as number) < 0 || (e as number) < (s as number) || (e as number) > text.length) {
      throw new RecordError('token mismatch', `"token_offsets"[${i}] = [${String(s)}, ${String(e)}] is not a span inside the ${text.length}-character response`)
    }
    starts[i] = s as number
    ends[i] = e as number
  }
  return { starts, ends }
}

/**
 * Token spans come from explicit offsets, else from token strings concatenated (they must spell
 * the response exactly), else from the tokenizer when one is given; per-token log-probs and
 * entropies must have one entry per token.
 */
export function align(rec: RolloutRec, tokenizer: Tokenizer | null): Aligned {
  let spans: TokenSpans | null = null
  try {
    if (rec.offsets !== null && rec.offsets !== undefined) spans = spansFromOffsets(rec.offsets, rec.response)
    else if (rec.tokens) spans = tokenSpansFromStrings(rec.tokens, rec.response)
    else if (tokenizer) spans = tokenSpansFromTokenizer(tokenizer, rec.response)
  } catch (e) {
    if (e instanceof TokenAlignmentError) throw new RecordError('token mismatch', e.message)
    throw e
  }
  if (rec.tokens && spans && rec.tokens.length !== spans.starts.length) {
    throw new RecordError('token mismatch', `"tokens" has ${rec.tokens.length} entries but "token_offsets" has ${spans.starts.length}`)
  }
  const n = spans ? spans.starts.length : null
  const arr = (v: number[] | null, name: string): Float32Array | null => {
    if (!v) return null
    if (n !== null && v.length !== n) throw new RecordError('token mismatch', `"${name}" has ${v.length} entries but there are ${n} tokens`)
    return Float32Array.from(v)
  }
  const logprobs = arr(rec.logprobs, 'logprobs')
  const entropies = arr(rec.entropies, 'entropies')
  if (n === null && logprobs && entropies && logprobs.length !== entropies.length) {
    throw new RecordError('token mismatch', `"logprobs" has ${logprobs.length} entries but "entropies" has ${entropies.length}`)
  }
  return {
    rec,
    starts: spans ? spans.starts : null,
    ends: spans ? spans.ends : null,
    logprobs,
    entropies,
    nTokens: n ?? logprobs?.length ?? entropies?.length ?? null
  }
}
