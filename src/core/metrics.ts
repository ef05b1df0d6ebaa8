import { planningMaskFromSpans } from './alignment'
import { occScratch, type Occurrence, type SgMatcher } from './matcher'
import { ContinuationCounter, type ContinuationState } from './continuationCounter'
import { scanWords, scratch } from './words'
import { passAtK } from './passAtK'

/** One logged response. Token arrays, when present, are parallel (one entry per token). */
export interface RolloutInput {
  text: string
  score?: number
  correct?: boolean
  promptId?: string
  tokenStarts?: Int32Array
  tokenEnds?: Int32Array
  logprobs?: Float32Array
  entropies?: Float32Array
  /** Precomputed occurrences of the accumulator's matcher in `text`. */
  occurrences?: Occurrence[]
}

/** SPEC §4 keys → value; only the metrics the input supports, plus `rollouts`. */
export type StepMetrics = Record<string, number>

export interface StepMetricsOptions {
  /** k values for pass_at_<k>; default [1]. */
  passK?: number[]
  /** Share of tokens in the high-entropy set; SPEC fixes 0.3. */
  highEntropyFraction?: number
}

/** What a StepMetricsAccumulator has counted, as plain, cloneable data (see toState). */
export interface StepMetricsState {
  grams: number
  /** The scalar sums and counts, in SUM_FIELDS order. */
  sums: number[]
  gramCounts: Float64Array
  /** (gram, next three words) counts: the counter's tables. */
  continuations: ContinuationState
  heEnt: Float32Array
  hePlan: Uint8Array
  /** pass@k per prompt: id, responses, correct ones. */
  prompts: [string, number, number][]
}

const SUM_FIELDS = ['rollouts', 'accN', 'accCorrect', 'lengthSum', 'units', 'planningUnits', 'textRollouts', 'occTotal',
  'entSum', 'entN', 'entSumP', 'entNP', 'entSumE', 'entNE', 'lpSumP', 'lpNP', 'lpSumE', 'lpNE'] as const

/**
 * Streaming accumulator for the metrics of one step (SPEC §4).
 *
 * Memory is one step's counters: per-SG counts, per-SG continuation counts, per-prompt (n, c),
 * sums per token class, and, for the two high-entropy shares, the step's per-token entropy
 * (Float32, as it arrives) and planning bit: 5 bytes a token. Those are kept because the
 * top-⌈0.3N⌉ set with its "earlier token first" tie rule is exact only with every value and
 * its order; a histogram would make the share approximate. Nothing grows with the number of
 * steps: make one accumulator per step.
 */
export class StepMetricsAccumulator {
  readonly passK: number[]
  readonly highEntropyFraction: number
  private rollouts = 0
  private accN = 0
  private accCorrect = 0
  private lengthSum = 0
  private units = 0
  private planningUnits = 0
  private textRollouts = 0
  private gramCounts: Float64Array
  private occTotal = 0
  // (gram, next three words) → count
  private continuations: ContinuationCounter
  private entSum = 0
  private entN = 0
  private entSumP = 0
  private entNP = 0
  private entSumE = 0
  private entNE = 0
  private lpSumP = 0
  private lpNP = 0
  private lpSumE = 0
  private lpNE = 0
  private heEnt = new Float32Array(1024)
  private hePlan = new Uint8Array(1024)
  private heN = 0
  private prompts = new Map<string, { n: number; c: number }>()
  // A string from the start (never compared with undefined: optimized code that met only strings
  // here was thrown away at each new step's first rollout); lastPrompt is unset until a rollout sets both.
  private lastPromptId = ''
  private lastPrompt: { n: number; c: number } | undefined = undefined

  constructor(
    readonly matcher: SgMatcher,
    opts: StepMetricsOptions = {}
  ) {
    this.passK = opts.passK ?? [1]
    for (const k of this.passK) if (!Number.isInteger(k) || k < 1) throw new RangeError(`passK values must be integers ≥ 1, got ${k}`)
    this.highEntropyFraction = opts.highEntropyFraction ?? 0.3
    this.gramCounts = new Float64Array(matcher.grams.length)
    this.continuations = new ContinuationCounter(1024, matcher.vocab)
  }

  add(r: RolloutInput): void {
    const text = r.text ?? ''
    // Words and occurrences land in shared scratch arrays (no per-word or per-occurrence
    // objects); everything below reads them before the next scan.
    let nw: number
    let occN: number
    let occGram: Int32Array
    let occFirst: Int32Array
    let occEnd: Int32Array
    if (r.occurrences) {
      // With the matcher's vocabulary: continuation counting keys by word ids where it can.
      nw = scanWords(text, this.matcher.vocab)
      const o = r.occurrences
      occN = o.length
      occGram = new Int32Array(occN)
      occFirst = new Int32Array(occN)
      occEnd = new Int32Array(occN)
      for (let k = 0; k < occN; k++) {
        if (o[k].endWord > nw || o[k].firstWord < 0 || o[k].gram >= this.gramCounts.length) {
          throw new RangeError(`occurrence ${k} (words ${o[k].firstWord}..${o[k].endWord}, gram ${o[k].gram}) does not fit this text and SG set`)
        }
        occGram[k] = o[k].gram
        occFirst[k] = o[k].firstWord
        occEnd[k] = o[k].endWord
      }
    } else {
      nw = this.matcher.scanInto(text)
      occN = occScratch.count
      occGram = occScratch.gram
      occFirst = occScratch.first
      occEnd = occScratch.end
    }
    // Word k: start wb[4k], end wb[4k + 2] (the scanner's layout, see words.ts).
    const wb = scratch.bounds
    const wAccept = scratch.accept
    this.rollouts++
    this.textRollouts++

    const correct = r.correct ?? (typeof r.score === 'number' ? r.score > 0 : undefined)
    if (correct !== undefined) {
      this.accN++
      if (correct) this.accCorrect++
      if (r.promptId !== undefined) {
        // A prompt's samples mostly come one after another: no map lookup (the id hashed) for them.
        let p = r.promptId === this.lastPromptId ? this.lastPrompt : undefined
        if (!p) {
          p = this.prompts.get(r.promptId)
          if (!p) this.prompts.set(r.promptId, (p = { n: 0, c: 0 }))
        }
        this.lastPromptId = r.promptId
        this.lastPrompt = p
        p.n++
        if (correct) p.c++
      }
    }

    // Planning words are marked occurrence by occurrence with this response's mark, so the cost
    // follows the occurrences, not the response's length, and no pass clears the marks.
    const mark = nextMark(nw + 3)
    const wordMask = maskBuf
    let planningWords = 0
    for (let k = 0; k < occN; k++) {
      const end = occEnd[k]
      for (let i = occFirst[k]; i < end; i++) {
        // 1 where the word was not marked yet: (x | −x) >>> 31 is 1 for any x ≠ 0.
        const d = wordMask[i] ^ mark
        planningWords += (d | -d) >>> 31
        wordMask[i] = mark
      }
    }

    const gramCounts = this.gramCounts
    for (let k = 0; k < occN; k++) {
      const g = occGram[k]
      gramCounts[g]++
      const e = occEnd[k]
      if (e + 3 <= nw && wordMask[e] !== mark && wordMask[e + 1] !== mark && wordMask[e + 2] !== mark) {
        this.continuations.addWords(g, wAccept[wb[4 * e + 3]], wAccept[wb[4 * e + 7]], wAccept[wb[4 * e + 11]], text, wb[4 * e], wb[4 * e + 2], wb[4 * e + 4], wb[4 * e + 6], wb[4 * e + 8], wb[4 * e + 10])
      }
    }
    this.occTotal += occN

    const ts = r.tokenStarts
    const te = r.tokenEnds
    const hasSpans = ts !== undefined && te !== undefined
    let tokMask: Uint8Array | undefined
    if (hasSpans) {
      const os = new Int32Array(occN)
      const oe = new Int32Array(occN)
      for (let k = 0; k < occN; k++) {
        os[k] = wb[4 * occFirst[k]]
        oe[k] = wb[4 * (occEnd[k] - 1) + 2]
      }
      tokMask = planningMaskFromSpans(ts, te, os, oe, occN)
      let p = 0
      for (let t = 0; t < tokMask.length; t++) p += tokMask[t]
      this.lengthSum += tokMask.length
      this.units += tokMask.length
      this.planningUnits += p
    } else {
      this.lengthSum += nw
      this.units += nw
      this.planningUnits += planningWords
    }

    const ent = r.entropies
    if (ent) {
      if (tokMask && ent.length !== tokMask.length) throw new RangeError(`entropies has ${ent.length} entries but there are ${tokMask.length} tokens`)
      for (let t = 0; t < ent.length; t++) {
        const h = ent[t]
        this.entSum += h
        if (tokMask) {
          if (tokMask[t]) this.entSumP += h
          else this.entSumE += h
        }
      }
      this.entN += ent.length
      if (tokMask) {
        let p = 0
        for (let t = 0; t < tokMask.length; t++) p += tokMask[t]
        this.entNP += p
        this.entNE += tokMask.length - p
        this.pushEntropies(ent, tokMask)
      }
    }
    const lp = r.logprobs
    if (lp && tokMask) {
      if (lp.length !== tokMask.length) throw new RangeError(`logprobs has ${lp.length} entries but there are ${tokMask.length} tokens`)
      for (let t = 0; t < lp.length; t++) {
        if (tokMask[t]) {
          this.lpSumP += lp[t]
          this.lpNP++
        } else {
          this.lpSumE += lp[t]
          this.lpNE++
        }
      }
    }
  }

  private pushEntropies(ent: ArrayLike<number>, plan: ArrayLike<number>): void {
    const need = this.heN + ent.length
    if (need > this.heEnt.length) {
      const cap = Math.max(need, this.heEnt.length * 2)
      const e = new Float32Array(cap)
      e.set(this.heEnt.subarray(0, this.heN))
      const p = new Uint8Array(cap)
      p.set(this.hePlan.subarray(0, this.heN))
      this.heEnt = e
      this.hePlan = p
    }
    for (let t = 0; t < ent.length; t++) {
      this.heEnt[this.heN + t] = ent[t]
      this.hePlan[this.heN + t] = plan[t]
    }
    this.heN = need
  }

  /**
   * Everything the accumulator has counted, as plain data that crosses threads (structured clone):
   * a worker accumulates a part of a step, the main thread rebuilds it with `fromState` and merges.
   */
  toState(): StepMetricsState {
    const prompts: [string, number, number][] = []
    for (const [id, p] of this.prompts) prompts.push([id, p.n, p.c])
    return {
      grams: this.gramCounts.length,
      sums: SUM_FIELDS.map((f) => this[f]),
      gramCounts: this.gramCounts.slice(),
      continuations: this.continuations.toState(),
      heEnt: this.heEnt.slice(0, this.heN),
      hePlan: this.hePlan.slice(0, this.heN),
      prompts
    }
  }

  /** An accumulator holding what `toState` gave (same SG set and options as the one that made it). */
  static fromState(matcher: SgMatcher, state: StepMetricsState, opts: StepMetricsOptions = {}): StepMetricsAccumulator {
    const acc = new StepMetricsAccumulator(matcher, opts)
    if (state.grams !== acc.gramCounts.length || state.gramCounts.length !== state.grams) {
      throw new RangeError(`the state counts ${state.grams} SGs, this SG set has ${acc.gramCounts.length}`)
    }
    SUM_FIELDS.forEach((f, i) => (acc[f] = state.sums[i]!))
    acc.gramCounts.set(state.gramCounts)
    acc.continuations = ContinuationCounter.fromState(state.continuations, matcher.vocab)
    acc.pushEntropies(state.heEnt, state.hePlan)
    for (const [id, n, c] of state.prompts) acc.prompts.set(id, { n, c })
    return acc
  }

  /** Adds `other`'s responses as if they had been added after this one's. */
  merge(other: StepMetricsAccumulator): this {
    if (other.gramCounts.length !== this.gramCounts.length) throw new RangeError('cannot merge accumulators of different SG sets')
    this.rollouts += other.rollouts
    this.textRollouts += other.textRollouts
    this.accN += other.accN
    this.accCorrect += other.accCorrect
    this.lengthSum += other.lengthSum
    this.units += other.units
    this.planningUnits += other.planningUnits
    for (let g = 0; g < this.gramCounts.length; g++) this.gramCounts[g] += other.gramCounts[g]
    this.occTotal += other.occTotal
    this.continuations.mergeFrom(other.continuations)
    this.entSum += other.entSum
    this.entN += other.entN
    this.entSumP += other.entSumP
    this.entNP += other.entNP
    this.entSumE += other.entSumE
    this.entNE += other.entNE
    this.lpSumP += other.lpSumP
    this.lpNP += other.lpNP
    this.lpSumE += other.lpSumE
    this.lpNE += other.lpNE
    this.pushEntropies(other.heEnt.subarray(0, other.heN), other.hePlan.subarray(0, other.heN))
    for (const [id, op] of other.prompts) {
      const p = this.prompts.get(id)
      if (p) {
        p.n += op.n
        p.c += op.c
      } else this.prompts.set(id, { n: op.n, c: op.c })
    }
    return this
  }

  result(): StepMetrics {
    const m: StepMetrics = { rollouts: this.rollouts }
    if (this.accN > 0) m.accuracy = this.accCorrect / this.accN
    if (this.textRollouts > 0) {
      m.length = this.lengthSum / this.textRollouts
      m.planning_ratio = this.units > 0 ? this.planningUnits / this.units : 0
      m.semantic_entropy = entropyOfCounts(this.gramCounts, this.occTotal)
      m.conditional_entropy = this.conditionalEntropy()
    }
    if (this.entN > 0) m.token_entropy = this.entSum / this.entN
    if (this.entNP > 0) m.token_entropy_planning = this.entSumP / this.entNP
    if (this.entNE > 0) m.token_entropy_execution = this.entSumE / this.entNE
    if (this.lpNP > 0) m.perplexity_planning = Math.exp(-this.lpSumP / this.lpNP)
    if (this.lpNE > 0) m.perplexity_execution = Math.exp(-this.lpSumE / this.lpNE)
    if (this.heN > 0) {
      const { inTop, planningInTop, planning } = this.highEntropyCounts()
      m.high_entropy_planning_share = planningInTop / inTop
      if (planning > 0) m.planning_high_entropy_share = planningInTop / planning
    }
    for (const k of this.passK) {
      let sum = 0
      let count = 0
      for (const p of this.prompts.values()) {
        if (p.n >= k) {
          sum += passAtK(p.n, p.c, k)
          count++
        }
      }
      if (count > 0) m[`pass_at_${k}`] = sum / count
    }
    return m
  }

  // Σ_s p(s) H(G|S=s) = (1/N) Σ_s (n_s ln n_s − Σ_g n_sg ln n_sg)
  private conditionalEntropy(): number {
    const G = this.gramCounts.length
    const ns = new Float64Array(G)
    const inner = new Float64Array(G)
    this.continuations.addEntropySums(ns, inner)
    let total = 0
    let acc = 0
    for (let g = 0; g < G; g++) {
      if (ns[g] === 0) continue
      total += ns[g]
      acc += ns[g] * Math.log(ns[g]) - inner[g]
    }
    return total > 0 ? acc / total : 0
  }

  // Top ⌈f·N⌉ by entropy, ties broken by earlier token: everything above the threshold value,
  // then the earliest tokens equal to it.
  private highEntropyCounts(): { inTop: number; planningInTop: number; planning: number } {
    const n = this.heN
    const ent = this.heEnt.subarray(0, n)
    const plan = this.hePlan.subarray(0, n)
    const top = Math.min(n, Math.ceil(this.highEntropyFraction * n - 1e-9))
    let planning = 0
    for (let t = 0; t < n; t++) planning += plan[t]
    if (top === 0) return { inTop: 0, planningInTop: 0, planning }
    const sorted = Float32Array.from(ent).sort()
    const threshold = sorted[n - top]
    let above = 0
    for (let t = 0; t < n; t++) if (ent[t] > threshold) above++
    let ties = top - above
    let planningInTop = 0
    for (let t = 0; t < n; t++) {
      const h = ent[t]
      if (h > threshold) planningInTop += plan[t]
      else if (h === threshold && ties > 0) {
        ties--
        planningInTop += plan[t]
      }
    }
    return { inTop: top, planningInTop, planning }
  }
}

// Planning-word marks of the response being added, shared by every accumulator of the thread:
// word i is a planning word when maskBuf[i] holds that response's mark.
let maskBuf = new Int32Array(4096)
let lastMark = 0
function nextMark(n: number): number {
  // The wrap is checked whether or not the buffer grows: a mark past 2³¹ − 1 would not fit a slot.
  if (lastMark === 0x7fffffff) {
    maskBuf.fill(0)
    lastMark = 0
  }
  if (n > maskBuf.length) maskBuf = new Int32Array(Math.max(n, maskBuf.length * 2))
  return ++lastMark
}

/** −Σ p log p of counts summing to `total`; 0 when total is 0. */
export function entropyOfCounts(counts: ArrayLike<number>, total: number): number {
  if (total <= 0) return 0
  let h = 0
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]
    if (c > 0) h -= (c / total) * Math.log(c / total)
  }
  return h
}

/**
 * relative_perplexity_planning/_execution (SPEC §4): each class's perplexity divided by its
 * value at the run's first step that has it. Feed steps in order; a step earlier than the
 * current baseline's becomes the new baseline.
 */
export class RelativePerplexityTracker {
  private base: Record<'planning' | 'execution', { step: number; value: number } | undefined> = {
    planning: undefined,
    execution: undefined
  }

  add(step: number, metrics: StepMetrics): StepMetrics {
    const out: StepMetrics = {}
    for (const cls of ['planning', 'execution'] as const) {
      const v = metrics[`perplexity_${cls}`]
      if (v === undefined || !Number.isFinite(v)) continue
      const b = this.base[cls]
      if (!b || step < b.step) this.base[cls] = { step, value: v }
      out[`relative_perplexity_${cls}`] = v / this.base[cls]!.value
    }
    return out
  }
}
