import { idsTensor, selectRows, type PackedBatch } from './batch'
import type { Policy } from './model'
import { tf, type Scalar, type Tensor, type Tensor1D, type Tensor2D } from './tf'

// Per-token quantities of a policy on a packed batch, and the losses of SPEC §3, all token-mean.

/** log π(target) [M] and entropy H [M] of logits [M, V]. */
export function tokenStats(logits: Tensor2D, targets: Tensor1D): { logp: Tensor1D; entropy: Tensor1D } {
  const logProbs = tf.logSoftmax(logits)
  const oneHot = tf.oneHot(targets, logits.shape[1]).toFloat()
  const logp = tf.sum(tf.mul(logProbs, oneHot), -1) as Tensor1D
  const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logProbs), logProbs), -1)) as Tensor1D
  return { logp, entropy }
}

/**
 * The scoring pass: per-token log-probs and entropies [N·R] of every response token under the
 * current policy, in chunks of `chunk` rows to bound memory. These serve as π_old for PPO and as
 * the token-level metrics' inputs.
 */
export async function scoreBatch(policy: Policy, b: PackedBatch, chunk = 64): Promise<{ logprobs: Float32Array; entropies: Float32Array }> {
  const logprobs = new Float32Array(b.n * b.r)
  const entropies = new Float32Array(b.n * b.r)
  for (let s = 0; s < b.n; s += chunk) {
    const rows = Array.from({ length: Math.min(chunk, b.n - s) }, (_, i) => s + i)
    const part = selectRows(b, rows)
    const [lp, ent] = tf.tidy(() => {
      const logits = policy.responseLogits(idsTensor(part), part.r)
      const st = tokenStats(logits, tf.tensor1d(part.targets, 'int32'))
      return [st.logp, st.entropy]
    })
    // Asynchronous reads: the webgpu backend has no synchronous GPU read in Node.
    const [lpv, entv] = await Promise.all([lp.data(), ent.data()])
    logprobs.set(lpv as Float32Array, s * b.r)
    entropies.set(entv as Float32Array, s * b.r)
    lp.dispose()
    ent.dispose()
  }
  return { logprobs, entropies }
}

export interface PpoInputs {
  batch: PackedBatch
  oldLogprobs: Float32Array
  /** Per-token advantage [N·R]. */
  advantages: Float32Array
  /** Which tokens the policy term averages over (mask, or a subset for `highent`) [N·R]. */
  weights: Float32Array
  clipLow: number
  clipHigh: number
  betaEnt: number
}

export interface PpoOutputs {
  loss: Scalar
  /** Tokens whose clipped term was the active one, and the tokens counted. */
  clipped: Tensor
  entropyMean: Tensor
}

/**
 * −min(r·A, clip(r, 1−ε_low, 1+ε_high)·A) averaged over the weighted tokens (token-mean), minus
 * β_ent times the mean entropy over all response tokens (the entropy-regularized baseline).
 */
export function ppoLoss(policy: Policy, x: PpoInputs): PpoOutputs {
  const b = x.batch
  const logits = policy.responseLogits(idsTensor(b), b.r)
  const { logp, entropy } = tokenStats(logits, tf.tensor1d(b.targets, 'int32'))
  const ratio = tf.exp(tf.sub(logp, tf.tensor1d(x.oldLogprobs)))
  const adv = tf.tensor1d(x.advantages)
  const w = tf.tensor1d(x.weights)
  const mask = tf.tensor1d(b.mask)
  const unclipped = tf.mul(ratio, adv)
  const clippedTerm = tf.mul(tf.clipByValue(ratio, 1 - x.clipLow, 1 + x.clipHigh), adv)
  const surr = tf.minimum(unclipped, clippedTerm)
  const wSum = Math.max(1, sumOf(x.weights))
  const mSum = Math.max(1, sumOf(b.mask))
  let loss = tf.div(tf.neg(tf.sum(tf.mul(surr, w))), wSum) as Scalar
  const entropyMean = tf.div(tf.sum(tf.mul(entropy, mask)), mSum)
  if (x.betaEnt > 0) loss = tf.sub(loss, tf.mul(entropyMean, x.betaEnt)) as Scalar
  const clipped = tf.sum(tf.mul(tf.cast(tf.less(clippedTerm, unclipped), 'float32'), w))
  return { loss, clipped, entropyMean }
}

/** Supervised warm-up: mean negative log-likelihood of the response tokens. */
export function nllLoss(policy: Policy, b: PackedBatch): Scalar {
  const logits = policy.responseLogits(idsTensor(b), b.r)
  const { logp } = tokenStats(logits, tf.tensor1d(b.targets, 'int32'))
  return tf.div(tf.neg(tf.sum(tf.mul(logp, tf.tensor1d(b.mask)))), Math.max(1, sumOf(b.mask))) as Scalar
}

function sumOf(a: Float32Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]
  return s
}
