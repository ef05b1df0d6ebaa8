import { Rng } from '../rng'
import { numberWords, WordTokenizer } from '../tokenizer'
import sg from '../../../resources/tasks/countdown.json'
import { slip } from './route'
import { drawTestSet, drawTrain, leftPad, type Problem, type Task, type TeacherRates, type Verdict } from './types'

// `countdown`: reach a target from three small numbers, each used once, evaluated left to right
// ("target 24 nums 3 4 2."). Traces explore ("let's try 3 + 4 = 7. 7 * 2 = 14. too low, go back."),
// then commit ("that works. answer 3 * 4 * 2"). Committing to a plan that misses the target with
// correct arithmetic is a planning error; an arithmetic slip in the committed attempt is a
// calculation error; no parsable answer is a format error.

const MAX = 99
const OPS = ['+', '-', '*'] as const
type OpSym = (typeof OPS)[number]
const WORDS = [
  ...numberWords(MAX),
  'target', 'nums', "let's", 'try', 'too', 'high', 'low', 'go', 'back', 'that', 'works', 'answer',
  ...OPS, '=', ',', '.'
]
const MAX_FAILED = 2

interface Plan {
  nums: [number, number, number]
  ops: [OpSym, OpSym]
  v1: number
  v2: number
}

interface CountdownProblem extends Problem {
  nums: number[]
  target: number
  plans: Plan[]
}

const calc = (a: number, op: OpSym, b: number) => (op === '+' ? a + b : op === '-' ? a - b : a * b)
const inRange = (v: number) => v >= 0 && v <= MAX

function permutations(xs: number[]): [number, number, number][] {
  const [a, b, c] = xs
  return [[a, b, c], [a, c, b], [b, a, c], [b, c, a], [c, a, b], [c, b, a]]
}

/** Every plan whose intermediate and final values stay in the vocabulary's range. */
function validPlans(nums: number[]): Plan[] {
  const out: Plan[] = []
  for (const p of permutations(nums)) {
    for (const o1 of OPS) {
      for (const o2 of OPS) {
        const v1 = calc(p[0], o1, p[1])
        const v2 = calc(v1, o2, p[2])
        if (inRange(v1) && inRange(v2)) out.push({ nums: p, ops: [o1, o2], v1, v2 })
      }
    }
  }
  return out
}

export class CountdownTask implements Task {
  readonly name = 'countdown'
  readonly tokenizer = new WordTokenizer(WORDS)
  readonly sgSet = sg
  readonly promptLength = 7
  // Up to two failed attempts of 20 tokens, the committed one of 18, "answer" + 5, <eos>.
  readonly maxResponseLength = 20 * MAX_FAILED + 18 + 6 + 1

  private draw(rng: Rng): CountdownProblem {
    for (;;) {
      const nums = [rng.int(1, 9), rng.int(1, 9), rng.int(1, 9)]
      const plans = validPlans(nums)
      const target = rng.pick(plans).v2
      if (target < 1) continue
      const words = ['target', String(target), 'nums', ...nums.map(String), '.']
      return {
        id: `countdown:${target}:${nums.join('-')}`,
        promptIds: leftPad(this.tokenizer.ids(words), this.promptLength, this.tokenizer.padId),
        prompt: this.tokenizer.decode(this.tokenizer.ids(words)).text,
        gold: String(target),
        nums,
        target,
        plans
      }
    }
  }

  sampleTrain(rng: Rng): Problem {
    return drawTrain(() => this.draw(rng))
  }

  testSet(size: number): Problem[] {
    return drawTestSet((rng) => this.draw(rng), 0xc0de, size)
  }

  teacher(problem: Problem, rng: Rng, rates: TeacherRates): number[] {
    const p = problem as CountdownProblem
    const hits = p.plans.filter((q) => q.v2 === p.target)
    const misses = p.plans.filter((q) => q.v2 !== p.target)
    const w: string[] = []
    // Writes one attempt; `forced` replaces the last step's result (a slip that "lands" on a value).
    const attempt = (plan: Plan, forced?: number): number => {
      const [a, b, c] = plan.nums
      let v1 = calc(a, plan.ops[0], b)
      if (rng.chance(rates.executionErrorRate)) v1 = slip(v1, rng, MAX)
      let v2 = Math.max(0, Math.min(MAX, calc(v1, plan.ops[1], c)))
      if (forced !== undefined) v2 = forced
      w.push("let's", 'try', String(a), plan.ops[0], String(b), '=', String(v1), '.')
      w.push(String(v1), plan.ops[1], String(c), '=', String(v2), '.')
      return v2
    }
    const reject = (v: number) => w.push('too', v > p.target ? 'high' : 'low', ',', 'go', 'back', '.')
    // A sound explorer usually finds a plan within a try or two.
    let failed = rng.next() < 0.5 ? 0 : rng.next() < 0.6 ? 1 : 2
    if (misses.length === 0) failed = 0
    for (let i = 0; i < failed; i++) {
      const plan = rng.pick(misses)
      const v = attempt(plan)
      if (v === p.target) {
        // A slip made a miss look right: the teacher believes it and commits.
        w.push('that', 'works', '.')
        return this.finish(w, plan)
      }
      reject(v)
    }
    let final = rng.pick(hits)
    let forced: number | undefined
    if (misses.length > 0 && rng.chance(rates.strategyErrorRate)) {
      // The weak planner commits to a plan that misses, unless it reflects and backs off once more.
      const wrong = rng.pick(misses)
      if (failed < MAX_FAILED && rng.chance(rates.reflectionRate)) reject(attempt(wrong))
      else final = wrong
    } else if (misses.length > 0 && rng.chance(rates.executionErrorRate)) {
      // The sloppy executor miscomputes a near miss as the target and commits to it.
      const near = misses.filter((q) => Math.abs(q.v2 - p.target) <= 3)
      final = rng.pick(near.length > 0 ? near : misses)
      forced = p.target
    }
    attempt(final, forced)
    w.push('that', 'works', '.')
    return this.finish(w, final)
  }

  private finish(w: string[], plan: Plan): number[] {
    w.push('answer', String(plan.nums[0]), plan.ops[0], String(plan.nums[1]), plan.ops[1], String(plan.nums[2]))
    return [...this.tokenizer.ids(w), this.tokenizer.eosId]
  }

  verify(problem: Problem, responseIds: ArrayLike<number>): Verdict {
    const p = problem as CountdownProblem
    const words = this.tokenizer.words(responseIds)
    const ended = Array.from(responseIds).includes(this.tokenizer.eosId)
    const n = words.length
    const tail = words.slice(n - 6)
    const isNum = (s: string) => /^\d+$/.test(s)
    const isOp = (s: string): s is OpSym => (OPS as readonly string[]).includes(s)
    const parsed = ended && n >= 6 && tail[0] === 'answer' && isNum(tail[1]) && isOp(tail[2]) && isNum(tail[3]) &&
      isOp(tail[4]) && isNum(tail[5])
    if (!parsed) return { correct: false, reward: 0, answer: null, errorType: 'format' }
    const answer = tail.slice(1).join(' ')
    const used = [tail[1], tail[3], tail[5]].map(Number)
    const value = calc(calc(used[0], tail[2] as OpSym, used[1]), tail[4] as OpSym, used[2])
    const sameNums = [...used].sort().join() === [...p.nums].sort().join()
    if (sameNums && value === p.target) return { correct: true, reward: 1, answer, errorType: null }
    // Judge the committed attempt (after the last "let's try"): a wrong step is a slip.
    const lastTry = words.lastIndexOf('try')
    const seg = lastTry < 0 ? [] : words.slice(lastTry + 1, n - 6)
    let slipped = false
    for (let i = 0; i + 4 < seg.length; i++) {
      const [a, op, b, eq, c] = seg.slice(i, i + 5)
      if (isNum(a) && isOp(op) && isNum(b) && eq === '=' && isNum(c) && calc(+a, op, +b) !== +c) slipped = true
    }
    return { correct: false, reward: 0, answer, errorType: slipped ? 'calculation' : 'planning' }
  }
}
