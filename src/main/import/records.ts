import { describe, MAX_STEP, readNumber } from './numbers'
import { FieldResolver, getPath, type FieldMapping, type MapField } from './mapping'
import { readTimestamp } from './timestamps'
import { noteLatest } from './stepTimes'

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
  /** Sampling settings the record carries beside its rollout (`temperature`…), kept with the rollout. */
  extra: Record<string, string | number | boolean> | null
  /** When the record (or the rollout) says it was written, ms since the epoch (the `timestamp` field). */
  time: number | null
}

/**
 * Fields kept with each rollout when a record has them: they tell rollouts of one step apart
 * (the same problems sampled at several temperatures) without being part of the metrics.
 */
export const KEPT_FIELDS = ['temperature', 'top_p', 'top_k', 'seed', 'model', 'model_name', 'sample_idx'] as const

/** Why a line (or one rollout inside it) was skipped; `kind` groups the summary's counts. */
export class RecordError extends Error {
  constructor(
    readonly kind: 'malformed JSON' | 'missing field' | 'wrong type' | 'out of range' | 'token mismatch' | 'no rollouts',
    message: string
  ) {
    super(message)
    this.name = 'RecordError'
  }
}

type Rec = Record<string, unknown>

/**
 * The problems of one record, all of them: a mistyped record names every wrong field, not only
 * the first one met. `check` runs one field's conversion and keeps its error.
 */
class Problems {
  readonly list: RecordError[] = []
  check<T>(f: () => T): T | null {
    try {
      return f()
    } catch (e) {
      if (!(e instanceof RecordError)) throw e
      this.list.push(e)
      return null
    }
  }
  /** Throws one error naming every problem (the kind of the first). */
  throwIfAny(): void {
    if (this.list.length === 0) return
    if (this.list.length === 1) throw this.list[0]!
    throw new RecordError(this.list[0]!.kind, this.list.map((e) => e.message).join('; '))
  }
}
const missing = (f: string, names: string) => new RecordError('missing field', `missing field "${f}" (looked for ${names})`)
const wrong = (f: string, want: string, v: unknown) =>
  new RecordError('wrong type', `"${f}" must be ${want}, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`)

function toStep(v: unknown, f: string): number {
  const r = readNumber(v)
  if (r.ok && Number.isInteger(r.value) && r.value >= 0 && r.value <= MAX_STEP) return r.value
  if ((r.ok && Number.isInteger(r.value) && r.value > MAX_STEP) || (!r.ok && r.why === 'out of range')) {
    throw new RecordError('out of range', `"${f}" must be an integer from 0 to 2^53 − 1 (${MAX_STEP}), got ${r.ok ? r.value : describe(v)}`)
  }
  throw new RecordError('wrong type', `"${f}" must be a non-negative integer, got ${r.ok ? r.value : describe(v)}`)
}

/** The field a resolver reads the time from, for messages. */
const timeName = (r: FieldResolver) => r.user.timestamp ?? r.resolved().timestamp ?? 'timestamp'

function toTime(v: unknown, r: FieldResolver): number {
  const t = readTimestamp(v)
  if (t.ok) return t.ms
  throw new RecordError(t.why === 'out of range' ? 'out of range' : 'wrong type', `"${timeName(r)}" must be a time (epoch seconds or ` +
    `milliseconds, or an ISO-8601 date and time): ${t.detail} (--map timestamp=NAME reads the time from another field; a name no record has, ` +
    `--map timestamp=none, reads none)`)
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
  let out = v as number[]
  for (let i = 0; i < v.length; i++) {
    if (typeof v[i] === 'number' && Number.isFinite(v[i])) continue
    const r = readNumber(v[i])
    if (!r.ok) throw new RecordError(r.why === 'out of range' ? 'out of range' : 'wrong type', `"${f}"[${i}] must be a number, got ${describe(v[i])}`)
    // A numeric string: read as its number (a copy, the record's own array is left as it is).
    if (out === v) out = v.slice() as number[]
    out[i] = r.value
  }
  return out
}

function toStrings(v: unknown, f: string): string[] {
  if (!Array.isArray(v)) throw wrong(f, 'an array of strings', v)
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') throw new RecordError('wrong type', `"${f}"[${i}] must be a string`)
  return v as string[]
}

/** Fields a nested rollout or a parallel list entry carries for itself. */
const PER_ROLLOUT: readonly MapField[] = ['response', 'score', 'correct', 'answer', 'tokens', 'token_offsets', 'logprobs', 'entropies', 'error_type', 'step', 'timestamp']

/** A record's shared fields, read once for all its rollouts. */
interface Shared {
  step: number
  prompt: string | null
  promptId: string | null
  gold: string | null
  extra: RolloutRec['extra']
  time: number | null
}

function keptFields(rec: Rec, into: RolloutRec['extra'], names: readonly string[]): RolloutRec['extra'] {
  let out = into
  for (const k of names) {
    const v = rec[k]
    if (v === undefined || v === null) continue
    if (typeof v === 'number' || typeof v === 'boolean' || (typeof v === 'string' && v.length <= 200)) {
      if (out === into) out = { ...into }
      out![k] = v
    }
  }
  return out
}

/**
 * Turns parsed records into rollouts. Four shapes: one rollout per record (verl, flat JSONL);
 * a list of rollout objects under `rollouts` (checkpoint evaluations); a list of responses with
 * parallel per-response lists (`score: [true, false, …]`, as evaluation harnesses write); one
 * model's answer in the object `entry` names, beside other models' (`{"question", "6b": {…},
 * "175b": {…}}`).
 */
export class RecordExtractor {
  readonly outer: FieldResolver
  readonly inner: FieldResolver
  private readonly entry: string | undefined
  private readonly kept: readonly string[]
  /** Keep only rollouts whose kept field `only[0]` holds `only[1]` (a split import's part). */
  private readonly only: [string, unknown] | null
  /** Step → the latest time its rollouts carry (ms), over every record extracted so far. */
  readonly times = new Map<number, number>()
  /** `keep`: fields kept with each rollout besides KEPT_FIELDS (the field an import is split by). */
  constructor(readonly mapping: FieldMapping, keep: readonly string[] = []) {
    this.only = mapping.only ? (JSON.parse(mapping.only) as [string, unknown]) : null
    this.kept = [...new Set([...KEPT_FIELDS, ...keep, ...(this.only ? [this.only[0]] : [])])]
    this.outer = new FieldResolver(mapping, undefined, undefined, this.kept)
    // Inside one model's entry (PRM800K-style records), `solution` is that model's answer; at the
    // top level it is usually the reference solution, so it is no default there.
    this.inner = new FieldResolver(mapping, PER_ROLLOUT, mapping.entry ? { response: ['solution'] } : {}, this.kept)
    this.entry = mapping.entry
  }

  /** The mapping in effect (user fields and the defaults found so far). */
  resolved(): { record: FieldMapping; rollout: FieldMapping } {
    return { record: this.outer.resolved(), rollout: this.inner.resolved() }
  }

  /**
   * Appends the record's rollouts to `out`. A whole-record problem throws (naming every wrong
   * field); a problem with one nested rollout is reported through `onBad(index, error)` and the
   * others are kept. `key`: the record's key in a JSON object keyed by problem id, its prompt id
   * where the record names none.
   */
  extract(raw: unknown, stepHint: number | null, out: RolloutRec[], onBad: (index: number, err: RecordError) => void, key: string | null = null): void {
    const from = out.length
    this.extractAll(raw, stepHint, out, onBad, key)
    if (this.only !== null) {
      // A part of a split import: the other values' rollouts belong to the other parts.
      const [field, value] = this.only
      let w = from
      for (let i = from; i < out.length; i++) if ((out[i]!.extra?.[field] ?? null) === value) out[w++] = out[i]!
      out.length = w
    }
    for (let i = from; i < out.length; i++) {
      const r = out[i]!
      if (r.time !== null) noteLatest(this.times, r.step, r.time)
    }
  }

  private extractAll(raw: unknown, stepHint: number | null, out: RolloutRec[], onBad: (index: number, err: RecordError) => void, key: string | null): void {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new RecordError('wrong type', 'the record is not a JSON object')
    const rec = raw as Rec
    const o = this.outer
    const pr = new Problems()
    const sv = o.get(rec, 'step')
    const step = sv === undefined || sv === null ? stepHint ?? 0 : pr.check(() => toStep(sv, 'step'))
    const pv = o.get(rec, 'prompt')
    const prompt = pv === undefined || pv === null ? null : pr.check(() => toText(pv, 'prompt'))
    // A list of times is one per response (the parallel-lists shape below); elsewhere it is wrong.
    const tv = o.get(rec, 'timestamp')
    const timeList = Array.isArray(tv)
    const time = tv === undefined || tv === null || timeList ? null : pr.check(() => toTime(tv, o))
    const sh: Shared = { step: step ?? 0, prompt, promptId: toLabel(o.get(rec, 'prompt_id')) ?? key, gold: toLabel(o.get(rec, 'gold')), extra: o.holdsWatched(rec) ? keptFields(rec, null, this.kept) : null, time }
    if (this.entry !== undefined) {
      const child = getPath(rec, this.entry)
      if (child === undefined || child === null) pr.list.push(new RecordError('missing field', `no entry "${this.entry}" in the record (--each / entry names the object holding one model's answer)`))
      else if (typeof child !== 'object' || Array.isArray(child)) pr.list.push(wrong(this.entry, 'an object', child))
      if (timeList) pr.list.push(wrong(timeName(o), 'a time', tv))
      pr.throwIfAny()
      out.push(this.one(child as Rec, this.inner, sh, true))
      return
    }
    const nested = o.get(rec, 'rollouts')
    if (Array.isArray(nested)) {
      if (timeList) pr.list.push(wrong(timeName(o), 'a time', tv))
      pr.throwIfAny()
      if (nested.length === 0) throw new RecordError('no rollouts', 'the record has an empty rollout list')
      for (let i = 0; i < nested.length; i++) {
        const child = nested[i]
        try {
          if (child === null || typeof child !== 'object' || Array.isArray(child)) throw new RecordError('wrong type', 'a rollout must be a JSON object')
          out.push(this.one(child as Rec, this.inner, sh, true))
        } catch (e) {
          if (e instanceof RecordError) onBad(i, e)
          else throw e
        }
      }
      return
    }
    const resp = o.get(rec, 'response')
    if (Array.isArray(resp)) {
      pr.throwIfAny()
      this.parallel(rec, resp, sh, out, onBad)
      return
    }
    if (timeList) pr.list.push(wrong(timeName(o), 'a time', tv))
    out.push(this.one(rec, o, sh, false, pr))
  }

  private one(rec: Rec, r: FieldResolver, sh: Shared, nested: boolean, pr = new Problems()): RolloutRec {
    const resp = r.get(rec, 'response')
    if (resp === undefined || resp === null) pr.list.push(missing('response', 'response, output, completion, text, …; use --map response=NAME'))
    else if (typeof resp !== 'string') pr.list.push(wrong('response', 'a string', resp))
    let ownStep = sh.step
    let time = sh.time
    if (nested) {
      const s = r.get(rec, 'step')
      if (s !== undefined && s !== null) ownStep = pr.check(() => toStep(s, 'step')) ?? ownStep
      const tv = r.get(rec, 'timestamp')
      if (tv !== undefined && tv !== null) time = pr.check(() => toTime(tv, r)) ?? time
    }
    const out: RolloutRec = {
      step: ownStep,
      promptId: sh.promptId,
      prompt: sh.prompt,
      response: typeof resp === 'string' ? resp : '',
      score: null,
      correct: null,
      answer: toLabel(r.get(rec, 'answer')),
      gold: sh.gold,
      tokens: null,
      offsets: null,
      logprobs: null,
      entropies: null,
      errorType: null,
      extra: nested && r.holdsWatched(rec) ? keptFields(rec, sh.extra, this.kept) : sh.extra,
      time
    }
    scoreInto(out, r.get(rec, 'score'), r.get(rec, 'correct'), pr)
    const tk = r.get(rec, 'tokens')
    if (tk !== undefined && tk !== null) out.tokens = pr.check(() => toStrings(tk, 'tokens'))
    const of = r.get(rec, 'token_offsets')
    if (of !== undefined && of !== null) out.offsets = of
    const lp = r.get(rec, 'logprobs')
    if (lp !== undefined && lp !== null) out.logprobs = pr.check(() => toNumbers(lp, 'logprobs'))
    const en = r.get(rec, 'entropies')
    if (en !== undefined && en !== null) out.entropies = pr.check(() => toNumbers(en, 'entropies'))
    const et = r.get(rec, 'error_type')
    if (et !== undefined && et !== null) {
      if (typeof et !== 'string') pr.list.push(wrong('error_type', 'a string', et))
      else out.errorType = et
    }
    pr.throwIfAny()
    return out
  }

  private parallel(rec: Rec, resp: unknown[], sh: Shared, out: RolloutRec[], onBad: (index: number, err: RecordError) => void): void {
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
        const pr = new Problems()
        const r = resp[i]
        if (typeof r !== 'string') pr.list.push(wrong(`response[${i}]`, 'a string', r))
        const x: RolloutRec = {
          step: sh.step, promptId: sh.promptId, prompt: sh.prompt, response: typeof r === 'string' ? r : '', score: null, correct: null,
          answer: toLabel(pr.check(() => at('answer', i))), gold: sh.gold, tokens: null, offsets: null, logprobs: null, entropies: null, errorType: null,
          extra: sh.extra, time: sh.time
        }
        const tv = o.get(rec, 'timestamp')
        if (Array.isArray(tv)) {
          const ti = pr.check(() => at('timestamp', i))
          if (ti !== undefined && ti !== null) x.time = pr.check(() => toTime(ti, o))
        }
        let sc = pr.check(() => at('score', i))
        // A reward-model score per response is often a one-element list.
        if (Array.isArray(sc) && sc.length === 1) sc = sc[0]
        scoreInto(x, sc, pr.check(() => at('correct', i)), pr)
        const tk = pr.check(() => at('tokens', i))
        if (tk !== undefined && tk !== null) x.tokens = pr.check(() => toStrings(tk, 'tokens'))
        const of = pr.check(() => at('token_offsets', i))
        if (of !== undefined && of !== null) x.offsets = of
        const lp = pr.check(() => at('logprobs', i))
        if (lp !== undefined && lp !== null) x.logprobs = pr.check(() => toNumbers(lp, 'logprobs'))
        const en = pr.check(() => at('entropies', i))
        if (en !== undefined && en !== null) x.entropies = pr.check(() => toNumbers(en, 'entropies'))
        const et = pr.check(() => at('error_type', i))
        if (et !== undefined && et !== null) {
          if (typeof et !== 'string') pr.list.push(wrong('error_type', 'a string', et))
          else x.errorType = et
        }
        pr.throwIfAny()
        out.push(x)
      } catch (e) {
        if (e instanceof RecordError) onBad(i, e)
        else throw e
      }
    }
  }
}

/** score: a number, or a boolean (then it is the correctness flag and scores 1/0). */
function scoreInto(out: RolloutRec, sc: unknown, co: unknown, pr: Problems): void {
  if (sc !== undefined && sc !== null) {
    const n = typeof sc === 'boolean' ? null : readNumber(sc)
    if (n?.ok) out.score = n.value
    else if (n && n.why === 'out of range') pr.list.push(new RecordError('out of range', `"score" must be a number within a 64-bit float's range, got ${describe(sc)}`))
    else if (typeof sc === 'boolean') {
      out.score = sc ? 1 : 0
      out.correct = sc
    } else pr.list.push(wrong('score', 'a number or a boolean', sc))
  }
  if (co !== undefined && co !== null) {
    const r = typeof co === 'boolean' ? null : readNumber(co)
    if (typeof co === 'boolean') out.correct = co
    else if (r?.ok && (r.value === 0 || r.value === 1)) out.correct = r.value === 1
    else pr.list.push(wrong('correct', 'a boolean (or 0/1)', co))
  }
}
