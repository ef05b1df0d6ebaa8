import { describe, expect, it } from 'vitest'
import { ConfigError, parseTrainConfig } from '../../src/engine/config'

describe('TrainConfig', () => {
  it('fills the issue defaults', () => {
    const c = parseTrainConfig({})
    expect(c).toMatchObject({ task: 'route', algo: 'hicra', batchPrompts: 16, groupSize: 8, alpha: 0.2, betaEnt: 0.001,
      clipLow: 0.2, clipHigh: 0.28, highEntropyFraction: 0.2 })
    expect(c.model).toEqual({ layers: 2, dModel: 128, heads: 4, context: 80, ffMult: 4 })
    expect(c.eval.temperature).toBe(0.6)
  })

  it('rejects unknown keys, at any depth, naming the field', () => {
    expect(() => parseTrainConfig({ learningRate: 1 })).toThrow(/learningRate/)
    expect(() => parseTrainConfig({ model: { layer: 3 } })).toThrow(/model.*layer/)
    try {
      parseTrainConfig({ alpha: 2 })
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError)
      expect((e as ConfigError).field).toBe('alpha')
      expect((e as Error).message).toMatch(/alpha/)
    }
  })

  it('checks that heads divide the width', () => {
    expect(() => parseTrainConfig({ model: { dModel: 130, heads: 4 } })).toThrow(/divisible/)
  })
})
