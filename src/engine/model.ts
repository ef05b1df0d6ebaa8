import type { ModelConfig } from './config'
import { bmm, bmmT, channelProduct, embed, gelu, layerNorm, linear, onWasm } from './ops'
import { Rng } from './rng'
import { tf, type Tensor, type Tensor2D, type Tensor3D, type Variable } from './tf'

// A decoder-only transformer (pre-LayerNorm, GPT-2 style) written with tfjs ops so that it trains
// on every backend, wasm included. Parameters are initialised from the engine's own seeded RNG, so
// the same seed gives the same weights on every backend.

export interface PolicyShape extends ModelConfig {
  vocab: number
}

interface LayerParams {
  ln1g: Variable
  ln1b: Variable
  wq: Variable
  bq: Variable
  wk: Variable
  bk: Variable
  wv: Variable
  bv: Variable
  wo: Variable
  bo: Variable
  ln2g: Variable
  ln2b: Variable
  w1: Variable
  b1: Variable
  w2: Variable
  b2: Variable
}

/** Keys and values of every layer for the positions seen so far: [N·H, t, dh] each. */
export interface KvCache {
  k: Tensor3D[]
  v: Tensor3D[]
  length: number
}

export class Policy {
  readonly shape: PolicyShape
  /** Every trainable tensor in a fixed order (checkpoints and the optimizer rely on it). */
  readonly params: { name: string; v: Variable }[] = []
  private readonly wte: Variable
  private readonly wpe: Variable
  private readonly layers: LayerParams[] = []
  private readonly lnfg: Variable
  private readonly lnfb: Variable
  private readonly head: Variable
  private readonly masks = new Map<number, Tensor>()
  /**
   * How a full pass lays out attention: `auto` takes the batch-last layout on wasm (faster there),
   * `heads-first` always uses the KV cache's layout. Both give the same numbers; tests compare them.
   */
  attentionLayout: 'auto' | 'heads-first' = 'auto'

  constructor(shape: PolicyShape, seed: number) {
    this.shape = shape
    const rng = new Rng(seed ^ 0x5eed)
    const { dModel: d, vocab, context, layers, ffMult } = shape
    const std = 0.02
    // Residual output projections are scaled down with depth (GPT-2), keeping early training stable.
    const residStd = std / Math.sqrt(2 * layers)
    const normal = (name: string, dims: number[], s: number) => this.add(name, dims, () => rng.normal() * s)
    const fill = (name: string, dims: number[], value: number) => this.add(name, dims, () => value)
    this.wte = normal('wte', [vocab, d], std)
    this.wpe = normal('wpe', [context, d], std / 2)
    for (let l = 0; l < layers; l++) {
      this.layers.push({
        ln1g: fill(`h${l}.ln1.g`, [d], 1),
        ln1b: fill(`h${l}.ln1.b`, [d], 0),
        // Separate q, k, v products: splitting one fused [D, 3D] output cost more than it saved.
        wq: normal(`h${l}.attn.wq`, [d, d], std),
        bq: fill(`h${l}.attn.bq`, [d], 0),
        wk: normal(`h${l}.attn.wk`, [d, d], std),
        bk: fill(`h${l}.attn.bk`, [d], 0),
        wv: normal(`h${l}.attn.wv`, [d, d], std),
        bv: fill(`h${l}.attn.bv`, [d], 0),
        wo: normal(`h${l}.attn.wo`, [d, d], residStd),
        bo: fill(`h${l}.attn.bo`, [d], 0),
        ln2g: fill(`h${l}.ln2.g`, [d], 1),
        ln2b: fill(`h${l}.ln2.b`, [d], 0),
        w1: normal(`h${l}.mlp.w1`, [d, ffMult * d], std),
        b1: fill(`h${l}.mlp.b1`, [ffMult * d], 0),
        w2: normal(`h${l}.mlp.w2`, [ffMult * d, d], residStd),
        b2: fill(`h${l}.mlp.b2`, [d], 0)
      })
    }
    this.lnfg = fill('lnf.g', [d], 1)
    this.lnfb = fill('lnf.b', [d], 0)
    this.head = normal('head', [d, vocab], std)
  }

  private add(name: string, dims: number[], init: () => number): Variable {
    const size = dims.reduce((a, b) => a * b, 1)
    const data = new Float32Array(size)
    for (let i = 0; i < size; i++) data[i] = init()
    const v = tf.variable(tf.tensor(data, dims), true)
    this.params.push({ name, v })
    return v
  }

  get parameterCount(): number {
    return this.params.reduce((n, p) => n + p.v.size, 0)
  }

  get variables(): Variable[] {
    return this.params.map((p) => p.v)
  }

  dispose(): void {
    for (const p of this.params) p.v.dispose()
    for (const m of this.masks.values()) m.dispose()
    this.masks.clear()
  }

  /** Additive causal mask [T, T]: 0 on and below the diagonal, a large negative number above. */
  private causalMask(t: number): Tensor {
    let m = this.masks.get(t)
    if (!m) {
      const data = new Float32Array(t * t)
      for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) data[i * t + j] = -1e9
      m = tf.keep(tf.tensor2d(data, [t, t]))
      this.masks.set(t, m)
    }
    return m
  }

  /** [N·T, D] → [N·H, T, dh] */
  private splitHeads(x: Tensor2D, n: number, t: number): Tensor3D {
    const { heads, dModel } = this.shape
    const dh = dModel / heads
    return tf.transpose(tf.reshape(x, [n, t, heads, dh]), [0, 2, 1, 3]).reshape([n * heads, t, dh]) as Tensor3D
  }

  /** [N·H, T, dh] → [N·T, D] */
  private mergeHeads(x: Tensor3D, n: number, t: number): Tensor2D {
    const { heads, dModel } = this.shape
    const dh = dModel / heads
    return tf.transpose(tf.reshape(x, [n, heads, t, dh]), [0, 2, 1, 3]).reshape([n * t, dModel]) as Tensor2D
  }

  /** Attention with heads split as [N·H, T, dh], the layout of the KV cache (decoding, prefill, other backends). */
  private attendHeadsFirst(q: Tensor2D, k: Tensor2D, v: Tensor2D, n: number, t: number, l: number, scale: number,
    opts: { cache?: KvCache; collect?: KvCache }): Tensor2D {
    const qh = this.splitHeads(q, n, t)
    let kh = this.splitHeads(k, n, t)
    let vh = this.splitHeads(v, n, t)
    if (opts.cache) {
      const c = opts.cache
      kh = tf.concat([c.k[l], kh], 1) as Tensor3D
      vh = tf.concat([c.v[l], vh], 1) as Tensor3D
      c.k[l] = kh
      c.v[l] = vh
    } else if (opts.collect) {
      opts.collect.k[l] = kh
      opts.collect.v[l] = vh
    }
    let scores = tf.mul(bmmT(qh, kh), scale) as Tensor3D
    // A decoding step sees every cached position; a full pass masks the future.
    if (!opts.cache || t > 1) scores = tf.add(scores, this.causalMask(t)) as Tensor3D
    return this.mergeHeads(bmm(tf.softmax(scores) as Tensor3D, vh), n, t)
  }

  /**
   * Causal attention of a full pass on wasm, in the depthwise convolution's batch-last layout
   * (ops.ts, `channelProduct`): five transposes a layer instead of about ten. q, k, v [N·T, D] →
   * the heads' outputs merged, [N·T, D]. The same numbers as the generic path below.
   */
  private attendBatchLast(q: Tensor2D, k: Tensor2D, v: Tensor2D, n: number, t: number, scale: number): Tensor2D {
    const { heads, dModel } = this.shape
    const dh = dModel / heads
    const b = n * heads
    const split = (x: Tensor2D, perm: number[], shape: [number, number, number]) => tf.reshape(tf.transpose(tf.reshape(x, [n, t, heads, dh]), perm), shape) as Tensor3D
    const qx = split(q, [1, 3, 0, 2], [t, dh, b]) // [T, dh, B]
    const kf = split(k, [3, 0, 2, 1], [dh, b, t]) // [dh, B, S]
    const vf = split(v, [1, 0, 2, 3], [t, b, dh]) // [S, B, dh]
    const scores = tf.add(tf.mul(channelProduct(qx, kf), scale), tf.reshape(this.causalMask(t), [t, 1, t])) // [T, B, S]
    const probs = tf.transpose(tf.softmax(scores), [0, 2, 1]) as Tensor3D // [T, S, B]
    const att = channelProduct(probs, vf) // [T, B, dh]
    return tf.reshape(tf.transpose(tf.reshape(att, [t, n, heads, dh]), [1, 0, 2, 3]), [n * t, dModel]) as Tensor2D
  }

  /**
   * Hidden states [N·T, D] of token ids [N, T] starting at position `pos0`. With `cache`, keys and
   * values of earlier positions are read from it and this call's are appended (decoding); with
   * `collect`, a fresh cache is filled (prefill). The attention is causal within the call.
   */
  hidden(ids: Tensor2D, opts: { pos0?: number; cache?: KvCache; collect?: KvCache } = {}): Tensor2D {
    const [n, t] = ids.shape
    const { heads, dModel } = this.shape
    const dh = dModel / heads
    const pos0 = opts.pos0 ?? 0
    if (pos0 + t > this.shape.context) {
      throw new Error(`sequence of ${pos0 + t} tokens exceeds the context length ${this.shape.context}`)
    }
    const pos = tf.slice(this.wpe, [pos0, 0], [t, dModel])
    let x = tf.reshape(tf.add(tf.reshape(embed(ids, this.wte as Tensor2D), [n, t, dModel]), pos), [n * t, dModel]) as Tensor2D
    const scale = 1 / Math.sqrt(dh)
    this.layers.forEach((p, l) => {
      const h = layerNorm(x, p.ln1g, p.ln1b)
      const q = tf.add(linear(h, p.wq as Tensor2D), p.bq) as Tensor2D
      const k = tf.add(linear(h, p.wk as Tensor2D), p.bk) as Tensor2D
      const v = tf.add(linear(h, p.wv as Tensor2D), p.bv) as Tensor2D
      const att = opts.cache || opts.collect || t === 1 || this.attentionLayout === 'heads-first' || !onWasm()
        ? this.attendHeadsFirst(q, k, v, n, t, l, scale, opts)
        : this.attendBatchLast(q, k, v, n, t, scale)
      x = tf.add(x, tf.add(linear(att, p.wo as Tensor2D), p.bo)) as Tensor2D
      const h2 = layerNorm(x, p.ln2g, p.ln2b)
      const ff = gelu(tf.add(linear(h2, p.w1 as Tensor2D), p.b1)) as Tensor2D
      x = tf.add(x, tf.add(linear(ff, p.w2 as Tensor2D), p.b2)) as Tensor2D
    })
    return layerNorm(x, this.lnfg, this.lnfb)
  }

  /** Next-token logits [M, V] of hidden states [M, D]. */
  logits(h: Tensor2D): Tensor2D {
    return linear(h, this.head as Tensor2D)
  }

  /** Logits [N·T, V] of every position of ids [N, T]. */
  forward(ids: Tensor2D): Tensor2D {
    return this.logits(this.hidden(ids))
  }

  /**
   * Logits [N·R, V] predicting the last R tokens of sequences [N, L] (teacher forcing): the hidden
   * states of positions L−R−1 … L−2 go through the head; the prompt's positions never do.
   */
  responseLogits(ids: Tensor2D, r: number): Tensor2D {
    const [n, l] = ids.shape
    const inputs = tf.slice(ids, [0, 0], [n, l - 1])
    const h = tf.reshape(this.hidden(inputs as Tensor2D), [n, l - 1, this.shape.dModel])
    const tail = tf.slice(h, [0, l - 1 - r, 0], [n, r, this.shape.dModel]).reshape([n * r, this.shape.dModel])
    return this.logits(tail as Tensor2D)
  }
}

export function emptyCache(layers: number): KvCache {
  return { k: new Array(layers), v: new Array(layers), length: 0 }
}

export function disposeCache(c: KvCache): void {
  for (const t of [...c.k, ...c.v]) t?.dispose()
}

export type { Tensor }
