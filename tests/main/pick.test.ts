import { describe, expect, it } from 'vitest'
import { checkPickRequest, dialogProperties } from '../../src/shared/pick'

describe('native file dialog requests (desktop app)', () => {
  it('accepts the three kinds with titles and filters, and maps each to dialog properties', () => {
    expect(checkPickRequest({ kind: 'folders', title: 'Rollout folders' })).toEqual({ kind: 'folders', title: 'Rollout folders', filters: undefined })
    const f = [{ name: 'JSON Lines', extensions: ['jsonl', 'json'] }, { name: 'All files', extensions: ['*'] }]
    expect(checkPickRequest({ kind: 'files', filters: f }).filters).toEqual(f)
    expect(dialogProperties('files')).toEqual(['openFile', 'multiSelections'])
    expect(dialogProperties('folders')).toEqual(['openDirectory', 'multiSelections'])
    expect(dialogProperties('file')).toEqual(['openFile'])
  })

  it('refuses what a renderer should never send, naming the part', () => {
    expect(() => checkPickRequest(null)).toThrow(/must be an object/)
    expect(() => checkPickRequest({ kind: 'save' })).toThrow(/kind must be one of files, folders, file/)
    expect(() => checkPickRequest({ kind: 'file', title: 3 })).toThrow(/title/)
    expect(() => checkPickRequest({ kind: 'file', filters: [{ name: 'x', extensions: ['../../etc'] }] })).toThrow(/each filter/)
    expect(() => checkPickRequest({ kind: 'file', filters: 'json' })).toThrow(/filters must be a list/)
  })
})
