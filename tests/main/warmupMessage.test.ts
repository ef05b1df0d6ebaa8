import { describe, expect, it } from 'vitest'
import { CACHED_BASE_MESSAGE, warmupMessage } from '../../src/main/train/warmupMessage'

const p = { steps: 300, loss: 0.4123, cached: false, elapsedS: 0, rate: null, etaS: null }

describe('warmupMessage', () => {
  it('says a warm-up is starting, then its steps, rate, ETA and loss', () => {
    expect(warmupMessage({ ...p, step: 0 })).toBe('warm-up of the base policy: 300 steps')
    expect(warmupMessage({ ...p, step: 120, elapsedS: 40, rate: 3, etaS: 60 })).toBe('warm-up 120/300, 3.0 steps/s, ETA 1m00s, loss 0.412')
    expect(warmupMessage({ ...p, step: 300, elapsedS: 95, rate: 3.16, etaS: 0 })).toBe('warm-up 300/300, 3.2 steps/s, done in 1m35s, loss 0.412')
  })

  it('says when the base policy is reused from the cache', () => {
    const m = warmupMessage({ ...p, step: 300, cached: true })
    expect(m.startsWith(CACHED_BASE_MESSAGE)).toBe(true)
    expect(m).toMatch(/loss 0\.412/)
  })
})
