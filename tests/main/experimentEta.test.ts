import { describe, expect, it } from 'vitest'
import { GridEta } from '../../src/main/experiments/eta'

describe('the grid ETA', () => {
  it('times the rate from the first RL step, so a long warm-up before it does not inflate the ETA', () => {
    const e = new GridEta(0, 100)
    expect(e.eta(0, 0)).toBeNull() // warming up
    expect(e.eta(300_000, 1)).toBeNull() // first step after a 5-minute warm-up: the clock starts here
    expect(e.eta(302_000, 3)).toBeNull() // too few steps timed
    // 10 steps in 10 s after the first: 1 step/s, 89 steps left.
    expect(e.eta(310_000, 11)).toBeCloseTo(89, 6)
  })

  it('does not count the steps a resumed grid had already done', () => {
    const e = new GridEta(40, 100)
    expect(e.eta(0, 40)).toBeNull()
    expect(e.eta(1_000, 42)).toBeNull()
    expect(e.eta(11_000, 52)).toBeCloseTo(48, 6) // 10 steps in 10 s
  })
})
