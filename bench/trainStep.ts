// One tfjs backend's training speed at a given shape: the policy-gradient step of bench:train
// (PPO loss over a batch of N sequences of T tokens, gradients, Adam) and batched sampling with the
// KV cache, as tokens/s. Shared by bench:train (webgpu beside wasm and PyTorch) and the GPU check
// (bench/gpu.bench.ts, bundled by bench/gpu-bundle.mjs).
import { Adam } from '../src/engine/adam'
import { describeBackend, selectBackend, type BackendInfo, type BackendName } from '../src/engine/backend'
import type { PackedBatch } from '../src/engine/batch'
import { Policy } from '../src/engine/model'
import { ppoLoss } from '../src/engine/objective'
import { Rng } from '../src/engine/rng'
import { sample } from '../src/engine/sampling'
import { tf } from '../src/engine/tf'

export interface Shape {
  layers: number
  d: number
  heads: number
  /** Sequence length (context) in tokens. */
  t: number
  vocab: number
  /** Sequences per step (B × G). */
  batch: number
  /** Prompt tokens before sampling. */
  prompt: number
}

export interface Measured {
  info: BackendInfo
  params: number
  stepTimes: number[]
  /** Median step time, seconds. */
  stepS: number
  /** Trained tokens per second of step time: batch × (T − 1) / step. */
  trainTokPerS: number
  /** Sampling with the KV cache, tokens per second. */
  sampleTokPerS: number
  /** New tokens per sequence the sampling figure generated. */
  sampleNew: number
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

/**
 * The benchmarked policy-gradient step: a batch of `shape.batch` random sequences of T tokens (the
 * loss covers every position after the first, one random advantage per sequence, drawn from `rng`),
 * PPO loss, gradients and Adam. Returns the step; each call runs one and disposes its tensors.
 */
export function policyGradientStep(policy: Policy, adam: Adam, shape: Pick<Shape, 't' | 'vocab' | 'batch'>, rng: Rng): () => Promise<void> {
  const n = shape.batch
  const r = shape.t - 1
  const batch: PackedBatch = {
    n, l: shape.t, r,
    ids: Int32Array.from({ length: n * shape.t }, () => rng.int(0, shape.vocab - 1)),
    targets: new Int32Array(n * r),
    mask: new Float32Array(n * r).fill(1)
  }
  for (let i = 0; i < n; i++) batch.targets.set(batch.ids.subarray(i * shape.t + 1, (i + 1) * shape.t), i * r)
  const oldLogprobs = new Float32Array(n * r).fill(-Math.log(shape.vocab))
  const advantages = new Float32Array(n * r)
  for (let i = 0; i < n; i++) advantages.fill(rng.normal(), i * r, (i + 1) * r)
  return async () => {
    const { value, grads } = tf.variableGrads(
      () => ppoLoss(policy, { batch, oldLogprobs, advantages, weights: batch.mask, clipLow: 0.2, clipHigh: 0.28, betaEnt: 0 }).loss,
      policy.variables
    )
    await adam.apply(policy.variables.map((v) => grads[v.name]), 1)
    await value.data()
    value.dispose()
    for (const g of Object.values(grads)) g.dispose()
  }
}

/**
 * Times `steps` policy-gradient steps after one untimed step (shader compilation, wasm warm-up;
 * `untimedFirst: false` skips it),
 * then one sampling pass of `sampleNew` new tokens per sequence (default T − prompt) after a short
 * untimed one. Tensors are disposed before returning, so backends can be measured one after another.
 */
export async function measureBackend(
  backend: BackendName,
  shape: Shape,
  opts: { steps: number; sampleNew?: number; untimedFirst?: boolean }
): Promise<Measured> {
  const info = await selectBackend(backend)
  const policy = new Policy({ layers: shape.layers, dModel: shape.d, heads: shape.heads, context: shape.t, ffMult: 4, vocab: shape.vocab }, 0)
  const adam = new Adam(policy.variables, { lr: 1e-4, beta1: 0.9, beta2: 0.999 })
  try {
    const rng = new Rng(0)
    const n = shape.batch
    const step = policyGradientStep(policy, adam, shape, rng)
    // An emulator takes minutes a step: there the first step is timed too (shader compilation included).
    if (opts.untimedFirst ?? true) await step()
    const stepTimes: number[] = []
    for (let i = 0; i < opts.steps; i++) {
      const t0 = performance.now()
      await step()
      stepTimes.push((performance.now() - t0) / 1000)
    }
    const prompts = Array.from({ length: n }, () => Array.from({ length: shape.prompt }, () => rng.int(2, shape.vocab - 1)))
    const sampleNew = Math.min(opts.sampleNew ?? shape.t - shape.prompt, shape.t - shape.prompt)
    // eos id −1: never stop early, so exactly N × sampleNew tokens are generated.
    const o = { maxNew: sampleNew, temperature: 1, topP: 1, eosId: -1, padId: 0, rng: new Rng(1) }
    await sample(policy, prompts, { ...o, maxNew: Math.min(4, sampleNew) })
    const t0 = performance.now()
    const res = await sample(policy, prompts, o)
    const sampleTokPerS = res.generated / ((performance.now() - t0) / 1000)
    const stepS = median(stepTimes)
    return { info, params: policy.parameterCount, stepTimes, stepS, trainTokPerS: (n * (shape.t - 1)) / stepS, sampleTokPerS, sampleNew }
  } finally {
    adam.dispose()
    policy.dispose()
  }
}

/** The lines bench:train and the GPU check print for one backend. */
export function report(m: Measured): string[] {
  return [
    `tfjs backend ${describeBackend(m.info)}`,
    `  params ${m.params}; policy-gradient step (median of ${m.stepTimes.length}): ${m.stepS.toFixed(3)} s, ${m.trainTokPerS.toFixed(0)} trained tokens/s`,
    `  sampling with KV cache (${m.sampleNew} new tokens a sequence): ${m.sampleTokPerS.toFixed(0)} tokens/s`
  ]
}
