import { tf, type Tensor, type Tensor2D, type Tensor3D, type Tensor4D } from './tf'

type Save = (ts: Tensor[]) => void
type GradDef = { value: Tensor; gradFunc: (dy: Tensor, saved: Tensor[]) => Tensor[] }
/** tf.customGrad with positional tensor arguments and `save` last (tfjs types them as one union). */
function customGrad<F extends (...args: never[]) => GradDef>(f: F) {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0])
}

// Matrix products whose gradients are themselves plain products. The wasm backend's matMul is
// fast only for 2-D operands without transpose flags; tfjs's default matMul gradient uses
// transpose flags, which fall onto a path 10-30x slower. Transposing explicitly (a cheap copy)
// and multiplying plainly took the reference training step from 2.9 s to about 0.5 s.

/** x [M, K] · w [K, N], gradients dx = dy · wᵀ and dw = xᵀ · dy with explicit transposes. */
// Inputs must go through `save`: tfjs disposes the forward pass's intermediates before backprop.
export const linear = customGrad((x: Tensor, w: Tensor, save: Save) => {
  save([x, w])
  return {
    value: tf.matMul(x as Tensor2D, w as Tensor2D),
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const [xs, ws] = saved as Tensor2D[]
      return [tf.matMul(dy as Tensor2D, tf.transpose(ws)), weightGrad(xs, dy as Tensor2D)]
    }
  }
}) as unknown as (x: Tensor2D, w: Tensor2D) => Tensor2D

/**
 * Whether the wasm fast paths below apply: their layouts suit XNNPACK; webgpu and the tensorflow
 * bindings multiply transposed and batched operands natively and keep tfjs's plain products.
 */
export const onWasm = (): boolean => tf.getBackend() === 'wasm'

/**
 * xᵀ · dy for x [M, K], dy [M, N]. XNNPACK's product is about twice as fast with the wider operand
 * on the right (measured: [64, 1952]·[1952, 256] 9.8 ms, [256, 1952]·[1952, 64] 4.2 ms), so a
 * wide dy is multiplied as (dyᵀ · x)ᵀ, whose final transpose is only K·N numbers.
 */
function weightGrad(x: Tensor2D, dy: Tensor2D): Tensor2D {
  if (dy.shape[1] > x.shape[1] && onWasm()) return tf.transpose(tf.matMul(tf.transpose(dy), x)) as Tensor2D
  return tf.matMul(tf.transpose(x), dy)
}

// Batched products have no fast path on wasm (its BatchMatMul is a plain loop, about 1 GFLOP/s),
// but its depthwise convolution runs on XNNPACK's grouped GEMM: with the batch as channels, a
// 1×K window and the product's N columns as the channel multiplier, a depthwise convolution is
// exactly a batched product. Measured on the strategy task's attention shapes it was 2–3× faster,
// transposes included; a single row (a decoding step) is faster on the plain kernel.

/** a [B, M, K] (or [B, K, M] with `ta`) · b [B, K, N] (or [B, N, K] with `tb`) → [B, M, N]. */
function batchedProduct(a: Tensor3D, b: Tensor3D, ta: boolean, tb: boolean): Tensor3D {
  // A single row (a decoding step) is faster on the plain kernel.
  const rows = ta ? a.shape[2] : a.shape[1]
  if (rows > 1 && onWasm()) {
    const x = tf.transpose(a, ta ? [2, 1, 0] : [1, 2, 0]) as Tensor3D
    const f = tf.transpose(b, tb ? [2, 0, 1] : [1, 0, 2]) as Tensor3D
    return tf.transpose(depthwiseProduct(x, f), [1, 0, 2]) as Tensor3D
  }
  return tf.matMul(ta ? tf.transpose(a, [0, 2, 1]) : a, tb ? tf.transpose(b, [0, 2, 1]) : b) as Tensor3D
}

/**
 * Batched a [B, M, K] · b (b [B, K, N], or with `tb` b [B, N, K] and its transpose taken): the
 * gradients are batched products too, dA = dy · bᵀ (dy · b with `tb`), dB = aᵀ · dy (dyᵀ · a).
 */
function batchedOp(tb: boolean) {
  return customGrad((a: Tensor, b: Tensor, save: Save) => {
    save([a, b])
    return {
      value: batchedProduct(a as Tensor3D, b as Tensor3D, false, tb),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [as, bs] = saved as Tensor3D[]
        const d = dy as Tensor3D
        return [batchedProduct(d, bs, false, !tb), tb ? batchedProduct(d, as, true, false) : batchedProduct(as, d, true, false)]
      }
    }
  }) as unknown as (a: Tensor3D, b: Tensor3D) => Tensor3D
}

/** Batched a [B, M, K] · b [B, K, N]. */
export const bmm = batchedOp(false)
/** Batched a [B, M, K] · bᵀ for b [B, N, K] (attention scores q·kᵀ), without a separate transpose. */
export const bmmT = batchedOp(true)

/**
 * The same product in the depthwise convolution's own layout, batch last: x [M, K, B] ·
 * f [K, B, N] → [M, B, N], i.e. out[m, b, n] = Σ_k x[m, k, b]·f[k, b, n]. Attention written in
 * this layout needs no transposes inside its products; the gradients are products of the same
 * kind (wasm has no depthwise backprop kernels, so they are written out here).
 */
export const channelProduct = customGrad((x: Tensor, f: Tensor, save: Save) => {
  save([x, f])
  return {
    value: depthwiseProduct(x as Tensor3D, f as Tensor3D),
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const [xs, fs] = saved as Tensor3D[]
      // dx[m, k, b] = Σ_n dy[m, b, n]·f[k, b, n]; df[k, b, n] = Σ_m x[m, k, b]·dy[m, b, n]
      const dx = tf.transpose(depthwiseProduct(tf.transpose(dy, [0, 2, 1]) as Tensor3D, tf.transpose(fs, [2, 1, 0]) as Tensor3D), [0, 2, 1])
      const df = depthwiseProduct(tf.transpose(xs, [1, 0, 2]) as Tensor3D, dy as Tensor3D)
      return [dx, df]
    }
  }
}) as unknown as (x: Tensor3D, f: Tensor3D) => Tensor3D

function depthwiseProduct(x: Tensor3D, f: Tensor3D): Tensor3D {
  const [m, k, batch] = x.shape
  const n = f.shape[2]
  const y = tf.depthwiseConv2d(tf.reshape(x, [1, m, k, batch]) as Tensor4D, tf.reshape(f, [1, k, batch, n]) as Tensor4D, 1, 'valid')
  return tf.reshape(y, [m, batch, n]) as Tensor3D
}

/**
 * Embedding lookup as one-hot · table: the wasm backend has no gradient kernel for gather, while
 * a plain product gives the table's gradient as oneHotᵀ · dy.
 */
export function embed(ids: Tensor, table: Tensor2D): Tensor2D {
  const oneHot = tf.oneHot(tf.cast(ids.flatten(), 'int32'), table.shape[0]).toFloat() as Tensor2D
  return linear(oneHot, table)
}

/**
 * LayerNorm over the last axis of x [M, D], with its analytic gradient: autodiff through the
 * mean/variance chain emits about three times as many elementwise kernels.
 */
export const layerNorm = customGrad((x: Tensor, gain: Tensor, bias: Tensor, save: Save) => {
  const d = x.shape[x.shape.length - 1]
  const centred = tf.sub(x, tf.mean(x, -1, true))
  const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), 1e-5))
  const xhat = tf.mul(centred, rstd)
  // Tensors made inside the forward function are disposed with its scope: these two must be saved.
  save([xhat, rstd])
  return {
    value: tf.add(tf.mul(xhat, gain), bias),
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const [xhat, rstd] = saved
      const g = tf.mul(dy, gain)
      // dx = rstd/D · (D·g − Σg − x̂·Σ(g·x̂))
      const sumG = tf.sum(g, -1, true)
      const sumGx = tf.sum(tf.mul(g, xhat), -1, true)
      const dx = tf.mul(tf.div(rstd, d), tf.sub(tf.sub(tf.mul(g, d), sumG), tf.mul(xhat, sumGx)))
      return [dx, tf.sum(tf.mul(dy, xhat), 0), tf.sum(dy, 0)]
    }
  }
}) as unknown as (x: Tensor2D, gain: Tensor, bias: Tensor) => Tensor2D

/**
 * GELU in its sigmoid form x·σ(1.702x) (Hendrycks & Gimpel): three elementwise kernels instead of
 * the tanh form's eight, which on wasm cost about a fifth of a training step. The PyTorch reference
 * uses the same form.
 */
export function gelu(x: Tensor): Tensor {
  return tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)))
}
