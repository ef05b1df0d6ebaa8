import { createHash } from 'node:crypto'
import path from 'node:path'
import { Adam } from './adam'
import { pack } from './batch'
import { latestCheckpoint, loadCheckpoint, saveCheckpoint, stepDir } from './checkpoint'
import { baseSeedOf, type TrainConfig } from './config'
import type { Policy } from './model'
import { nllLoss } from './objective'
import type { WarmupProgress } from './protocol'
import { streamRng } from './rng'
import type { Task } from './tasks'
import { tf } from './tf'

// The supervised warm-up that makes the base policy: imitate a noisy teacher whose strategy and
// execution error rates are set separately, so the base is procedurally shaky and strategically
// weak, like the paper's base models. Every run with the same task, model, warm-up settings, seed
// and backend starts from the same base, cached in the workspace, so algorithms are compared from
// one starting point and the warm-up is paid once.

export function baseKey(config: TrainConfig, backend: string): string {
  // The warm-up's seed goes in as `seed` alone, so a base named by `warmup.seed` and one made by a
  // run whose own seed is the same share a key (and keys of earlier versions stay valid).
  const { seed: _seed, ...warm } = config.warmup
  const key = JSON.stringify({ task: config.task, model: config.model, warmup: warm, seed: baseSeedOf(config), backend, v: 1 })
  return createHash('sha256').update(key).digest('hex').slice(0, 16)
}

export interface WarmupResult {
  cached: boolean
  loss: number
  dir: string | null
}

export async function warmup(
  policy: Policy,
  task: Task,
  config: TrainConfig,
  opts: {
    workspace: string | null
    backend: string
    onProgress?: (p: WarmupProgress) => void | Promise<void>
    shouldStop?: () => boolean
    /** Called before each step so that a worker can take in a stop message. */
    yieldEvery?: () => Promise<void>
  }
): Promise<WarmupResult> {
  const w = config.warmup
  if (w.steps === 0) return { cached: false, loss: NaN, dir: null }
  const dir = opts.workspace ? path.join(opts.workspace, 'base', `${task.name}-${baseKey(config, opts.backend)}`) : null
  const cached = dir ? latestCheckpoint(dir) : null
  if (cached) {
    const m = loadCheckpoint<{ loss: number }>(cached, policy, null)
    await opts.onProgress?.({ step: w.steps, steps: w.steps, loss: m.state.loss, cached: true, elapsedS: 0, rate: null, etaS: null })
    return { cached: true, loss: m.state.loss, dir: cached }
  }
  const rng = streamRng(baseSeedOf(config), 'warmup')
  const adam = new Adam(policy.variables, { lr: w.lr, beta1: 0.9, beta2: 0.99 })
  const rates = { strategyErrorRate: w.strategyErrorRate, executionErrorRate: w.executionErrorRate, reflectionRate: w.reflectionRate }
  let loss = NaN
  const t0 = performance.now()
  let reported = t0
  const report = (s: number) => {
    const elapsedS = (performance.now() - t0) / 1000
    const rate = s > 0 && elapsedS > 0 ? s / elapsedS : null
    reported = performance.now()
    return opts.onProgress?.({ step: s, steps: w.steps, loss, cached: false, elapsedS, rate, etaS: rate ? (w.steps - s) / rate : null })
  }
  await report(0)
  try {
    for (let s = 1; s <= w.steps; s++) {
      await opts.yieldEvery?.()
      if (opts.shouldStop?.()) return { cached: false, loss, dir: null }
      const problems = Array.from({ length: w.batchSize }, () => task.sampleTrain(rng))
      const b = pack(problems.map((p) => p.promptIds), problems.map((p) => task.teacher(p, rng, rates)), task.tokenizer.padId)
      // Cosine decay to a tenth keeps the end of the warm-up from bouncing around.
      adam.opts.lr = w.lr * (0.1 + 0.9 * 0.5 * (1 + Math.cos((Math.PI * (s - 1)) / w.steps)))
      const { value, grads } = tf.variableGrads(() => nllLoss(policy, b), policy.variables)
      loss = (await value.data())[0]
      if (!Number.isFinite(loss)) {
        tf.dispose([value, ...Object.values(grads)])
        throw new Error(`warm-up loss became ${loss} at step ${s}`)
      }
      await adam.apply(policy.variables.map((v) => grads[v.name]), 1)
      tf.dispose([value, ...Object.values(grads)])
      // About once a second (and at the first and last step), so a slow warm-up still shows progress.
      if (s === 1 || s === w.steps || performance.now() - reported >= 1000) await report(s)
    }
  } finally {
    adam.dispose()
  }
  const saved = dir ? await saveCheckpoint(stepDir(dir, w.steps), w.steps, policy, null, { loss }) : null
  return { cached: false, loss, dir: saved }
}
