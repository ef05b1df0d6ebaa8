import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request } from 'node:http'
import { join } from 'node:path'
import { createBackend, type Backend } from '../../src/main/backend'
import { startHttpServer, type RunningServer } from '../../src/main/server/http'
import { tempDir } from '../helpers/tmp'

const tmp = tempDir()
let backend: Backend
let server: RunningServer

beforeAll(async () => {
  backend = createBackend(join(tmp.dir, 'http.db'), { transport: 'http' })
  server = await startHttpServer(backend, {})
})
afterAll(async () => {
  await server.close()
  backend.close()
  tmp.cleanup()
})

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const body = async (r: Response): Promise<any> => r.json()
const base = () => `http://127.0.0.1:${server.port}`
const post = (path: string, body: unknown, headers: Record<string, string> = { Authorization: `Bearer ${server.token}` }) =>
  fetch(base() + path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) })

describe('HTTP transport', () => {
  it('prints a loopback URL carrying the token', () => {
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=[0-9a-f]{48}$`))
    expect(server.server.address()).toMatchObject({ address: '127.0.0.1' })
  })

  it('refuses requests without the right token with 401', async () => {
    const none = await post('/api/runs/list', {}, {})
    expect(none.status).toBe(401)
    expect((await body(none)).error.code).toBe('unauthorized')
    expect((await post('/api/runs/list', {}, { Authorization: 'Bearer wrong' })).status).toBe(401)
    expect((await fetch(base() + '/')).status).toBe(401)
    expect((await fetch(base() + '/api/events')).status).toBe(401)
  })

  it('accepts the token as a header, a query parameter, or the cookie set by the opening URL', async () => {
    expect((await post('/api/runs/list', {})).status).toBe(200)
    expect((await post(`/api/runs/list?token=${server.token}`, {}, {})).status).toBe(200)
    const open = await fetch(server.url)
    const cookie = open.headers.get('set-cookie')!
    expect(cookie).toMatch(/HttpOnly/)
    const viaCookie = await post('/api/app/info', {}, { Cookie: cookie.split(';')[0]! })
    expect(viaCookie.status).toBe(200)
    expect((await body(viaCookie)).value.transport).toBe('http')
  })

  it('maps typed errors to HTTP statuses and keeps serving', async () => {
    const bad = await post('/api/runs/rename', { id: 1, name: '' })
    expect(bad.status).toBe(400)
    expect((await body(bad)).error).toMatchObject({ code: 'invalid_argument', field: 'name' })
    expect((await post('/api/runs/get', { id: 4040 })).status).toBe(404)
    expect((await post('/api/no/such', {})).status).toBe(404)
    const notJson = await fetch(base() + '/api/runs/list', { method: 'POST', headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' }, body: '{oops' })
    expect(notJson.status).toBe(400)
    expect((await body(notJson)).error.message).toMatch(/not JSON/)
    expect((await fetch(base() + '/api/runs/list', { headers: { Authorization: `Bearer ${server.token}` } })).status).toBe(405)
    expect((await post('/api/runs/list', {})).status).toBe(200)
  })

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/api/runs/list', method: 'POST',
        headers: { Host: 'evil.example:80', Authorization: `Bearer ${server.token}` } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.end('{}')
    })
    expect(status).toBe(403)
  })

  it('pushes events over SSE', async () => {
    const controller = new AbortController()
    const res = await fetch(`${base()}/api/events?token=${server.token}`, { signal: controller.signal })
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const reader = res.body!.getReader()
    const created = await body(await post('/api/runs/create', { name: 'sse run' }))
    let text = ''
    const deadline = Date.now() + 5000
    while (!text.includes('runs/changed') && Date.now() < deadline) {
      const { value, done } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
    }
    controller.abort()
    expect(text).toContain('event: runs/changed')
    expect(text).toContain(`"runId":${created.value.id}`)
  })
})
