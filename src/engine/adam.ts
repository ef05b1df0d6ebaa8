import { tf, type Tensor, type Variable } from './tf'

// Adam written out with tfjs ops rather than tf.train.adam: its whole state (step, m, v) is plain
// tensors in the parameters' order, so a checkpoint saves and restores it exactly, and the global
// gradient-norm clip happens before the update where it belongs.

export interface AdamOptions {
  lr: number
  beta1: number
  beta2: number
  eps?: number
}

export class Adam {
  step = 0
  readonly m: Variable[]
  readonly v: Variable[]

  constructor(private readonly params: Variable[], public opts: AdamOptions) {
    this.m = params.map((p) => tf.variable(tf.zerosLike(p), false))
    this.v = params.map((p) => tf.variable(tf.zerosLike(p), false))
  }

  /** Applies gradients (same order as the parameters), clipped to global norm `clip` (0: none). Returns the pre-clip norm. */
  async apply(grads: Tensor[], clip: number): Promise<number> {
    const norm = await globalNorm(grads)
    const scale = clip > 0 && norm > clip ? clip / norm : 1
    this.step++
    const { lr, beta1, beta2 } = this.opts
    const eps = this.opts.eps ?? 1e-8
    const bc1 = 1 - beta1 ** this.step
    const bc2 = 1 - beta2 ** this.step
    tf.tidy(() => {
      this.params.forEach((p, i) => {
        const g = scale === 1 ? grads[i] : tf.mul(grads[i], scale)
        const m = tf.add(tf.mul(this.m[i], beta1), tf.mul(g, 1 - beta1))
        const v = tf.add(tf.mul(this.v[i], beta2), tf.mul(tf.square(g), 1 - beta2))
        this.m[i].assign(m)
        this.v[i].assign(v)
        const update = tf.div(tf.mul(m, lr / bc1), tf.add(tf.sqrt(tf.div(v, bc2)), eps))
        p.assign(tf.sub(p, update))
      })
    })
    return norm
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose()
  }
}

/** √Σ‖g‖² over all gradients, read back as one number (asynchronously: webgpu cannot read synchronously in Node). */
export async function globalNorm(grads: Tensor[]): Promise<number> {
  // A chain of adds, not addN: webgpu's addN binds every input to one shader, and past the
  // device's storage-buffer limit (8 by default) its pipeline does not compile.
  const sq = tf.tidy(() => grads.map((g) => tf.sum(tf.square(g))).reduce((a, b) => tf.add(a, b)))
  const v = (await sq.data())[0]
  sq.dispose()
  return Math.sqrt(v)
}
