import { occScratch, RelativePerplexityTracker, StepMetricsAccumulator, type SgMatcher, type StepMetrics, type StepMetricsState } from '../../core'
import type { Aligned } from './align'

/** pass@1 as the paper reports it, and pass@8 for the usual group of eight samples. */
export const PASS_K = [1, 8]

/** One step's SPEC §4 metrics with its step number. */
export type StepRow = { step: number } & StepMetrics

/**
 * One core accumulator per step, fed rollouts in any step order; `results()` gives the steps in
 * order with relative perplexity from the core's tracker (baseline: the run's first step with it).
 */
export class StepMetricsBook {
  private readonly acc = new Map<number, StepMetricsAccumulator>()
  constructor(readonly matcher: SgMatcher) {}

  /** Adds one rollout; returns how many SG occurrences its response holds. */
  add(a: Aligned): number {
    const r = a.rec
    let acc = this.acc.get(r.step)
    if (!acc) this.acc.set(r.step, (acc = new StepMetricsAccumulator(this.matcher, { passK: PASS_K })))
    acc.add({
      text: r.response,
      score: r.score ?? undefined,
      correct: r.correct ?? undefined,
      // pass@k groups responses by prompt; without an id the prompt text is the group.
      promptId: r.promptId ?? r.prompt ?? undefined,
      tokenStarts: a.starts ?? undefined,
      tokenEnds: a.ends ?? undefined,
      logprobs: a.logprobs ?? undefined,
      entropies: a.entropies ?? undefined
    })
    // The accumulator scanned the text with scanInto, which leaves its occurrences in the core's
    // occScratch until the next scan: read the count from there instead of matching twice.
    return occScratch.count
  }

  get steps(): number[] {
    return [...this.acc.keys()].sort((x, y) => x - y)
  }

  results(): StepRow[] {
    return withRelativePerplexity(this.rawResults())
  }

  /** Each step's counts as cloneable states, in step order (for merging on another thread). */
  states(): { step: number; state: StepMetricsState }[] {
    return this.steps.map((step) => ({ step, state: this.acc.get(step)!.toState() }))
  }

  /** Adds a step's counts made elsewhere (toState of a book of the same SG set), after this one's. */
  mergeState(step: number, state: StepMetricsState): void {
    const part = StepMetricsAccumulator.fromState(this.matcher, state, { passK: PASS_K })
    const acc = this.acc.get(step)
    if (acc) acc.merge(part)
    else this.acc.set(step, part)
  }

  /** Each step's metrics on their own, in step order (no relative perplexity). */
  rawResults(): { step: number; metrics: StepMetrics }[] {
    return this.steps.map((step) => ({ step, metrics: this.acc.get(step)!.result() }))
  }
}

/** Adds relative perplexity (the core's tracker) to steps given in step order. */
export function withRelativePerplexity(steps: readonly { step: number; metrics: StepMetrics }[]): StepRow[] {
  const tracker = new RelativePerplexityTracker()
  return steps.map(({ step, metrics }) => ({ step, ...metrics, ...tracker.add(step, metrics) }))
}
