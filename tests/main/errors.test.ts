import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { createBackend, type Backend } from '../../src/main/backend'
import type { ApiResult } from '../../src/shared/errors'
import type { ErrorCounts, ErrorsJobReport, QueueItem } from '../../src/shared/api/errors'
import { tempDir } from '../helpers/tmp'
import { insertRollouts } from '../helpers/rollouts'

const tmp = tempDir()
let backend: Backend
let runId: number
let ids: number[]

async function ok<T>(channel: string, req: unknown): Promise<T> {
  const r = await backend.invoke(channel, req)
  if (!r.ok) throw new Error(`${channel} failed: ${r.error.message}`)
  return r.value as T
}
async function fails(channel: string, req: unknown) {
  const r = await backend.invoke(channel, req)
  expect(r.ok).toBe(false)
  return (r as Extract<ApiResult<unknown>, { ok: false }>).error
}
/** Waits for an errors job to end and returns its report. */
async function finished(jobId: number): Promise<ErrorsJobReport> {
  for (;;) {
    const j = await ok<ErrorsJobReport>('errors/job', { jobId })
    if (!['running', 'queued'].includes(j.status)) return j
    await new Promise((r) => setTimeout(r, 20))
  }
}

// Step 1: two failures and a success; step 2: three failures (one with no answer, one with a slip).
beforeAll(() => {
  backend = createBackend(join(tmp.dir, 'e.db'), { transport: 'cli' })
  runId = backend.ctx.store.runs.create({ name: 'errors', kind: 'import' }).id
  ids = insertRollouts(backend.ctx.store.db, runId, [
    { step: 1, response: 'We can use the fact that 6 × 7 = 42. \\boxed{42}', correct: true, gold: '42', answer: '42' },
    { step: 1, response: "Let's try a different approach. The sum is 41. \\boxed{41}", correct: false, gold: '42', answer: '41', prompt: 'What is 6 × 7?' },
    { step: 1, response: 'Wait, let me check: 12 × 4 = 46, so 46 + 2 = 48.\n#### 48', score: 0, gold: '50' },
    { step: 2, response: 'I am not sure where to start', correct: false, gold: '50' },
    { step: 2, response: 'So the answer is \\boxed{4', correct: false, gold: '50' },
    { step: 2, response: 'Hence \\boxed{51}.', correct: false, gold: '50', answer: '51' }
  ])
})
afterAll(() => {
  backend.close()
  tmp.cleanup()
})

describe('error labels', () => {
  it('taxonomy: the SPEC default, editable, restorable', async () => {
    const def = await ok<{ types: { id: string; group: string }[] }>('errors/taxonomy', {})
    expect(def.types.map((t) => t.id)).toEqual(['planning', 'calculation', 'knowledge', 'format'])
    expect(def.types[0]!.group).toBe('Planning & Strategy')
    const custom = { types: [...def.types, { id: 'misread', group: 'Others', meaning: 'misread the problem' }] }
    expect((await ok<{ types: unknown[] }>('errors/setTaxonomy', { taxonomy: custom })).types).toHaveLength(5)
    expect((await ok<{ types: unknown[] }>('errors/taxonomy', {})).types).toHaveLength(5)
    const dup = await fails('errors/setTaxonomy', { taxonomy: { types: [def.types[0], def.types[0]] } })
    expect(dup).toMatchObject({ code: 'invalid_argument', field: 'taxonomy.types' })
    expect(dup.message).toContain('duplicate id "planning"')
    expect((await fails('errors/setTaxonomy', { taxonomy: { types: [{ id: 'Bad Id', group: 'x' }] } })).field).toBe('taxonomy.types.0.id')
    await ok('errors/setTaxonomy', { taxonomy: null })
    expect((await ok<{ types: unknown[] }>('errors/taxonomy', {})).types).toHaveLength(4)
  })

  it('counts failures per step; manual labels are set, cleared, and win over other sources', async () => {
    const empty = await ok<ErrorCounts>('errors/counts', { runId })
    expect(empty.steps).toEqual([1, 2])
    expect(empty.failures).toEqual([2, 3])
    expect(empty.unlabelled).toEqual([2, 3])

    const store = backend.ctx.store.errorLabels
    store.set(ids[1]!, 'truth', 'knowledge')
    store.set(ids[1]!, 'rule', 'calculation')
    let c = await ok<ErrorCounts>('errors/counts', { runId })
    expect(c.series.calculation).toEqual([1, 0]) // rule beats truth
    await ok('errors/label', { rolloutId: ids[1], errorType: 'planning' })
    c = await ok<ErrorCounts>('errors/counts', { runId })
    expect(c.series.planning).toEqual([1, 0])
    expect(c.series.calculation).toEqual([0, 0])
    expect(c.groups.find((g) => g.name === 'Planning & Strategy')!.counts).toEqual([1, 0])
    expect(c.groups.find((g) => g.name === 'Others')!.counts).toEqual([0, 0])
    expect(c.totals).toMatchObject({ failures: 5, labelled: 1 })
    // One source only.
    expect((await ok<ErrorCounts>('errors/counts', { runId, source: 'truth' })).series.knowledge).toEqual([1, 0])
    expect((await ok<ErrorCounts>('errors/counts', { runId, source: 'rule', stepMin: 2 })).steps).toEqual([2])

    const cleared = await ok<{ labels: { source: string }[] }>('errors/label', { rolloutId: ids[1], errorType: null })
    expect(cleared.labels.map((l) => l.source)).toEqual(['rule', 'truth'])
    const accepted = await ok<{ labels: { source: string; errorType: string }[] }>('errors/label', { rolloutId: ids[1], accept: 'rule' })
    expect(accepted.labels[0]).toMatchObject({ source: 'manual', errorType: 'calculation' })
    store.clear(ids[1]!, 'manual')
    store.clear(ids[1]!, 'rule')
    store.clear(ids[1]!, 'truth')
  })

  it('refuses bad labels with typed errors naming the field', async () => {
    expect(await fails('errors/label', { rolloutId: ids[1], errorType: 'typo' })).toMatchObject({ code: 'invalid_argument', field: 'errorType' })
    expect(await fails('errors/label', { rolloutId: ids[0], errorType: 'planning' })).toMatchObject({ code: 'conflict', field: 'rolloutId' })
    expect(await fails('errors/label', { rolloutId: 999_999, errorType: 'planning' })).toMatchObject({ code: 'not_found', field: 'rolloutId' })
    expect(await fails('errors/label', { rolloutId: ids[1] })).toMatchObject({ code: 'invalid_argument', field: 'errorType' })
    expect(await fails('errors/label', { rolloutId: ids[1], accept: 'judge' })).toMatchObject({ code: 'not_found', field: 'accept' })
    expect(await fails('errors/counts', { runId: 999 })).toMatchObject({ code: 'not_found', field: 'runId' })
    expect(await fails('errors/counts', { runId, source: 'oracle' })).toMatchObject({ code: 'invalid_argument', field: 'source' })
    expect(await fails('errors/counts', { runId: -1 })).toMatchObject({ code: 'invalid_argument', field: 'runId' })
    expect(await fails('errors/queue', { runId, limit: 0 })).toMatchObject({ code: 'invalid_argument', field: 'limit' })
    expect(await fails('errors/setJudgeConfig', { baseUrl: 'ftp://x' })).toMatchObject({ code: 'invalid_argument', field: 'baseUrl' })
    expect(await fails('errors/judge', { runId })).toMatchObject({ code: 'invalid_argument', field: 'baseUrl' })
    expect(await fails('errors/job', { jobId: 12345 })).toMatchObject({ code: 'not_found', field: 'jobId' })
  })

  it('rules job pre-labels failures, and the queue offers the rule as a suggestion', async () => {
    const { jobId } = await ok<{ jobId: number }>('errors/rules', { runId })
    const job = await finished(jobId)
    expect(job.status).toBe('completed')
    expect(job.result).toEqual({ failures: 5, labelled: 3, byRule: { 'arithmetic-slip': 1, 'no-final-answer': 1, truncated: 1 } })
    const rules = await ok<ErrorCounts>('errors/counts', { runId, source: 'rule' })
    expect(rules.series.format).toEqual([0, 2])
    expect(rules.series.calculation).toEqual([1, 0])

    const q = await ok<{ total: number; items: QueueItem[] }>('errors/queue', { runId })
    expect(q.total).toBe(5)
    expect(q.items.map((i) => i.id)).toEqual(ids.slice(1))
    expect(q.items[1]!.suggestion).toMatchObject({ source: 'rule', errorType: 'calculation' })
    expect(q.items[1]!.suggestion!.note).toContain('12 × 4 = 46')
    expect(q.items[0]!.suggestion).toBeNull()
    expect(q.items[0]).toMatchObject({ gold: '42', answer: '41', prompt: 'What is 6 × 7?' })
    // A manual label takes the failure out of the queue.
    await ok('errors/label', { rolloutId: ids[2], accept: 'rule' })
    const q2 = await ok<{ total: number; items: QueueItem[] }>('errors/queue', { runId, step: 1 })
    expect(q2.items.map((i) => i.id)).toEqual([ids[1]])
    await ok('errors/label', { rolloutId: ids[2], errorType: null })
  })

  it('queue highlights planning spans from the run\'s Strategic Gram set or its token mask', async () => {
    const run2 = backend.ctx.store.runs.create({ name: 'masked', kind: 'import' }).id
    const text = 'Wait, let me check: 3 + 4 = 8. \\boxed{8}'
    insertRollouts(backend.ctx.store.db, run2, [{
      step: 0, response: text, correct: false,
      tokens: { starts: [0, 4, 5, 9, 12, 18], ends: [4, 5, 9, 12, 18, 19], planning: [1, 1, 1, 1, 1, 0] }
    }])
    const q = await ok<{ items: QueueItem[] }>('errors/queue', { runId: run2 })
    expect(q.items[0]!.planningSpans).toEqual([[0, 18]])
    expect(text.slice(0, 18)).toBe('Wait, let me check')
  })
})

/** A small OpenAI-compatible server: answers by the response text, or badly when asked to. */
function judgeServer(): Promise<{ server: Server; url: string; requests: { auth: string | undefined; body: any }[] }> {
  const requests: { auth: string | undefined; body: any }[] = []
  let inFlight = 0
  const server = createServer(async (req: IncomingMessage, res) => {
    let raw = ''
    for await (const chunk of req) raw += chunk
    const body = JSON.parse(raw)
    requests.push({ auth: req.headers.authorization, body })
    inFlight++
    ;(server as any).maxInFlight = Math.max((server as any).maxInFlight ?? 0, inFlight)
    await new Promise((r) => setTimeout(r, 15))
    inFlight--
    if (req.url !== '/v1/chat/completions') { res.writeHead(404).end('no such route'); return }
    const prompt: string = body.messages[0].content
    let content: string
    if (prompt.includes('not sure where to start')) content = 'I cannot tell.'
    else if (prompt.includes('12 × 4 = 46')) content = '{"error_type": "calculation"}'
    else if (prompt.includes('boxed{4\n')) content = 'error_type: format'
    else content = 'The model picked the wrong approach, so this is planning.'
    res.writeHead(200, { 'Content-Type': 'application/json' })
    res.end(JSON.stringify({ id: 'x', object: 'chat.completion', model: body.model, choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }))
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, requests })
  }))
}

describe('LLM judge', () => {
  let judge: Awaited<ReturnType<typeof judgeServer>>
  beforeAll(async () => { judge = await judgeServer() })
  afterAll(() => new Promise<void>((r) => judge.server.close(() => r())))

  it('stores the config with a write-only key', async () => {
    const v = await ok<{ hasApiKey: boolean; prompt: string; baseUrl: string }>('errors/setJudgeConfig', {
      baseUrl: judge.url, model: 'judge-7b', apiKey: 'sk-test', concurrency: 2, timeoutSeconds: 5
    })
    expect(v).toMatchObject({ baseUrl: judge.url, hasApiKey: true })
    expect(JSON.stringify(v)).not.toContain('sk-test')
    expect(v.prompt).toContain('{taxonomy}')
  })

  it('labels every failure through the endpoint, with bounded concurrency, and reports unusable replies', async () => {
    const { jobId } = await ok<{ jobId: number }>('errors/judge', { runId })
    const job = await finished(jobId)
    expect(job.status).toBe('completed')
    const result = job.result as { asked: number; labelled: number; failed: number; errors: { rolloutId: number; message: string }[] }
    expect(result).toMatchObject({ asked: 5, labelled: 4, failed: 1 })
    expect(result.errors[0]!.rolloutId).toBe(ids[3])
    expect(result.errors[0]!.message).toContain('names no error type')
    expect(judge.requests).toHaveLength(5)
    expect(judge.requests[0]!.auth).toBe('Bearer sk-test')
    expect(judge.requests[0]!.body.model).toBe('judge-7b')
    // The prompt carries the taxonomy and the failure.
    const first = judge.requests.find((r) => r.body.messages[0].content.includes("Let's try a different approach"))!
    expect(first.body.messages[0].content).toContain('- planning (Planning & Strategy): wrong approach')
    expect(first.body.messages[0].content).toContain('Gold answer: 42')
    expect((judge.server as any).maxInFlight).toBeLessThanOrEqual(2)

    const c = await ok<ErrorCounts>('errors/counts', { runId, source: 'judge' })
    expect(c.series.planning).toEqual([1, 1])
    expect(c.series.calculation).toEqual([1, 0])
    expect(c.series.format).toEqual([0, 1])
    expect(c.unlabelled).toEqual([0, 1])
    const q = await ok<{ items: QueueItem[] }>('errors/queue', { runId, step: 1 })
    expect(q.items[0]!.suggestion).toMatchObject({ source: 'judge', errorType: 'planning', note: 'judge-7b' })

    // Only the one without a judge label is asked again.
    judge.requests.length = 0
    const again = await finished((await ok<{ jobId: number }>('errors/judge', { runId })).jobId)
    expect(again.result).toMatchObject({ asked: 1, labelled: 0, failed: 1 })
  })

  it('fails the job with a clear message when the endpoint is unreachable or refuses', async () => {
    const closed = createServer()
    const port = await new Promise<number>((r) => closed.listen(0, '127.0.0.1', () => r((closed.address() as AddressInfo).port)))
    await new Promise<void>((r) => closed.close(() => r()))
    await ok('errors/setJudgeConfig', { baseUrl: `http://127.0.0.1:${port}/v1` })
    const down = await finished((await ok<{ jobId: number }>('errors/judge', { runId, redo: true })).jobId)
    expect(down.status).toBe('failed')
    expect(down.error).toContain(`cannot reach the judge endpoint http://127.0.0.1:${port}/v1/chat/completions`)
    expect(down.error).toContain('ECONNREFUSED')

    await ok('errors/setJudgeConfig', { baseUrl: judge.url.replace('/v1', '/wrong') })
    const missing = await finished((await ok<{ jobId: number }>('errors/judge', { runId, redo: true, limit: 2 })).jobId)
    expect(missing.status).toBe('failed')
    expect(missing.error).toContain('HTTP 404')
    // Earlier judge labels are untouched by failed runs.
    expect((await ok<ErrorCounts>('errors/counts', { runId, source: 'judge' })).totals.labelled).toBe(4)
  })

  it('can be cancelled', async () => {
    await ok('errors/setJudgeConfig', { baseUrl: judge.url, concurrency: 1 })
    const { jobId } = await ok<{ jobId: number }>('errors/judge', { runId, redo: true })
    expect(await ok<{ cancelled: boolean }>('jobs/cancel', { id: jobId })).toEqual({ cancelled: true })
    expect((await finished(jobId)).status).toBe('cancelled')
  })
})

describe('LLM judge, malformed and slow replies', () => {
  it('reports a non-JSON body and a timeout per item, and goes on', async () => {
    let calls = 0
    const server = createServer((req, res) => {
      req.resume()
      calls++
      if (calls === 1) { res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>gateway</html>'); return }
      if (calls === 2) return // never answers: the timeout must end it
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ choices: [] }))
    })
    const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)))
    try {
      await ok('errors/setJudgeConfig', { baseUrl: `http://127.0.0.1:${port}`, model: 'm', concurrency: 1, timeoutSeconds: 1 })
      const job = await finished((await ok<{ jobId: number }>('errors/judge', { runId, redo: true, limit: 3 })).jobId)
      expect(job.status).toBe('completed')
      const r = job.result as { failed: number; errors: { message: string }[] }
      expect(r.failed).toBe(3)
      expect(r.errors.map((e) => e.message)).toEqual([
        'the endpoint did not answer JSON: "<html>gateway</html>"',
        'no reply within 1 s',
        'the reply has no choices[0].message.content (is this an OpenAI-compatible /v1/chat/completions endpoint?)'
      ])
    } finally {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    }
  })
})
