import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { createBackend, type Backend } from '../../src/main/backend'
import type { JudgeConfigView } from '../../src/shared/api/errors'
import type { SecretCodec } from '../../src/main/secrets'
import { tempDir } from '../helpers/tmp'
import { insertRollouts } from '../helpers/rollouts'

// #16: the judge's API key is bound to the URL it was given for, and lives in the secret store
// (the OS keychain in the desktop app), never in the plain settings.
const tmp = tempDir('hicra-hardening-judge-')
let backend: Backend
let runId: number
const seen: { url: string; auth: string | undefined }[] = []
let judge: Server
let base = ''

beforeAll(async () => {
  backend = createBackend(join(tmp.dir, 'j.db'), { transport: 'cli' })
  runId = backend.ctx.store.runs.create({ name: 'j', kind: 'import' }).id
  insertRollouts(backend.ctx.store.db, runId, [{ step: 1, response: 'So 2 + 2 = 5.', correct: false, gold: '4' }])
  judge = createServer((req, res) => {
    seen.push({ url: req.url ?? '', auth: req.headers.authorization })
    req.resume()
    res.writeHead(200, { 'Content-Type': 'application/json' })
    res.end(JSON.stringify({ choices: [{ message: { content: '{"error_type": "calculation"}' } }] }))
  })
  await new Promise<void>((r) => judge.listen(0, '127.0.0.1', () => r()))
  base = `http://127.0.0.1:${(judge.address() as AddressInfo).port}`
})
afterAll(async () => {
  backend.close()
  await new Promise<void>((r) => judge.close(() => r()))
  tmp.cleanup()
})

async function ok<T>(channel: string, req: unknown): Promise<T> {
  const r = await backend.invoke(channel, req)
  if (!r.ok) throw new Error(`${channel}: ${r.error.message}`)
  return r.value as T
}
async function judgeOnce(): Promise<void> {
  const { jobId } = await ok<{ jobId: number }>('errors/judge', { runId, redo: true })
  for (;;) {
    const j = await ok<{ status: string; error: string | null }>('errors/job', { jobId })
    if (j.status !== 'running' && j.status !== 'queued') return
    await new Promise((r) => setTimeout(r, 20))
  }
}
const setting = (key: string) => backend.ctx.store.db.prepare('SELECT value FROM settings WHERE key = ?').pluck().get(key) as string | undefined

describe('the judge API key is bound to its URL', () => {
  it('changing only the base URL drops the key, says so, and the next run sends no key', async () => {
    const a = await ok<JudgeConfigView>('errors/setJudgeConfig', { baseUrl: `${base}/a/v1`, model: 'm', apiKey: 'sk-for-a' })
    expect(a.hasApiKey).toBe(true)
    expect(a.keyStore).toContain('workspace database')
    await judgeOnce()
    expect(seen.at(-1)).toEqual({ url: '/a/v1/chat/completions', auth: 'Bearer sk-for-a' })

    const b = await ok<JudgeConfigView>('errors/setJudgeConfig', { baseUrl: `${base}/b/v1` })
    expect(b).toMatchObject({ hasApiKey: false, keyDropped: true })
    await judgeOnce()
    expect(seen.at(-1)).toEqual({ url: '/b/v1/chat/completions', auth: undefined })

    // Going back does not bring the old key back either: it was dropped, not hidden.
    const back = await ok<JudgeConfigView>('errors/setJudgeConfig', { baseUrl: `${base}/a/v1` })
    expect(back.hasApiKey).toBe(false)
    expect(back.keyDropped).toBeUndefined()
  })

  it('a key given with the new URL in the same request is kept for that URL', async () => {
    const c = await ok<JudgeConfigView>('errors/setJudgeConfig', { baseUrl: `${base}/c/v1`, apiKey: 'sk-for-c' })
    expect(c).toMatchObject({ hasApiKey: true })
    expect(c.keyDropped).toBeUndefined()
    // Other changes keep it.
    expect((await ok<JudgeConfigView>('errors/setJudgeConfig', { model: 'm2' })).hasApiKey).toBe(true)
    await judgeOnce()
    expect(seen.at(-1)).toEqual({ url: '/c/v1/chat/completions', auth: 'Bearer sk-for-c' })
  })

  it('the key is never in the plain settings; a key stored there by an older version is moved and bound to its URL', async () => {
    expect(setting('errors.judge')).not.toContain('sk-for-c')
    expect(setting('secret.judge.apiKey')).toContain('sk-for-c')
    backend.ctx.store.db.prepare("UPDATE settings SET value = ? WHERE key = 'errors.judge'")
      .run(JSON.stringify({ baseUrl: `${base}/old/v1`, model: 'm', apiKey: 'sk-legacy' }))
    const v = await ok<JudgeConfigView>('errors/judgeConfig', {})
    expect(v).toMatchObject({ baseUrl: `${base}/old/v1`, hasApiKey: true })
    expect(setting('errors.judge')).not.toContain('sk-legacy')
    expect((await ok<JudgeConfigView>('errors/setJudgeConfig', { baseUrl: `${base}/new/v1` })).keyDropped).toBe(true)
  })

  it('a key for one run only (the CLI\'s --key-env) is sent and never stored', async () => {
    await ok('errors/setJudgeConfig', { baseUrl: `${base}/d/v1`, apiKey: '' })
    const { jobId } = await ok<{ jobId: number }>('errors/judge', { runId, redo: true, apiKey: 'sk-env' })
    for (;;) {
      const j = await ok<{ status: string }>('errors/job', { jobId })
      if (j.status !== 'running' && j.status !== 'queued') break
      await new Promise((r) => setTimeout(r, 20))
    }
    expect(seen.at(-1)).toEqual({ url: '/d/v1/chat/completions', auth: 'Bearer sk-env' })
    expect(JSON.stringify(backend.ctx.store.db.prepare('SELECT * FROM settings').all())).not.toContain('sk-env')
  })
})

describe('the secret store is pluggable (the desktop app: safeStorage)', () => {
  it('a codec stores only what it encodes, and says where the key lives', async () => {
    // A stand-in for safeStorage: reversible, and plainly not the key.
    const codec: SecretCodec = {
      where: 'the test keychain', tag: 'test',
      encode: (p) => Buffer.from(p).toString('base64').split('').reverse().join(''),
      decode: (s) => Buffer.from(s.split('').reverse().join(''), 'base64').toString()
    }
    const b = createBackend(join(tmp.dir, 'k.db'), { transport: 'ipc', secretCodec: codec })
    try {
      const r = await b.invoke('errors/setJudgeConfig', { baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-desktop' })
      expect(r.ok && r.value).toMatchObject({ hasApiKey: true, keyStore: 'the test keychain' })
      const all = JSON.stringify(b.ctx.store.db.prepare('SELECT * FROM settings').all())
      expect(all).not.toContain('sk-desktop')
      expect(b.ctx.secrets.get('judge.apiKey')).toContain('sk-desktop')
    } finally {
      b.close()
    }
    // Opened without that codec (the CLI), the encrypted key is no key, not garbage.
    const cli = createBackend(join(tmp.dir, 'k.db'), { transport: 'cli' })
    try {
      const v = await cli.invoke('errors/judgeConfig', {})
      expect(v.ok && v.value).toMatchObject({ hasApiKey: false })
    } finally {
      cli.close()
    }
  })
})
