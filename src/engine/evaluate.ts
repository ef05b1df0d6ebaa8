import { passAtK } from '../core/passAtK'
import type { Policy } from './model'
import type { Rng } from './rng'
import { sample } from './sampling'
import type { Problem, Task } from './tasks'

// Test-split evaluation, DeepSeek-R1 protocol as the paper uses it: n samples per problem at
// temperature 0.6, Pass@1 averaged over the samples of each problem, and pass@k.

export interface EvalOptions {
  samples: number
  temperature: number
  topP: number
  passK: number
  rng: Rng
  /** Rows per sampling call, bounding memory. */
  chunk?: number
}

export async function evaluate(policy: Policy, task: Task, problems: Problem[], opts: EvalOptions): Promise<Record<string, number>> {
  const n = opts.samples
  const prompts = problems.flatMap((p) => new Array<number[]>(n).fill(p.promptIds))
  const chunk = opts.chunk ?? 256
  const responses: number[][] = []
  for (let s = 0; s < prompts.length; s += chunk) {
    const res = await sample(policy, prompts.slice(s, s + chunk), {
      maxNew: task.maxResponseLength + 8,
      temperature: opts.temperature,
      topP: opts.topP,
      eosId: task.tokenizer.eosId,
      padId: task.tokenizer.padId,
      rng: opts.rng
    })
    responses.push(...res.responses)
  }
  let p1 = 0
  let pk = 0
  let kCount = 0
  const errors = { planning: 0, calculation: 0, format: 0 }
  problems.forEach((p, i) => {
    let c = 0
    for (let j = 0; j < n; j++) {
      const v = task.verify(p, responses[i * n + j])
      if (v.correct) c++
      else if (v.errorType) errors[v.errorType]++
    }
    p1 += c / n
    if (n >= opts.passK) {
      pk += passAtK(n, c, opts.passK)
      kCount++
    }
  })
  const total = problems.length * n
  const out: Record<string, number> = {
    test_pass_at_1: p1 / problems.length,
    test_error_planning: errors.planning / total,
    test_error_calculation: errors.calculation / total,
    test_error_format: errors.format / total
  }
  if (kCount > 0) out[`test_pass_at_${opts.passK}`] = pk / kCount
  return out
}
