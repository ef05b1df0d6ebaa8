// SPEC §3. Advantages are per response (GRPO) and per token (HICRA).

export interface GrpoOptions {
  /** Divide by the group's population std + 1e-6 (off in the paper's form). */
  normalizeStd?: boolean
}

export const DEFAULT_HICRA_ALPHA = 0.2
const STD_EPS = 1e-6

/** A_i = R_i − mean R (optionally / (std + 1e-6)); a group of one gets 0. */
export function grpoAdvantages(rewards: ArrayLike<number>, opts: GrpoOptions = {}): Float64Array {
  const g = rewards.length
  const out = new Float64Array(g)
  if (g <= 1) return out
  let sum = 0
  for (let i = 0; i < g; i++) sum += rewards[i]
  const mean = sum / g
  for (let i = 0; i < g; i++) out[i] = rewards[i] - mean
  if (opts.normalizeStd) {
    let ss = 0
    for (let i = 0; i < g; i++) ss += out[i] * out[i]
    const denom = Math.sqrt(ss / g) + STD_EPS
    for (let i = 0; i < g; i++) out[i] /= denom
  }
  return out
}

export function checkAlpha(alpha: number): void {
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`HICRA alpha must be in [0, 1], got ${alpha}`)
}

/** Per-token HICRA advantage: A + α·|A| on planning tokens, A elsewhere. */
export function hicraAdvantage(A: number, planningMask: Uint8Array, alpha: number = DEFAULT_HICRA_ALPHA): Float32Array {
  checkAlpha(alpha)
  const out = new Float32Array(planningMask.length)
  const boosted = A + alpha * Math.abs(A)
  for (let t = 0; t < out.length; t++) out[t] = planningMask[t] ? boosted : A
  return out
}

export interface GroupAdvantageOptions extends GrpoOptions {
  /** 'grpo' ignores the masks; 'hicra' boosts planning tokens. */
  method?: 'grpo' | 'hicra'
  alpha?: number
}

/**
 * Per-token advantages for a whole group: one Float32Array per response, as long as its
 * planning mask.
 */
export function groupTokenAdvantages(
  rewards: ArrayLike<number>,
  planningMasks: readonly Uint8Array[],
  opts: GroupAdvantageOptions = {}
): Float32Array[] {
  if (planningMasks.length !== rewards.length) {
    throw new RangeError(`${rewards.length} rewards but ${planningMasks.length} planning masks`)
  }
  const method = opts.method ?? 'hicra'
  const alpha = method === 'hicra' ? (opts.alpha ?? DEFAULT_HICRA_ALPHA) : 0
  checkAlpha(alpha)
  const adv = grpoAdvantages(rewards, opts)
  return planningMasks.map((m, i) => hicraAdvantage(adv[i], m, alpha))
}
