import { describe, expect, it } from 'vitest'
import { plainError } from '../../src/renderer/src/lib/plainErrors'

describe('plainError', () => {
  it('drops the channel prefix and says network codes in words, keeping the code', () => {
    expect(plainError('errors/judge: no judge endpoint is configured (set its base URL first)')).toBe('No judge endpoint is configured (set its base URL first)')
    expect(plainError('cannot reach the judge endpoint http://127.0.0.1:8000/v1/chat/completions: ECONNREFUSED'))
      .toBe('Cannot reach the judge endpoint http://127.0.0.1:8000/v1/chat/completions: nothing is listening at that address (is the server running, on that port?) [ECONNREFUSED]')
    expect(plainError('the judge endpoint http://x/v1 answered HTTP 401: denied')).toBe('The judge endpoint http://x/v1 answered HTTP 401 (the API key was refused): denied')
    expect(plainError('something else')).toBe('Something else')
  })
})
