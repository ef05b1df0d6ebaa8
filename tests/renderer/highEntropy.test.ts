import { describe, expect, it } from 'vitest'
import { heat, topEntropyMask } from '../../src/renderer/src/components/rollouts/highEntropy'

describe('rollout explorer: top tokens by entropy', () => {
  it('takes the top ⌈0.3·N⌉ tokens, ties to the earlier token (SPEC §4 rule)', () => {
    expect([...topEntropyMask([0.1, 0.9, 0.5, 0.9, 0.2, 0.3, 0.0, 0.4, 0.8, 0.9])]).toEqual([0, 1, 0, 1, 0, 0, 0, 0, 0, 1])
    // ⌈0.3·4⌉ = 2; three tokens tie at the top, the first two win.
    expect([...topEntropyMask([1, 1, 1, 0])]).toEqual([1, 1, 0, 0])
    // ⌈0.3·10⌉ is exactly 3 despite floating point (0.3·10 = 3.0000000000000004).
    expect(topEntropyMask(new Array(10).fill(0).map((_, i) => i)).reduce((a, b) => a + b, 0)).toBe(3)
    expect([...topEntropyMask([2])]).toEqual([1])
    expect([...topEntropyMask([])]).toEqual([])
  })

  it('colours from pale (low entropy) to deep red (the maximum)', () => {
    expect(heat(0, 2)).toBe('hsl(55, 90%, 92%)')
    expect(heat(2, 2)).toBe('hsl(0, 90%, 45%)')
    expect(heat(5, 0)).toBe('hsl(55, 90%, 92%)')
  })
})
