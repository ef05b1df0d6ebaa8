import { describe, expect, it } from 'vitest'
import { withPicked } from '../../src/renderer/src/lib/pathList'
import { lengthUnitOf, tokenNote } from '../../src/shared/tokenNote'

describe('paths from the native dialog', () => {
  it('adds only the picked paths a list lacks, at its end; a list with nothing new stays as typed', () => {
    expect(withPicked('', ['/a', '/b'])).toBe('/a\n/b')
    expect(withPicked(' /a \n\n/c', ['/a', '/b'])).toBe('/a\n/c\n/b')
    expect(withPicked('/a\n', ['/a'])).toBe('/a\n')
    expect(withPicked('/a\n', [])).toBe('/a\n')
  })
})

describe('what length counts', () => {
  it('tokens where every rollout has spans, words where none has, both otherwise', () => {
    expect(lengthUnitOf(6, 6)).toBe('tokens')
    expect(lengthUnitOf(0, 6)).toBe('words')
    expect(lengthUnitOf(2, 6)).toBe('tokens or words')
    expect(tokenNote(2, 6)).toMatch(/^Token spans for 2 of 6 rollouts/)
  })
})
