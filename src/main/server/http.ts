import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import type { Backend } from '../backend'
import type { ApiErrorCode, ApiErrorShape } from '../../shared/errors'
import { CONTENT_SECURITY_POLICY, serveStatic } from './static'
import { crossSiteRefusal, isJsonContentType, readCookie, tokenCookieName } from './guard'

export interface HttpServerOptions {
  port?: number
  /** Folder of the built renderer (index.html and assets). */
  rendererDir?: string
  token?: string
  maxBodyBytes?: number
}

export interface RunningServer {
  server: Server
  port: number
  token: string
  url: string
  close(): Promise<void>
}

const STATUS: Record<ApiErrorCode, number> = {
  invalid_argument: 400,
  unknown_channel: 404,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  cancelled: 409,
  unavailable: 503,
  internal: 500
}
function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' })
  res.end(text)
}

function sendError(res: ServerResponse, status: number, error: ApiErrorShape): void {
  sendJson(res, status, { ok: false, error })
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) throw Object.assign(new Error(`request body over ${limit} bytes`), { tooLarge: true })
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * `hicra serve`: the API on 127.0.0.1 only, `POST /api/<area>/<verb>` with a JSON body, events over
 * SSE at `GET /api/events`, the built renderer at `/`. Every request needs the token (Bearer header,
 * `token` query parameter, or the cookie set when the app is opened with `/?token=`), the way notebook
 * servers guard a local port; the Host header must name the loopback address, against DNS rebinding.
 */
export function startHttpServer(backend: Backend, opts: HttpServerOptions = {}): Promise<RunningServer> {
  const token = opts.token ?? randomBytes(24).toString('hex')
  const maxBody = opts.maxBodyBytes ?? 64 * 1024 * 1024
  const rendererDir = opts.rendererDir
  const sseClients = new Set<ServerResponse>()
  let port = 0

  const unsubscribe = backend.ctx.events.onAny((event, payload) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`
    for (const res of sseClients) res.write(frame)
  })
  const heartbeat = setInterval(() => {
    for (const res of sseClients) res.write(': keep-alive\n\n')
  }, 15_000)
  heartbeat.unref()

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      const host = (req.headers.host ?? '').toLowerCase()
      if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
        return sendError(res, 403, { code: 'invalid_argument', message: `refused Host header '${host}'` })
      }
      const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]
      const queryToken = url.searchParams.get('token')
      const cookie = readCookie(req.headers.cookie, tokenCookieName(port))
      if (cookie === undefined && !bearer && !queryToken) {
        return sendError(res, 400, { code: 'invalid_argument', message: `the ${tokenCookieName(port)} cookie is not valid percent-encoding` })
      }
      const presented = bearer ?? queryToken ?? cookie
      if (!presented || !sameSecret(presented, token)) {
        res.setHeader('WWW-Authenticate', 'Bearer')
        return sendError(res, 401, { code: 'unauthorized', message: 'missing or wrong token: open the URL that `hicra serve` printed' })
      }
      if (queryToken) {
        // Named per port: cookies ignore ports, so every local service sees it, but none can
        // clobber it, and two servers on one machine keep theirs apart.
        res.setHeader('Set-Cookie', `${tokenCookieName(port)}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`)
      }
      // The token travels in the opening URL: never in a Referer to anyone.
      res.setHeader('Referrer-Policy', 'no-referrer')

      if (url.pathname === '/api/events') {
        if (req.method !== 'GET') return sendError(res, 405, { code: 'invalid_argument', message: 'use GET for /api/events' })
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' })
        res.write(': connected\n\n')
        sseClients.add(res)
        req.on('close', () => sseClients.delete(res))
        return
      }
      if (url.pathname.startsWith('/api/')) {
        if (req.method !== 'POST') return sendError(res, 405, { code: 'invalid_argument', message: 'use POST with a JSON body for /api/<area>/<verb>' })
        // Every API call may change state: whatever cookie it carries, a page of another origin
        // (another port of 127.0.0.1 included) is refused, and so is a body not declared JSON.
        const refused = crossSiteRefusal(req.headers, port)
        if (refused) return sendError(res, 403, { code: 'unauthorized', message: refused })
        if (!isJsonContentType(req.headers)) {
          return sendError(res, 415, { code: 'invalid_argument', message: 'send the request body as JSON with Content-Type: application/json' })
        }
        const channel = url.pathname.slice('/api/'.length)
        let raw: unknown = undefined
        let text: string
        try {
          text = await readBody(req, maxBody)
        } catch (err) {
          return sendError(res, 413, { code: 'invalid_argument', message: (err as Error).message })
        }
        if (text.trim() !== '') {
          try {
            raw = JSON.parse(text)
          } catch (err) {
            return sendError(res, 400, { code: 'invalid_argument', message: `request body is not JSON: ${(err as Error).message}` })
          }
        }
        const result = await backend.invoke(channel, raw)
        return result.ok ? sendJson(res, 200, result) : sendJson(res, STATUS[result.error.code], result)
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return sendError(res, 405, { code: 'invalid_argument', message: `${req.method} not allowed here` })
      }
      let path: string
      try {
        path = decodeURIComponent(url.pathname)
      } catch {
        return sendError(res, 400, { code: 'invalid_argument', message: `the path ${url.pathname} is not valid percent-encoding` })
      }
      if (rendererDir && serveStatic(rendererDir, path, res)) return
      if (url.pathname === '/' || url.pathname === '/index.html') {
        res.writeHead(503, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': CONTENT_SECURITY_POLICY })
        return res.end('<!doctype html><title>HICRA Workbench</title><p>The app has not been built yet: run <code>npm run build</code>, then start <code>hicra serve</code> again. The API is up at <code>/api/&lt;area&gt;/&lt;verb&gt;</code>.</p>')
      }
      return sendError(res, 404, { code: 'not_found', message: `no such path: ${url.pathname}` })
    } catch (err) {
      if (!res.headersSent) sendError(res, 500, { code: 'internal', message: (err as Error).message })
      else res.destroy()
    }
  })

  return new Promise((resolvePromise, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      port = (server.address() as AddressInfo).port
      resolvePromise({
        server,
        port,
        token,
        url: `http://127.0.0.1:${port}/?token=${token}`,
        close: () =>
          new Promise<void>((done) => {
            clearInterval(heartbeat)
            unsubscribe()
            for (const res of sseClients) res.end()
            sseClients.clear()
            server.close(() => done())
            server.closeAllConnections()
          })
      })
    })
  })
}

/** The built renderer next to the sources (out/renderer), if it exists. */
export function defaultRendererDir(projectRoot: string): string | undefined {
  const dir = join(projectRoot, 'out', 'renderer')
  return existsSync(join(dir, 'index.html')) ? dir : undefined
}
