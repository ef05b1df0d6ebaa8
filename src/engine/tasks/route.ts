import { Rng } from '../rng'
import { numberWords, WordTokenizer } from '../tokenizer'
import sg from '../../../resources/tasks/route.json'
import { drawTestSet, drawTrain, leftPad, type Problem, type Task, type TeacherRates, type Verdict } from './types'

// `route`: the right strategy depends on a property of the input. Prompt "start 37 list 4 2 6.";
// an odd start means subtract every listed number, an even start means add them. The solution
// names its strategy in a planning phrase ("37 is odd, so we subtract each number."), may revise it
// ("wait, the first number is even, so we add instead."), executes one arithmetic step per listed
// number ("37 - 4 = 33.") and answers ("answer 25"). A wrong strategy executed perfectly is a
// planning error; the right strategy with a slip is a calculation error; no answer is a format error.

// Numbers stay in 0..49 and listed numbers in 1..5: a fact table a 0.4 M-parameter model learns
// in a few hundred warm-up steps on two CPU cores, leaving execution errors for RL to remove.
const MAX = 49
const WORDS = [
  ...numberWords(MAX),
  'start', 'list', 'is', 'odd', 'even', 'so', 'we', 'add', 'subtract', 'each', 'number',
  'wait', 'the', 'first', 'instead', 'answer', '+', '-', '=', ',', '.'
]
const MIN_STEPS = 2
const MAX_STEPS = 4

type Op = 'add' | 'subtract'

interface RouteProblem extends Problem {
  start: number
  items: number[]
}

const strategyOf = (start: number): Op => (start % 2 === 1 ? 'subtract' : 'add')
const apply = (op: Op, a: number, b: number) => (op === 'add' ? a + b : a - b)

export class RouteTask implements Task {
  readonly name = 'route'
  readonly tokenizer = new WordTokenizer(WORDS)
  readonly sgSet = sg
  readonly promptLength = 4 + MAX_STEPS + 1
  // 10 planning tokens, 11 reflective ones, 6 per step, "answer N", <eos>.
  readonly maxResponseLength = 10 + 11 + 6 * MAX_STEPS + 3

  private make(start: number, items: number[]): RouteProblem {
    const words = ['start', String(start), 'list', ...items.map(String), '.']
    const op = strategyOf(start)
    const gold = items.reduce((acc, x) => apply(op, acc, x), start)
    return {
      id: `route:${start}:${items.join('-')}`,
      promptIds: leftPad(this.tokenizer.ids(words), this.promptLength, this.tokenizer.padId),
      prompt: this.tokenizer.decode(this.tokenizer.ids(words)).text,
      gold: String(gold),
      start,
      items
    }
  }

  private draw(rng: Rng): RouteProblem {
    for (;;) {
      const start = rng.int(10, 39)
      const k = rng.int(MIN_STEPS, MAX_STEPS)
      const items = Array.from({ length: k }, () => rng.int(1, 5))
      const sum = items.reduce((a, b) => a + b, 0)
      const ok = strategyOf(start) === 'add' ? start + sum <= MAX : start - sum >= 0
      // The wrong strategy must also stay in range, so a planning error is executable.
      const okWrong = strategyOf(start) === 'add' ? start - sum >= 0 : start + sum <= MAX
      if (ok && okWrong) return this.make(start, items)
    }
  }

  sampleTrain(rng: Rng): Problem {
    return drawTrain(() => this.draw(rng))
  }

  testSet(size: number): Problem[] {
    return drawTestSet((rng) => this.draw(rng), 0x7e57, size)
  }

  teacher(problem: Problem, rng: Rng, rates: TeacherRates): number[] {
    const p = problem as RouteProblem
    const right = strategyOf(p.start)
    const wrong: Op = right === 'add' ? 'subtract' : 'add'
    const parity = (op: Op) => (op === 'subtract' ? 'odd' : 'even')
    const w: string[] = []
    let op = right
    if (rng.chance(rates.strategyErrorRate)) {
      w.push(String(p.start), 'is', parity(wrong), ',', 'so', 'we', wrong, 'each', 'number', '.')
      op = wrong
      if (rng.chance(rates.reflectionRate)) {
        w.push('wait', ',', 'the', 'first', 'number', 'is', parity(right), ',', 'so', 'we', right, 'instead', '.')
        op = right
      }
    } else {
      w.push(String(p.start), 'is', parity(right), ',', 'so', 'we', right, 'each', 'number', '.')
    }
    let cur = p.start
    for (const x of p.items) {
      // An earlier slip can push the running value off the number line the vocabulary covers.
      let next = Math.max(0, Math.min(MAX, apply(op, cur, x)))
      if (rng.chance(rates.executionErrorRate)) next = slip(next, rng)
      w.push(String(cur), op === 'add' ? '+' : '-', String(x), '=', String(next), '.')
      cur = next
    }
    w.push('answer', String(cur))
    return [...this.tokenizer.ids(w), this.tokenizer.eosId]
  }

  verify(problem: Problem, responseIds: ArrayLike<number>): Verdict {
    const p = problem as RouteProblem
    const words = this.tokenizer.words(responseIds)
    const ended = Array.from(responseIds).includes(this.tokenizer.eosId)
    const n = words.length
    // The answer is "answer N" closing the response.
    const answer = ended && n >= 2 && words[n - 2] === 'answer' && /^\d+$/.test(words[n - 1]) ? words[n - 1] : null
    if (answer === null) return { correct: false, reward: 0, answer: null, errorType: 'format' }
    if (answer === p.gold) return { correct: true, reward: 1, answer, errorType: null }
    // The strategy the response finally committed to is the last one it named.
    let named: Op | null = null
    for (const word of words) if (word === 'add' || word === 'subtract') named = word
    const errorType = named === strategyOf(p.start) ? 'calculation' : 'planning'
    return { correct: false, reward: 0, answer, errorType }
  }
}

/** A plausible arithmetic slip: off by 1 to 3, kept in range and never equal to the true value. */
export function slip(value: number, rng: Rng, max = MAX): number {
  if (value < 0 || value > max) throw new RangeError(`slip of ${value} outside [0, ${max}]`)
  for (;;) {
    const d = rng.int(1, 3) * (rng.chance(0.5) ? 1 : -1)
    const v = value + d
    if (v >= 0 && v <= max) return v
  }
}
