import { beforeAll, describe, expect, it } from 'vitest'
import { Adam } from '../../src/engine/adam'
import { pack } from '../../src/engine/batch'
import { Policy } from '../../src/engine/model'
import { nllLoss, scoreBatch } from '../../src/engine/objective'
import { bmm, bmmT, channelProduct, layerNorm, linear } from '../../src/engine/ops'
import { Rng } from '../../src/engine/rng'
import { drawToken, sample } from '../../src/engine/sampling'
import { createTask } from '../../src/engine/tasks'
import { tf, type Tensor } from '../../src/engine/tf'
import { useWasm } from './helpers'

beforeAll(useWasm)

const tiny = { layers: 1, dModel: 32, heads: 2, context: 80, ffMult: 2 }

function close(a: Tensor, b: Tensor, tol = 1e-4) {
  const x = a.dataSync()
  const y = b.dataSync()
  expect(x.length).toBe(y.length)
  let max = 0
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]))
  expect(max).toBeLessThanOrEqual(tol)
}

describe('ops', () => {
  it('linear, bmm and layerNorm have the gradients of their plain definitions', () => {
    const r = new Rng(1)
    const t = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => r.normal()), shape)
    const x = t([5, 4]), w = t([4, 3]), a = t([2, 3, 4]), b = t([2, 4, 5]), g = t([4]), be = t([4])
    type Op = (...xs: Tensor[]) => Tensor
    /** The op and its plain definition give the same gradients of Σ probe·f(inputs). */
    const sameGrads = (op: Op, plain: Op, inputs: Tensor[], probe: Tensor) => {
      const g1 = tf.grads((...xs: Tensor[]) => tf.sum(tf.mul(op(...xs), probe)))(inputs)
      const g2 = tf.grads((...xs: Tensor[]) => tf.sum(tf.mul(plain(...xs), probe)))(inputs)
      g1.forEach((v, i) => close(v, g2[i]))
    }
    const matMul = (x: Tensor, w: Tensor) => tf.matMul(x as never, w as never)
    sameGrads(linear as Op, matMul, [x, w], t([5, 3]))
    const probe3 = t([2, 3, 5])
    sameGrads(bmm as Op, matMul, [a, b], probe3)
    // A wide dy takes the (dyᵀ·x)ᵀ path for the weight gradient.
    sameGrads(linear as Op, matMul, [t([6, 2]), t([2, 7])], t([6, 7]))
    // q·kᵀ and the batch-last product (a depthwise convolution on wasm) against plain matMul.
    sameGrads(bmmT as Op, (a, k) => tf.matMul(a as never, k as never, false, true), [a, t([2, 5, 4])], probe3)
    const cx = t([3, 4, 2]), cf = t([4, 2, 5])
    const plainChannel = (x: Tensor, f: Tensor) => // [M, K, B]·[K, B, N] as a batched matMul over B
      tf.transpose(tf.matMul(tf.transpose(x, [2, 0, 1]) as never, tf.transpose(f, [1, 0, 2]) as never), [1, 0, 2])
    close(channelProduct(cx as never, cf as never), plainChannel(cx, cf))
    sameGrads(channelProduct as Op, plainChannel, [cx, cf], t([3, 2, 5]))
    const plainLn = (x: Tensor, g: Tensor, b: Tensor) => {
      const c = tf.sub(x, tf.mean(x, -1, true))
      return tf.add(tf.mul(tf.mul(c, tf.rsqrt(tf.add(tf.mean(tf.square(c), -1, true), 1e-5))), g), b)
    }
    const probe2 = t([5, 4])
    const x2 = t([5, 4])
    sameGrads(layerNorm as Op, plainLn, [x2, g, be], probe2)
    close(layerNorm(x2 as never, g, be), plainLn(x2, g, be))
  })
})

describe('Policy', () => {
  it('has about 0.4 M parameters by default', () => {
    const p = new Policy({ layers: 2, dModel: 128, heads: 4, context: 80, ffMult: 4, vocab: 123 }, 1)
    expect(p.parameterCount).toBeGreaterThan(350_000)
    expect(p.parameterCount).toBeLessThan(500_000)
    p.dispose()
  })

  it('is initialised from the seed', () => {
    const shape = { ...tiny, vocab: 20 }
    const a = new Policy(shape, 3), b = new Policy(shape, 3), c = new Policy(shape, 4)
    close(a.params[0].v, b.params[0].v, 0)
    expect(Array.from(a.params[0].v.dataSync())).not.toEqual(Array.from(c.params[0].v.dataSync()))
    ;[a, b, c].forEach((p) => p.dispose())
  })

  it('samples the same tokens with and without the KV cache, without leaking tensors', async () => {
    const task = createTask('route')
    const p = new Policy({ ...tiny, vocab: task.tokenizer.size }, 2)
    const rng = new Rng(9)
    const prompts = Array.from({ length: 6 }, () => task.sampleTrain(rng).promptIds)
    const opts = { maxNew: 12, temperature: 1, topP: 0.9, eosId: task.tokenizer.eosId, padId: 0 }
    await sample(p, prompts, { ...opts, rng: new Rng(5) }) // builds the cached causal mask
    const before = tf.memory().numTensors
    const a = await sample(p, prompts, { ...opts, rng: new Rng(5) })
    expect(tf.memory().numTensors).toBe(before)
    const b = await sample(p, prompts, { ...opts, rng: new Rng(5), useCache: false })
    expect(a.responses).toEqual(b.responses)
    expect(a.generated).toBeGreaterThan(0)
    p.dispose()
  })

  it('gives the same loss and gradients with attention batch-last (wasm) and heads-first', () => {
    const p = new Policy({ ...tiny, vocab: 30 }, 5)
    const r = new Rng(3)
    // Weights far from the small initialisation, so that attention is not nearly uniform.
    for (const v of p.variables) v.assign(tf.tensor(Float32Array.from({ length: v.size }, () => r.normal() * 0.5), v.shape))
    const ids = Array.from({ length: 3 }, () => Array.from({ length: 9 }, () => r.int(1, 29)))
    const b = pack(ids.map((x) => x.slice(0, 4)), ids.map((x) => x.slice(4)), 0)
    const run = () => tf.variableGrads(() => nllLoss(p, b), p.variables)
    const fast = run()
    p.attentionLayout = 'heads-first'
    const plain = run()
    close(fast.value, plain.value, 1e-4)
    for (const v of p.variables) close(fast.grads[v.name], plain.grads[v.name], 1e-4)
    tf.dispose([fast.value, plain.value, ...Object.values(fast.grads), ...Object.values(plain.grads)])
    p.dispose()
  })

  it('scores exactly what it samples from: cached-step logits equal the full pass', () => {
    const p = new Policy({ ...tiny, vocab: 30 }, 4)
    const ids = tf.tensor2d([[3, 4, 5, 6, 7, 8]], [1, 6], 'int32')
    const full = p.forward(ids)
    const last = tf.slice(full, [5, 0], [1, 30])
    // responseLogits over the last position equals the forward pass's logits there.
    const resp = p.responseLogits(tf.tensor2d([[3, 4, 5, 6, 7, 8, 9]], [1, 7], 'int32'), 1)
    close(resp, last, 1e-4)
    p.dispose()
  })

  it('learns the teacher in a few supervised steps on wasm', async () => {
    const task = createTask('route')
    const p = new Policy({ ...tiny, vocab: task.tokenizer.size }, 5)
    const adam = new Adam(p.variables, { lr: 1e-2, beta1: 0.9, beta2: 0.999 })
    const rng = new Rng(6)
    const rates = { strategyErrorRate: 0, executionErrorRate: 0, reflectionRate: 0 }
    const losses: number[] = []
    for (let s = 0; s < 12; s++) {
      const probs = Array.from({ length: 16 }, () => task.sampleTrain(rng))
      const b = pack(probs.map((x) => x.promptIds), probs.map((x) => task.teacher(x, rng, rates)), task.tokenizer.padId)
      const { value, grads } = tf.variableGrads(() => nllLoss(p, b), p.variables)
      await adam.apply(p.variables.map((v) => grads[v.name]), 1)
      losses.push(value.dataSync()[0])
      tf.dispose([value, ...Object.values(grads)])
    }
    expect(losses[11]).toBeLessThan(losses[0] * 0.7)
    // The scoring pass agrees with the loss: mean −log π over the batch's tokens.
    const probs = Array.from({ length: 4 }, () => task.sampleTrain(rng))
    const b = pack(probs.map((x) => x.promptIds), probs.map((x) => task.teacher(x, rng, rates)), task.tokenizer.padId)
    const sc = await scoreBatch(p, b, 3)
    let s = 0, n = 0
    for (let i = 0; i < sc.logprobs.length; i++) if (b.mask[i]) (s -= sc.logprobs[i]), n++
    const nll = nllLoss(p, b)
    expect(s / n).toBeCloseTo(nll.dataSync()[0], 4)
    for (let i = 0; i < sc.entropies.length; i++) expect(sc.entropies[i]).toBeGreaterThanOrEqual(-1e-5)
    adam.dispose()
    p.dispose()
  })
})

describe('drawToken', () => {
  it('is greedy at temperature 0 and keeps to the nucleus under top-p', () => {
    const logits = Float32Array.from([0, 5, 1, 4.9])
    expect(drawToken(logits, 0, 4, 0, 1, new Rng(1))).toBe(1)
    const rng = new Rng(2)
    const seen = new Set<number>()
    for (let i = 0; i < 200; i++) seen.add(drawToken(logits, 0, 4, 1, 0.9, rng))
    expect([...seen].sort()).toEqual([1, 3])
  })
})
