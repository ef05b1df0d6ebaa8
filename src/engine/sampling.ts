import { disposeCache, emptyCache, type KvCache, type Policy } from './model'
import type { Rng } from './rng'
import { tf, type Tensor2D } from './tf'

// Batched autoregressive sampling over every response of a step at once. With the KV cache the
// prompt is run once (prefill) and each new token costs one position; without it every step
// re-runs the whole prefix (kept for the benchmark's comparison).

export interface SampleOptions {
  maxNew: number
  temperature: number
  topP: number
  eosId: number
  padId: number
  rng: Rng
  /** Default true. */
  useCache?: boolean
}

export interface SampleResult {
  /** Generated ids per row, `<eos>` included when emitted; no padding. */
  responses: number[][]
  /** Tokens actually generated (the tokens/s numerator). */
  generated: number
}

/** Draws one token id from logits row `row` of `logits` (length V per row). */
export function drawToken(logits: Float32Array, row: number, vocab: number, temperature: number, topP: number, rng: Rng): number {
  const off = row * vocab
  // temperature 0 means greedy decoding.
  if (temperature <= 0) {
    let best = 0
    for (let v = 1; v < vocab; v++) if (logits[off + v] > logits[off + best]) best = v
    return best
  }
  let max = -Infinity
  for (let v = 0; v < vocab; v++) max = Math.max(max, logits[off + v])
  const probs = new Float64Array(vocab)
  let z = 0
  for (let v = 0; v < vocab; v++) {
    probs[v] = Math.exp((logits[off + v] - max) / temperature)
    z += probs[v]
  }
  if (topP >= 1) {
    let u = rng.next() * z
    for (let v = 0; v < vocab; v++) {
      u -= probs[v]
      if (u < 0) return v
    }
    return vocab - 1
  }
  // Nucleus: the smallest set of most likely tokens whose mass reaches topP (ties: lower id first).
  const order = Array.from({ length: vocab }, (_, i) => i).sort((a, b) => probs[b] - probs[a] || a - b)
  let kept = 0
  let mass = 0
  while (kept < vocab && mass < topP * z) mass += probs[order[kept++]]
  let u = rng.next() * mass
  for (let i = 0; i < kept; i++) {
    u -= probs[order[i]]
    if (u < 0) return order[i]
  }
  return order[kept - 1]
}

// Logits come back with `await data()`: the webgpu backend cannot read the GPU synchronously in
// Node (its dataSync needs OffscreenCanvas), and on wasm or cpu the promise is already settled.
export async function sample(policy: Policy, prompts: number[][], opts: SampleOptions): Promise<SampleResult> {
  const n = prompts.length
  const p = prompts[0].length
  if (prompts.some((x) => x.length !== p)) throw new Error('all prompts of a batch must have the same length')
  const maxNew = Math.min(opts.maxNew, policy.shape.context - p)
  const vocab = policy.shape.vocab
  const responses: number[][] = prompts.map(() => [])
  const done = new Array<boolean>(n).fill(false)
  let generated = 0
  const seqs = prompts.map((x) => [...x])
  const useCache = opts.useCache ?? true
  let cache: KvCache | null = null

  const nextIds = (logits: Float32Array): number[] =>
    seqs.map((_, i) => (done[i] ? opts.padId : drawToken(logits, i, vocab, opts.temperature, opts.topP, opts.rng)))

  try {
    for (let step = 0; step < maxNew; step++) {
      let logits: Float32Array
      if (!useCache) {
        const len = seqs[0].length
        const out = tf.tidy(() => {
          const ids = tf.tensor2d(seqs.flat(), [n, len], 'int32')
          const h = policy.hidden(ids).reshape([n, len, policy.shape.dModel])
          const last = tf.slice(h, [0, len - 1, 0], [n, 1, policy.shape.dModel]).reshape([n, policy.shape.dModel])
          return policy.logits(last as Tensor2D)
        })
        logits = (await out.data()) as Float32Array
        out.dispose()
      } else if (cache === null) {
        const fresh = emptyCache(policy.shape.layers)
        const out = tf.tidy(() => {
          const ids = tf.tensor2d(seqs.flat(), [n, p], 'int32')
          const h = policy.hidden(ids, { collect: fresh }).reshape([n, p, policy.shape.dModel])
          const last = tf.slice(h, [0, p - 1, 0], [n, 1, policy.shape.dModel]).reshape([n, policy.shape.dModel])
          return { logits: policy.logits(last as Tensor2D), k: fresh.k, v: fresh.v }
        })
        cache = { k: out.k, v: out.v, length: p }
        logits = (await out.logits.data()) as Float32Array
        out.logits.dispose()
      } else {
        const c: KvCache = cache
        const last = seqs.map((s) => s[s.length - 1])
        const next: KvCache = { k: [...c.k], v: [...c.v], length: c.length + 1 }
        const out = tf.tidy(() => {
          const ids = tf.tensor2d(last, [n, 1], 'int32')
          const h = policy.hidden(ids, { pos0: c.length, cache: next })
          return { logits: policy.logits(h), k: next.k, v: next.v }
        })
        disposeCache(c)
        cache = { k: out.k, v: out.v, length: c.length + 1 }
        logits = (await out.logits.data()) as Float32Array
        out.logits.dispose()
      }
      const ids = nextIds(logits)
      for (let i = 0; i < n; i++) {
        seqs[i].push(ids[i])
        if (done[i]) continue
        responses[i].push(ids[i])
        generated++
        if (ids[i] === opts.eosId) done[i] = true
      }
      if (done.every(Boolean)) break
    }
  } finally {
    if (cache) disposeCache(cache)
  }
  return { responses, generated }
}
