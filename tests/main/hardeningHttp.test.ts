import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request } from 'node:http'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createBackend, type Backend } from '../../src/main/backend'
import { startHttpServer, type RunningServer } from '../../src/main/server/http'
import { crossSiteRefusal, isJsonContentType, readCookie, tokenCookieName } from '../../src/main/server/guard'
import { deeperThan, jsonTextDeeperThan } from '../../src/main/depth'
import { tempDir } from '../helpers/tmp'

// #16: what a hostile review of `hicra serve` found (cross-site requests from other loopback
// ports, malformed encodings, deep JSON, the token cookie).
const tmp = tempDir()
let backend: Backend
let server: RunningServer

beforeAll(async () => {
  const renderer = join(tmp.dir, 'renderer')
  mkdirSync(renderer)
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>t</title>')
  backend = createBackend(join(tmp.dir, 'hardening.db'), { transport: 'http' })
  server = await startHttpServer(backend, { rendererDir: renderer })
})
afterAll(async () => {
  await server.close()
  backend.close()
  tmp.cleanup()
})

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** A raw request: node's fetch would not let us set Origin or Sec-Fetch-Site the way browsers do. */
function raw(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method, headers: { Host: `127.0.0.1:${server.port}`, ...headers } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

const runCount = () => backend.ctx.store.runs.list().length
const cookieHeader = () => `${tokenCookieName(server.port)}=${server.token}`

describe('hicra serve refuses cross-site requests (CSRF from another 127.0.0.1 port)', () => {
  it('a no-cors text/plain POST from another loopback port, with the cookie, creates nothing', async () => {
    const before = runCount()
    const r = await raw('POST', '/api/runs/create', {
      Cookie: cookieHeader(), Origin: 'http://127.0.0.1:18766', 'Sec-Fetch-Site': 'same-site', 'Content-Type': 'text/plain;charset=UTF-8'
    }, JSON.stringify({ name: 'forged' }))
    expect(r.status).toBe(403)
    expect(JSON.parse(r.body).error.message).toMatch(/same-site/)
    expect(runCount()).toBe(before)
  })

  it('refuses a foreign Origin even with a JSON body and the right cookie', async () => {
    const before = runCount()
    for (const origin of ['http://127.0.0.1:18766', 'http://localhost:1', 'null', 'http://evil.example']) {
      const r = await raw('POST', '/api/runs/create', { Cookie: cookieHeader(), Origin: origin, 'Content-Type': 'application/json' }, '{"name":"forged"}')
      expect(r.status, origin).toBe(403)
    }
    const site = await raw('POST', '/api/runs/create', { Cookie: cookieHeader(), 'Sec-Fetch-Site': 'cross-site', 'Content-Type': 'application/json' }, '{"name":"forged"}')
    expect(site.status).toBe(403)
    expect(runCount()).toBe(before)
  })

  it('refuses a body not declared application/json (415), whatever else it carries', async () => {
    const before = runCount()
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp']) {
      const r = await raw('POST', '/api/runs/create', { Authorization: `Bearer ${server.token}`, 'Content-Type': type }, '{"name":"x"}')
      expect(r.status, type).toBe(415)
    }
    const none = await raw('POST', '/api/runs/create', { Authorization: `Bearer ${server.token}` }, '{"name":"x"}')
    expect(none.status).toBe(415)
    expect(runCount()).toBe(before)
  })

  it('the app itself (same origin) and clients without browser headers still work', async () => {
    const before = runCount()
    const app = await raw('POST', '/api/runs/create', {
      Cookie: cookieHeader(), Origin: `http://127.0.0.1:${server.port}`, 'Sec-Fetch-Site': 'same-origin', 'Content-Type': 'application/json; charset=utf-8'
    }, '{"name":"from the app"}')
    expect(app.status).toBe(200)
    const script = await raw('POST', '/api/runs/create', { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' }, '{"name":"from curl"}')
    expect(script.status).toBe(200)
    expect(runCount()).toBe(before + 2)
  })

  it('the guard as pure functions', () => {
    expect(crossSiteRefusal({ origin: 'http://127.0.0.1:5' }, 5)).toBeNull()
    expect(crossSiteRefusal({ origin: 'http://LOCALHOST:5' }, 5)).toBeNull()
    expect(crossSiteRefusal({ origin: 'http://127.0.0.1:6' }, 5)).toMatch(/origin/)
    expect(crossSiteRefusal({ 'sec-fetch-site': 'none' }, 5)).toBeNull()
    expect(crossSiteRefusal({ 'sec-fetch-site': 'same-site' }, 5)).toMatch(/same-site/)
    expect(isJsonContentType({ 'content-type': 'Application/JSON;charset=utf-8' })).toBe(true)
    expect(isJsonContentType({ 'content-type': 'application/json-patch+json' })).toBe(false)
  })
})

describe('hicra serve answers malformed requests with 400, never 500', () => {
  it('malformed percent-encoding in the cookie (before auth) or in the path', async () => {
    const c = await raw('GET', '/', { Cookie: `${tokenCookieName(server.port)}=%E0%A4%A` })
    expect(c.status).toBe(400)
    expect(JSON.parse(c.body).error.message).toMatch(/percent-encoding/)
    const p = await raw('GET', '/%E0%A4%A.js', { Authorization: `Bearer ${server.token}` })
    expect(p.status).toBe(400)
    expect(readCookie('a=1; b=%zz', 'b')).toBeUndefined()
    expect(readCookie('a=1', 'b')).toBeNull()
  })

  it('5,000-deep JSON in runs/create and sg/import', async () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000)
    const before = runCount()
    const create = await raw('POST', '/api/runs/create', { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
      `{"name":"deep","config":${deep}}`)
    expect(create.status).toBe(400)
    expect(JSON.parse(create.body).error.message).toMatch(/deeper than 64/)
    const sg = await raw('POST', '/api/sg/import', { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
      JSON.stringify({ json: `{"name":"x","grams":${deep}}` }))
    expect(sg.status).toBe(400)
    expect(JSON.parse(sg.body).error).toMatchObject({ code: 'invalid_argument', field: 'json' })
    expect(runCount()).toBe(before)
    // In process (the CLI, the desktop IPC) the same boundary holds.
    let v: unknown = 1
    for (let i = 0; i < 5000; i++) v = { a: v }
    const r = await backend.invoke('runs/create', { name: 'deep', config: v })
    expect(r.ok ? null : r.error.code).toBe('invalid_argument')
    expect(deeperThan({ a: [[1]] }, 3)).toBe(false)
    expect(deeperThan({ a: [[[1]]] }, 3)).toBe(true)
    expect(jsonTextDeeperThan('{"a":"[[[[[[["}', 2)).toBe(false)
    expect(jsonTextDeeperThan('[[["\\"",[1]]]]', 3)).toBe(true)
  })
})

describe('the token cookie and the opening URL', () => {
  it('the cookie is named for this port, HttpOnly, SameSite=Strict, path-scoped; no Referer leaves the app', async () => {
    const open = await raw('GET', `/?token=${server.token}`, {})
    expect(open.status).toBe(200)
    const cookie = String(open.headers['set-cookie'])
    expect(cookie.startsWith(`hicra_token_${server.port}=`)).toBe(true)
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/SameSite=Strict/)
    expect(cookie).toMatch(/Path=\//)
    expect(open.headers['referrer-policy']).toBe('no-referrer')
    // The cookie of another port's server is not ours.
    const other = await raw('POST', '/api/runs/list', { Cookie: `hicra_token_1=${server.token}`, 'Content-Type': 'application/json' }, '{}')
    expect(other.status).toBe(401)
    const api = await raw('POST', '/api/runs/list', { Cookie: cookieHeader(), 'Content-Type': 'application/json' }, '{}')
    expect(api.status).toBe(200)
    expect(api.headers['referrer-policy']).toBe('no-referrer')
  })
})
