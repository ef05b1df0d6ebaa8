// The one place the engine imports tfjs, so every module shares the same engine instance and
// backend. The tensorflow bindings register themselves on this instance when loaded (backend.ts).
import * as tf from '@tensorflow/tfjs'

export { tf }
export type Tensor = import('@tensorflow/tfjs').Tensor
export type Tensor1D = import('@tensorflow/tfjs').Tensor1D
export type Tensor2D = import('@tensorflow/tfjs').Tensor2D
export type Tensor3D = import('@tensorflow/tfjs').Tensor3D
export type Tensor4D = import('@tensorflow/tfjs').Tensor4D
export type Variable = import('@tensorflow/tfjs').Variable
export type Scalar = import('@tensorflow/tfjs').Scalar
