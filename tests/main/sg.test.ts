import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { SgCoverage, SgDiff, SgMineResult, SgSetDetail, SgSetSummary, SgVersionInfo } from '../../src/shared/api/sg'
import { resolveSgSet } from '../../src/main/sg/resolve'
import { testBackend } from '../helpers/backend'
import { insertSgRollouts, sgFixtureRollouts } from '../helpers/sgFixtures'

const t = testBackend('sg.db')
const { ok, fails } = t

const g = (phrase: string, category = 'deduction', source = 'manual') => ({ phrase, category, source })

describe('Strategic Gram sets', () => {
  it('create, save versions, diff, revert, duplicate, rename, delete', async () => {
    const s = await ok<SgSetDetail>('sg/create', { name: 'mine', grams: [g('we can use the fact'), g('wait let me check', 'backtracing')] })
    expect(s).toMatchObject({ name: 'mine', version: 1, headVersion: 1, gramCount: 2, message: 'created' })

    const v2 = await ok<SgSetDetail>('sg/save', {
      id: s.id, baseVersion: 1, message: 'add branching',
      grams: [g('We can use the fact', 'deduction', 'seed'), g("let's try a different approach", 'branching')]
    })
    expect(v2.version).toBe(2)
    const diff = await ok<SgDiff>('sg/diff', { id: s.id, from: 1, to: 2 })
    expect(diff.added.map((x) => x.phrase)).toEqual(["let's try a different approach"])
    expect(diff.removed.map((x) => x.phrase)).toEqual(['wait let me check'])
    expect(diff.changed).toHaveLength(1)
    expect(diff.changed[0]!.to.source).toBe('seed')

    // A save based on an old head is refused rather than silently overwriting.
    expect(await fails('sg/save', { id: s.id, baseVersion: 1, message: 'stale', grams: [] })).toMatchObject({ code: 'conflict', field: 'baseVersion' })

    const v3 = await ok<SgSetDetail>('sg/revert', { id: s.id, version: 1 })
    expect(v3.version).toBe(3)
    expect(v3.grams).toEqual((await ok<SgSetDetail>('sg/get', { id: s.id, version: 1 })).grams)
    const versions = await ok<SgVersionInfo[]>('sg/versions', { id: s.id })
    expect(versions.map((v) => [v.version, v.message])).toEqual([[3, 'reverted to version 1'], [2, 'add branching'], [1, 'created']])

    const dup = await ok<SgSetDetail>('sg/duplicate', { id: s.id, name: 'copy', version: 2 })
    expect(dup.grams.map((x) => x.phrase)).toEqual(v2.grams.map((x) => x.phrase))
    expect(await fails('sg/rename', { id: dup.id, name: 'mine' })).toMatchObject({ code: 'conflict', field: 'name' })
    expect((await ok<SgSetSummary>('sg/rename', { id: dup.id, name: 'copy 2' })).name).toBe('copy 2')
    expect((await ok<SgSetSummary[]>('sg/list', {})).map((x) => x.name)).toEqual(['copy 2', 'mine'])
    await ok('sg/delete', { id: dup.id })
    expect(await fails('sg/get', { id: dup.id })).toMatchObject({ code: 'not_found', field: 'id' })
    expect(await fails('sg/get', { id: s.id, version: 9 })).toMatchObject({ code: 'not_found', field: 'version' })
  })

  it('rejects bad grams with the entry index, and bad arguments naming the field', async () => {
    const dup = await fails('sg/create', { name: 'bad', grams: [g('wait let me check'), g('Wait, let me check')] })
    expect(dup.code).toBe('invalid_argument')
    expect(dup.field).toBe('grams.1.phrase')
    expect(dup.message).toMatch(/entry 1 .*duplicates entry 0/)
    const short = await fails('sg/create', { name: 'bad', grams: [g('fine phrase here'), g('wait')] })
    expect(short).toMatchObject({ code: 'invalid_argument', field: 'grams.1.phrase' })
    expect(short.message).toMatch(/1 word/)
    expect(await fails('sg/create', { name: '' })).toMatchObject({ code: 'invalid_argument', field: 'name' })
    expect(await fails('sg/create', { name: 'x', grams: [{ phrase: 'a b', category: 'nope' }] })).toMatchObject({ field: 'grams.0.category' })
    expect(await fails('sg/save', { id: 1, grams: [], message: '' })).toMatchObject({ field: 'message' })
    expect(await fails('sg/diff', { id: 1, from: 0, to: 1 })).toMatchObject({ code: 'invalid_argument', field: 'from' })
    expect(await fails('sg/mine', { runIds: [] })).toMatchObject({ code: 'invalid_argument', field: 'runIds' })
    expect(await fails('sg/eval', { id: 1, dirs: [join(t.dir, 'nowhere')] })).toMatchObject({ code: 'invalid_argument', field: 'dirs.0' })
    // Nothing was written by the failed calls.
    expect((await ok<SgSetSummary[]>('sg/list', {})).map((x) => x.name)).toEqual(['mine'])
  })

  it('exports SPEC-shaped JSON and imports it back; a bad file names its entries', async () => {
    const set = (await ok<SgSetSummary[]>('sg/list', {}))[0]!
    const exp = await ok<{ name: string; json: string }>('sg/export', { id: set.id })
    expect(JSON.parse(exp.json)).toMatchObject({ name: 'mine', grams: [{ phrase: 'we can use the fact', category: 'deduction' }, { phrase: 'wait let me check' }] })
    expect(await fails('sg/import', { json: exp.json })).toMatchObject({ code: 'conflict', field: 'name' })
    const back = await ok<SgSetDetail>('sg/import', { json: exp.json, name: 'mine again' })
    expect(back.grams).toEqual((await ok<SgSetDetail>('sg/get', { id: set.id })).grams)
    const replaced = await ok<SgSetDetail>('sg/import', { json: '["let me think about", "on second thought"]', name: 'mine again', replace: true })
    expect(replaced.version).toBe(2)
    const bad = await fails('sg/import', { json: '{"grams": [{"phrase": "ok then fine"}, {"phrase": "x"}]}', fileName: 'bad.json' })
    expect(bad).toMatchObject({ code: 'invalid_argument', field: 'json' })
    expect(bad.message).toMatch(/bad\.json[\s\S]*entry 1 "x"/)
  })

  it('resolves --sg by file, stored name and the built-in default', async () => {
    const file = join(t.dir, 'set.json')
    const { writeFileSync } = await import('node:fs')
    writeFileSync(file, JSON.stringify({ name: 'f', grams: [{ phrase: 'let me verify this', category: 'backtracing' }] }))
    expect(resolveSgSet(t.backend.ctx.store, file)).toMatchObject({ name: 'f', origin: { kind: 'file' } })
    expect(resolveSgSet(t.backend.ctx.store, 'mine')).toMatchObject({ name: 'mine', origin: { kind: 'stored' } })
    const def = resolveSgSet(t.backend.ctx.store, 'default')
    expect(def.origin.kind).toBe('builtin')
    expect(def.grams.length).toBeGreaterThan(0)
    expect(() => resolveSgSet(t.backend.ctx.store, 'no such set')).toThrow(/no Strategic Gram set 'no such set'/)
  })
})

describe('mining and coverage over stored rollouts', () => {
  let runId: number
  beforeAll(async () => {
    const run = await ok<{ id: number }>('runs/create', { name: 'fixture run' })
    runId = run.id
    insertSgRollouts(t.backend.ctx.store.db, runId, sgFixtureRollouts())
  })

  it('mines candidates as a job, hides rejected ones, marks those in the set', async () => {
    const set = await ok<SgSetDetail>('sg/create', { name: 'for mining', grams: [g('let me double check', 'backtracing')] })
    const events: number[] = []
    const off = t.backend.ctx.events.on('jobs/progress', (p) => { if (p.kind === 'sg-mine') events.push(p.done) })
    const { jobId } = await ok<{ jobId: number }>('sg/mine', { runIds: [runId], setId: set.id, minN: 2, maxN: 5, minSupport: 2 })
    const res = await ok<SgMineResult>('sg/candidates', { jobId })
    off()
    expect(res.status).toBe('completed')
    expect(res.responses).toBe(8)
    expect(res.successResponses).toBe(5)
    expect(events.at(-1)).toBe(8)
    const phrases = res.candidates.map((c) => c.phrase)
    expect(phrases).toContain('let me try another approach')
    const dc = res.candidates.find((c) => c.phrase === 'wait let me double check')!
    expect(dc).toMatchObject({ successDocs: 3, failureDocs: 0 })
    // "let me double check" folds into the longer phrase (same counts), which holds a set member.
    expect(dc.folded).toContain('let me double check')

    await ok('sg/reject', { phrases: ['Let me try another approach'] })
    expect(await ok<string[]>('sg/rejected', {})).toEqual(['let me try another approach'])
    const again = await ok<SgMineResult>('sg/candidates', { jobId })
    expect(again.candidates.map((c) => c.phrase)).not.toContain('let me try another approach')
    expect(again.hiddenRejected).toBe(1)
    await ok('sg/reject', { phrases: ['let me try another approach'], undo: true })
    expect(await ok<string[]>('sg/rejected', {})).toEqual([])
    expect(await fails('sg/mine', { runIds: [runId], stepMin: 50 })).toMatchObject({ code: 'invalid_argument', field: 'runIds' })
    expect(await fails('sg/mine', { runIds: [9999] })).toMatchObject({ code: 'not_found', field: 'runIds.0' })
  })

  it('coverage: per-step planning ratio and semantic entropy, per-gram success share, changed spans', async () => {
    const cov = await ok<SgCoverage>('sg/coverage', {
      runIds: [runId],
      phrases: ['wait let me double check', 'let me try another approach'],
      baseline: ['wait let me double check'],
      samples: 3
    })
    expect(cov.rollouts).toBe(8)
    expect(cov.steps.map((s) => s.step)).toEqual([1, 2, 3])
    expect(cov.added).toEqual(['let me try another approach'])
    expect(cov.removed).toEqual([])
    const s2 = cov.steps[1]!
    // step 2: "let me try another approach" twice, "wait let me double check" once; the baseline has one gram → 0
    expect(s2.semantic_entropy).toBeCloseTo(-(2 / 3) * Math.log(2 / 3) - (1 / 3) * Math.log(1 / 3), 12)
    expect(s2.baseline!.semantic_entropy).toBe(0)
    expect(s2.planning_ratio).toBeGreaterThan(s2.baseline!.planning_ratio)
    expect(cov.gramStats[0]).toMatchObject({ occurrences: 3, responses: 3, successResponses: 3, successShare: 1 })
    expect(cov.responsesChanged).toBe(3)
    const first = cov.samples[0]!
    expect(first.addedSpans.length).toBe(1)
    const a = first.addedSpans[0]!
    expect(first.text.slice(a.start, a.end).toLowerCase()).toBe('let me try another approach')
  })
})

describe('mining cancel', () => {
  it('stops between pages and reports the job as cancelled', async () => {
    const run = await ok<{ id: number }>('runs/create', { name: 'big run' })
    const rows = Array.from({ length: 3000 }, (_, i) => ({ step: i % 10, correct: i % 2 === 0, response: `Let me check item ${i}. Then we add ${i} and ${i + 1}.` }))
    insertSgRollouts(t.backend.ctx.store.db, run.id, rows)
    const { jobId } = await ok<{ jobId: number }>('sg/mine', { runIds: [run.id] })
    expect((await ok<{ cancelled: boolean }>('jobs/cancel', { id: jobId })).cancelled).toBe(true)
    const res = await ok<SgMineResult>('sg/candidates', { jobId })
    expect(res.status).toBe('cancelled')
    expect(res.candidates).toEqual([])
    expect(t.backend.ctx.store.jobs.get(jobId)!.status).toBe('cancelled')
    expect(t.backend.ctx.store.jobs.get(jobId)!.done).toBeLessThan(3000)
  })
})
