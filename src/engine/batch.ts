import { tf, type Tensor2D } from './tf'

// Packs prompts and responses into one left-aligned layout: every prompt has the task's fixed
// length P (left-padded), every response is right-padded to the batch's longest, R. A token's
// weight is 1 for real response tokens (the `<eos>` included) and 0 for padding.

export interface PackedBatch {
  n: number
  /** Sequence length P + R. */
  l: number
  /** Response length R. */
  r: number
  ids: Int32Array
  /** Response tokens, [N·R]. */
  targets: Int32Array
  mask: Float32Array
}

export function pack(prompts: number[][], responses: number[][], padId: number): PackedBatch {
  const n = prompts.length
  const p = prompts[0].length
  const r = Math.max(1, ...responses.map((x) => x.length))
  const l = p + r
  const ids = new Int32Array(n * l).fill(padId)
  const targets = new Int32Array(n * r).fill(padId)
  const mask = new Float32Array(n * r)
  for (let i = 0; i < n; i++) {
    ids.set(prompts[i], i * l)
    ids.set(responses[i], i * l + p)
    targets.set(responses[i], i * r)
    mask.fill(1, i * r, i * r + responses[i].length)
  }
  return { n, l, r, ids, targets, mask }
}

/** Rows `rows` of a packed batch, as a smaller packed batch (same P and R). */
export function selectRows(b: PackedBatch, rows: number[]): PackedBatch {
  const ids = new Int32Array(rows.length * b.l)
  const targets = new Int32Array(rows.length * b.r)
  const mask = new Float32Array(rows.length * b.r)
  rows.forEach((row, i) => {
    ids.set(b.ids.subarray(row * b.l, (row + 1) * b.l), i * b.l)
    targets.set(b.targets.subarray(row * b.r, (row + 1) * b.r), i * b.r)
    mask.set(b.mask.subarray(row * b.r, (row + 1) * b.r), i * b.r)
  })
  return { n: rows.length, l: b.l, r: b.r, ids, targets, mask }
}

/** Per-row float data [N·R] of selected rows. */
export function selectFloats(data: Float32Array, r: number, rows: number[]): Float32Array {
  const out = new Float32Array(rows.length * r)
  rows.forEach((row, i) => out.set(data.subarray(row * r, (row + 1) * r), i * r))
  return out
}

export function idsTensor(b: PackedBatch): Tensor2D {
  return tf.tensor2d(b.ids, [b.n, b.l], 'int32')
}
