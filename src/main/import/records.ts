import { FieldResolver, type FieldMapping, type MapField } from './mapping'

/** One rollout as read from a record, before alignment. */
export interface RolloutRec {
  step: number
  promptId: string | null
  prompt: string | null
  response: string
  score: number | null
  correct: boolean | null
  answer: string | null
  gold: string | null
  tokens: string[] | null
  offsets: unknown
  logprobs: number[] | null
  entropies: number[] | null
  errorType: string | null
}

/** Why a line (or one rollout inside it) was skipped; `kind` groups the summary's counts. */
export class RecordError extends Error {
  constructor(
    readonly kind: 'malformed JSON' | 'missing field' | 'wrong type' | 'token mismatch' | 'no rollouts',
    message: string
  ) {
    super(message)
    this.name = 'RecordError'
  }
}

type Rec = Record<string, unknown>
const missing = (f: string, names: string) => new RecordError('missing field', `missing field "${f}" (looked for ${names})`)
const wrong = (f: string, want: string, v: unknown) =>
  new RecordError('wrong type', `"${f}" must be ${want}, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`)

function toStep(v: unknown, f: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v)
  throw wrong(f, 'a non-negative integer', v)
}

function toText(v: unknown, f: string): string {
  if (typeof v === 'string') return v
  // Chat-style prompts: a list of {role, content} messages.
  if (Array.isArray(v) && v.every((m) => m && typeof m === 'object' && typeof (m as Rec).content === 'string')) {
    return v.map((m) => (m as Rec).content as string).join('\n')
  }
  throw wrong(f, 'a string', v)
}

function toLabel(v: unknown): string | null {
  if (v === undefined || v === null) return null
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return JSON.stringify(v)
}

function toNumbers(v: unknown, f: string): number[] {
  if (!Array.isArray(v)) throw wrong(f, 'an array of numbers', v)
  for (let i = 0; i < v.length; i++) {
    if (typeof v[i] !== 'number') throw new RecordError('wrong type', `"${f}"[${i}] must be a number, got ${v[i] === null ? 'null' : typeof v[i]}`)
  }
  return v as number[]
}

function toStrings(v: unknown, f: string): string[] {
  if (!Array.isArray(v)) throw wrong(f, 'an array of strings', v)
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') throw new RecordError('wrong type', `"${f}"[${i}] must be a string`)
  return v as string[]
}

/** Fields a nested rollout or a parallel list entry carries for itself. */
const PER_ROLLOUT: readonly MapField[] = ['response', 'score', 'correct', 'answer', 'tokens', 'token_offsets', 'logprobs', 'entropies', 'error_type', 'step']

/**
 * Turns parsed records into rollouts. Three shapes: one rollout per record (verl, flat JSONL);
 * a list of rollout objects under `rollouts` (checkpoint evaluations); a list of responses with
 * parallel per-response lists (`score: [true, false, …]`, as evaluation harnesses write).
 */
export class RecordExtractor {
  readonly outer: FieldResolver
  readonly inner: FieldResolver
  constructor(mapping: FieldMapping) {
    this.outer = new FieldResolver(mapping)
    this.inner = new FieldResolver(mapping, PER_ROLLOUT)
  }

  /** The mapping in effect (user fields and the defaults found so far). */
  resolved(): { record: FieldMapping; rollout: FieldMapping } {
    return { record: this.outer.resolved(), rollout: this.inner.resolved() }
  }

  /**
   * Appends the record's rollouts to `out`. A whole-record problem throws; a problem with one
   * nested rollout is reported through `onBad(index, error)` and the others are kept.
   */
  extract(raw: unknown, stepHint: number | null, out: RolloutRec[], onBad: (index: number, err: RecordError) => void): void {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new RecordError('wrong type', 'the line is not a JSON object')
    const rec = raw as Rec
    const o = this.outer
    const sv = o.get(rec, 'step')
    const step = sv === undefined || sv === null ? stepHint ?? 0 : toStep(sv, 'step')
    const pv = o.get(rec, 'prompt')
    const prompt = pv === undefined || pv === null ? null : toText(pv, 'prompt')
    const promptId = toLabel(o.get(rec, 'prompt_id'))
    const gold = toLabel(o.get(rec, 'gold'))
    const nested = o.get(rec, 'rollouts')
    if (Array.isArray(nested)) {
      if (nested.length === 0) throw new RecordError('no rollouts', 'the record has an empty rollout list')
      for (let i = 0; i < nested.length; i++) {
        const child = nested[i]
        try {
          if (child === null || typeof child !== 'object' || Array.isArray(child)) throw new RecordError('wrong type', 'a rollout must be a JSON object')
          out.push(this.one(child as Rec, this.inner, step, prompt, promptId, gold, rec))
        } catch (e) {
          if (e instanceof RecordError) onBad(i, e)
          else throw e
        }
      }
      return
    }
    const resp = o.get(rec, 'response')
    if (Array.isArray(resp)) {
      this.parallel(rec, resp, step, prompt, promptId, gold, out, onBad)
      return
    }
    out.push(this.one(rec, o, step, prompt, promptId, gold, null))
  }

  private one(rec: Rec, r: FieldResolver, step: number, prompt: string | null, promptId: string | null, gold: string | null, parent: Rec | null): RolloutRec {
    const resp = r.get(rec, 'response')
    if (resp === undefined || resp === null) throw missing('response', 'response, output, completion, text, …; use --map response=NAME')
    if (typeof resp !== 'string') throw wrong('response', 'a string', resp)
    let ownStep = step
    if (parent !== null) {
      const s = r.get(rec, 'step')
      if (s !== undefined && s !== null) ownStep = toStep(s, 'step')
    }
    const sc = r.get(rec, 'score')
    const co = r.get(rec, 'correct')
    const out: RolloutRec = {
      step: ownStep,
      promptId,
      prompt,
      response: resp,
      score: null,
      correct: null,
      answer: toLabel(r.get(rec, 'answer')),
      gold,
      tokens: null,
      offsets: null,
      logprobs: null,
      entropies: null,
      errorType: null
    }
    scoreInto(out, sc, co)
    const tk = r.get(rec, 'tokens')
    if (tk !== undefined && tk !== null) out.tokens = toStrings(tk, 'tokens')
    const of = r.get(rec, 'token_offsets')
    if (of !== undefined && of !== null) out.offsets = of
    const lp = r.get(rec, 'logprobs')
    if (lp !== undefined && lp !== null) out.logprobs = toNumbers(lp, 'logprobs')
    const en = r.get(rec, 'entropies')
    if (en !== undefined && en !== null) out.entropies = toNumbers(en, 'entropies')
    const et = r.get(rec, 'error_type')
    if (et !== undefined && et !== null) {
      if (typeof et !== 'string') throw wrong('error_type', 'a string', et)
      out.errorType = et
    }
    return out
  }

  private parallel(rec: Rec, resp: unknown[], step: number, prompt: string | null, promptId: string | null, gold: string | null,
    out: RolloutRec[], onBad: (index: number, err: RecordError) => void): void {
    const o = this.outer
    const n = resp.length
    if (n === 0) throw new RecordError('no rollouts', 'the record has an empty response list')
    const at = (f: MapField, i: number): unknown => {
      const v = o.get(rec, f)
      if (v === undefined || v === null) return undefined
      if (!Array.isArray(v)) return v
      if (v.length !== n) throw new RecordError('wrong type', `"${f}" has ${v.length} entries but there are ${n} responses`)
      return v[i]
    }
    for (let i = 0; i < n; i++) {
      try {
        const r = resp[i]
        if (typeof r !== 'string') throw wrong(`response[${i}]`, 'a string', r)
        const x: RolloutRec = {
          step, promptId, prompt, response: r, score: null, correct: null, answer: toLabel(at('answer', i)), gold,
          tokens: null, offsets: null, logprobs: null, entropies: null, errorType: null
        }
        let sc = at('score', i)
        // A reward-model score per response is often a one-element list.
        if (Array.isArray(sc) && sc.length === 1) sc = sc[0]
        scoreInto(x, sc, at('correct', i))
        const tk = at('tokens', i)
        if (tk !== undefined) x.tokens = toStrings(tk, 'tokens')
        const of = at('token_offsets', i)
        if (of !== undefined) x.offsets = of
        const lp = at('logprobs', i)
        if (lp !== undefined) x.logprobs = toNumbers(lp, 'logprobs')
        const en = at('entropies', i)
        if (en !== undefined) x.entropies = toNumbers(en, 'entropies')
        const et = at('error_type', i)
        if (et !== undefined) {
          if (typeof et !== 'string') throw wrong('error_type', 'a string', et)
          x.errorType = et
        }
        out.push(x)
      } catch (e) {
        if (e instanceof RecordError) onBad(i, e)
        else throw e
      }
    }
  }
}

/** score: a number, or a boolean (then it is the correctness flag and scores 1/0). */
function scoreInto(out: RolloutRec, sc: unknown, co: unknown): void {
  if (sc !== undefined && sc !== null) {
    if (typeof sc === 'number' && Number.isFinite(sc)) out.score = sc
    else if (typeof sc === 'boolean') {
      out.score = sc ? 1 : 0
      out.correct = sc
    } else throw wrong('score', 'a number or a boolean', sc)
  }
  if (co !== undefined && co !== null) {
    if (typeof co === 'boolean') out.correct = co
    else if (co === 0 || co === 1) out.correct = co === 1
    else throw wrong('correct', 'a boolean (or 0/1)', co)
  }
}
