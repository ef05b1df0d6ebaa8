import { Rng } from '../rng'
import type { WordTokenizer } from '../tokenizer'

/** SPEC §5 error types a synthetic task can know for certain. */
export type TrueErrorType = 'planning' | 'calculation' | 'format'

export interface SgSet {
  name: string
  grams: { phrase: string; category: string }[]
}

export interface Problem {
  /** Stable id: the same problem has the same id in every run. */
  id: string
  /** Prompt ids, left-padded with `<pad>` to the task's fixed prompt length. */
  promptIds: number[]
  prompt: string
  gold: string
}

export interface Verdict {
  correct: boolean
  reward: number
  /** The parsed final answer, or null when there is none. */
  answer: string | null
  errorType: TrueErrorType | null
}

export interface TeacherRates {
  strategyErrorRate: number
  executionErrorRate: number
  reflectionRate: number
}

export interface Task {
  readonly name: string
  readonly tokenizer: WordTokenizer
  readonly sgSet: SgSet
  /** Every prompt is exactly this many tokens (left-padded), so a batch shares one layout. */
  readonly promptLength: number
  /** Longest response the teacher writes, `<eos>` included. */
  readonly maxResponseLength: number
  /** A training problem drawn from `rng`; never one of the test problems. */
  sampleTrain(rng: Rng): Problem
  /** The fixed test split (the same for every run and seed). */
  testSet(size: number): Problem[]
  /** A noisy teacher's response ids, `<eos>` included. */
  teacher(problem: Problem, rng: Rng, rates: TeacherRates): number[]
  verify(problem: Problem, responseIds: ArrayLike<number>): Verdict
}

/** Hash of a problem's content; about one problem in `mod` is held out for the test split. */
export function isHeldOut(key: string, mod = 8): boolean {
  let h = 2166136261
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619)
  return (h >>> 0) % mod === 0
}

export function leftPad(ids: number[], length: number, padId: number): number[] {
  if (ids.length > length) throw new Error(`prompt of ${ids.length} tokens exceeds ${length}`)
  return [...new Array<number>(length - ids.length).fill(padId), ...ids]
}

/** A training problem: drawn until it is not held out, so train and test never share a problem. */
export function drawTrain<P extends Problem>(draw: () => P): P {
  for (;;) {
    const p = draw()
    if (!isHeldOut(p.id)) return p
  }
}

/** The test split: distinct held-out problems from a fixed seed, the same for every run. */
export function drawTestSet<P extends Problem>(draw: (rng: Rng) => P, seed: number, size: number): P[] {
  const rng = new Rng(seed)
  const out: P[] = []
  const seen = new Set<string>()
  while (out.length < size) {
    const p = draw(rng)
    if (isHeldOut(p.id) && !seen.has(p.id)) {
      seen.add(p.id)
      out.push(p)
    }
  }
  return out
}
