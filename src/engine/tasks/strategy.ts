import { Rng } from '../rng'
import { numberWords, WordTokenizer } from '../tokenizer'
import sg from '../../../resources/tasks/strategy.json'
import { slip } from './route'
import { drawTestSet, drawTrain, leftPad, type Problem, type Task, type TeacherRates, type Verdict } from './types'

// `strategy`: a task whose planning tokens carry the decision. Prompt "3 groups of 4, 2 more,
// target 14."; four strategies combine the numbers left to right, each named by a two-word plan
// that fixes both operations: "plus plus" (a + b + c), "plus minus" (a + b − c), "times plus"
// (a × b + c), "times minus" (a × b − c). Exactly one reaches the target. The wording says which:
// "a and b" or "a groups of b" for the first operation, "c more" or "c fewer" for the second, so
// the plan is a fork the model has to learn to read from the prompt. The warm-up teacher misreads
// the first cue at times and guesses the second (see `teacher`), so the base policy's plan is
// genuinely uncertain and imitation alone cannot teach it the second cue: the reward can. The plan fully determines the two execution steps
// ("3 * 4 = 12. 12 + 2 = 14."), the comparison with the target ("14 is the target.", or
// "13 is not the target.") and the answer ("answer 14"), so execution tokens are nearly forced
// except for arithmetic slips and that comparison. Two reflective moves repair mistakes: "wait, let me check."
// redoes the step just written, "let's try a different approach." abandons a plan whose result
// missed the target and names another. The warm-up teacher uses both rarely.
//
// The target is in the prompt, so the verifier checks the work and not only the number (copying
// the target earns nothing): a response is correct when its last plan is the one that reaches
// the target, its steps (after any checks) compute that plan correctly and its answer is their
// result. A wrong last plan (or none) is a planning error; the right plan with a slip, a wrong
// operand or an answer that is not the result is a calculation error; no "answer N" at the end is
// a format error.

export const STRATEGY_MAX = 41
const OP_WORDS = { plus: '+', minus: '-', times: '*' } as const
type OpWord = keyof typeof OP_WORDS

export interface Strategy {
  first: 'plus' | 'times'
  second: 'plus' | 'minus'
}

/** The four plans, in a fixed order. */
export const STRATEGIES: readonly Strategy[] = [
  { first: 'plus', second: 'plus' },
  { first: 'plus', second: 'minus' },
  { first: 'times', second: 'plus' },
  { first: 'times', second: 'minus' }
]

const SWITCH = ["let's", 'try', 'a', 'different', 'approach', '.']
const CHECK = ['wait', ',', 'let', 'me', 'check', '.']
const WORDS = [
  ...numberWords(STRATEGY_MAX),
  'groups', 'of', 'and', 'more', 'fewer', 'target', 'plus', 'minus', 'times', '+', '-', '*', '=', '.', ',', 'answer', 'is', 'not', 'the',
  "let's", 'try', 'a', 'different', 'approach', 'wait', 'let', 'me', 'check'
]
const MAX_ATTEMPTS = 3

const calc = (op: OpWord, x: number, y: number) => (op === 'plus' ? x + y : op === 'minus' ? x - y : x * y)
const valueOf = (s: Strategy, a: number, b: number, c: number) => calc(s.second, calc(s.first, a, b), c)
const sameStrategy = (s: Strategy, t: Strategy) => s.first === t.first && s.second === t.second

export interface StrategyProblem extends Problem {
  nums: [number, number, number]
  target: number
  /** Index into STRATEGIES of the one plan that reaches the target. */
  right: number
}

export class StrategyTask implements Task {
  readonly name = 'strategy'
  readonly tokenizer = new WordTokenizer(WORDS)
  readonly sgSet = sg
  readonly promptLength = 11
  // Up to three attempts (plan, ".", two steps of 6, "N is not the target."), two switches, one
  // check with its redone step, "answer N", <eos>.
  readonly maxResponseLength = MAX_ATTEMPTS * 21 + (MAX_ATTEMPTS - 1) * SWITCH.length + CHECK.length + 6 + 3

  private draw(rng: Rng): StrategyProblem {
    // The right plan is drawn first, so each of the four is right for a quarter of the problems.
    const right = rng.int(0, STRATEGIES.length - 1)
    for (;;) {
      const a = rng.int(2, 6)
      const b = rng.int(2, 6)
      const c = rng.int(1, 5)
      const values = STRATEGIES.map((s) => valueOf(s, a, b, c))
      // Every plan must be executable in range and reach a different value: one right plan.
      if (values.some((v) => v < 0 || v > STRATEGY_MAX) || new Set(values).size !== values.length) continue
      return this.make([a, b, c], right)
    }
  }

  make(nums: [number, number, number], right: number): StrategyProblem {
    const target = valueOf(STRATEGIES[right], ...nums)
    const s = STRATEGIES[right]
    const [a, b, c] = nums.map(String)
    const words = [a, ...(s.first === 'times' ? ['groups', 'of'] : ['and']), b, ',', c, s.second === 'plus' ? 'more' : 'fewer', ',', 'target', String(target), '.']
    const ids = this.tokenizer.ids(words)
    return {
      id: `strategy:${nums.join('-')}:${target}`,
      promptIds: leftPad(ids, this.promptLength, this.tokenizer.padId),
      prompt: this.tokenizer.decode(ids).text,
      gold: String(target),
      nums,
      target,
      right
    }
  }

  sampleTrain(rng: Rng): Problem {
    return drawTrain(() => this.draw(rng))
  }

  testSet(size: number): Problem[] {
    return drawTestSet((rng) => this.draw(rng), 0x57a7, size)
  }

  /**
   * The noisy teacher. With strategy-error rate e it misreads the first cue with probability 0.6·e
   * and guesses the second operation at random with probability min(1, 2e) (at the default e = 0.5
   * it never reads the second cue, so its plan is right for at most half the problems and the
   * base policy cannot learn that cue by imitation); e = 0 reads both, e = 1 always misreads the
   * first. Each step slips with the execution-error rate. With the reflection rate it checks a
   * slipped step ("wait, let me check.", at most once a trace) and abandons a plan whose result
   * missed the target ("let's try a different approach.", flipping the second operation, or the
   * first once that was tried). Otherwise it answers with whatever its last attempt computed.
   */
  teacher(problem: Problem, rng: Rng, rates: TeacherRates): number[] {
    const p = problem as StrategyProblem
    const [a, b, c] = p.nums
    const right = STRATEGIES[p.right]
    const w: string[] = []
    let checked = false
    const step = (x: number, op: OpWord, y: number): number => {
      const truth = Math.max(0, Math.min(STRATEGY_MAX, calc(op, x, y)))
      if (!rng.chance(rates.executionErrorRate)) {
        w.push(String(x), OP_WORDS[op], String(y), '=', String(truth), '.')
        return truth
      }
      const slipped = slip(truth, rng, STRATEGY_MAX)
      w.push(String(x), OP_WORDS[op], String(y), '=', String(slipped), '.')
      if (checked || !rng.chance(rates.reflectionRate)) return slipped
      checked = true
      w.push(...CHECK, String(x), OP_WORDS[op], String(y), '=', String(truth), '.')
      return truth
    }
    const e = rates.strategyErrorRate
    const misread: Strategy['first'] = right.first === 'plus' ? 'times' : 'plus'
    const first = rng.chance(0.6 * e) ? misread : right.first
    const second: Strategy['second'] = rng.chance(Math.min(1, 2 * e)) ? (rng.chance(0.5) ? 'plus' : 'minus') : right.second
    const tried: Strategy[] = []
    let plan: Strategy = { first, second }
    let result = 0
    for (let attempt = 1; ; attempt++) {
      tried.push(plan)
      w.push(plan.first, plan.second, '.')
      const v = step(a, plan.first, b)
      result = step(v, plan.second, c)
      w.push(String(result), 'is', ...(result === p.target ? [] : ['not']), 'the', 'target', '.')
      if (result === p.target || attempt === MAX_ATTEMPTS || !rng.chance(rates.reflectionRate)) break
      w.push(...SWITCH)
      const sibling: Strategy = { first: plan.first, second: plan.second === 'plus' ? 'minus' : 'plus' }
      const untried = (s: Strategy) => !tried.some((t) => sameStrategy(s, t))
      plan = untried(sibling) ? sibling : STRATEGIES.find((s) => s.first !== plan.first && untried(s))!
    }
    w.push('answer', String(result))
    return [...this.tokenizer.ids(w), this.tokenizer.eosId]
  }

  verify(problem: Problem, responseIds: ArrayLike<number>): Verdict {
    const p = problem as StrategyProblem
    const words = this.tokenizer.words(responseIds)
    const ended = Array.from(responseIds).includes(this.tokenizer.eosId)
    const n = words.length
    const isNum = (s: string | undefined) => s !== undefined && /^\d+$/.test(s)
    const answer = ended && n >= 2 && words[n - 2] === 'answer' && isNum(words[n - 1]) ? words[n - 1] : null
    if (answer === null) return { correct: false, reward: 0, answer: null, errorType: 'format' }
    // The plan the response finally committed to is the last one it named.
    let last = -1
    for (let i = 0; i + 1 < n - 2; i++) if ((words[i] === 'plus' || words[i] === 'times') && (words[i + 1] === 'plus' || words[i + 1] === 'minus')) last = i
    if (last < 0) return { correct: false, reward: 0, answer, errorType: 'planning' }
    const plan: Strategy = { first: words[last] as Strategy['first'], second: words[last + 1] as Strategy['second'] }
    if (!sameStrategy(plan, STRATEGIES[p.right])) return { correct: false, reward: 0, answer, errorType: 'planning' }
    const ok = executes(words.slice(last + 2, n - 2), plan, p.nums, Number(answer))
    return ok ? { correct: true, reward: 1, answer, errorType: null } : { correct: false, reward: 0, answer, errorType: 'calculation' }
  }
}

/**
 * Whether the words after a plan compute it: sentences are steps "x op y = z" or checks; a check
 * discards the step before it (the redone step follows), and what remains must be exactly the
 * plan's two steps with correct arithmetic, ending in the answer.
 */
function executes(words: string[], plan: Strategy, nums: [number, number, number], answer: number): boolean {
  const sentences: string[][] = [[]]
  for (const word of words) {
    if (word === '.') sentences.push([])
    else sentences[sentences.length - 1].push(word)
  }
  const steps: string[][] = []
  for (const s of sentences) {
    // Comparisons with the target say nothing about the work; they are skipped.
    if (s.length === 0 || /^\d+ is (not )?the target$/.test(s.join(' '))) continue
    if (s.join(' ') === CHECK.slice(0, -1).join(' ')) {
      if (steps.length === 0) return false
      steps.pop()
    } else steps.push(s)
  }
  if (steps.length !== 2) return false
  const [a, b, c] = nums
  const v = calc(plan.first, a, b)
  const w = calc(plan.second, v, c)
  const want = [[a, OP_WORDS[plan.first], b, '=', v], [v, OP_WORDS[plan.second], c, '=', w]].map((s) => s.join(' '))
  return steps[0].join(' ') === want[0] && steps[1].join(' ') === want[1] && answer === w
}
