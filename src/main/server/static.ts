import { createReadStream, existsSync, statSync } from 'node:fs'
import { extname, join, normalize, resolve, sep } from 'node:path'
import type { ServerResponse } from 'node:http'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm'
}

/** The same policy as the desktop window: our own scripts only, API calls back to this origin. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

/** Serves a file of the built renderer; returns false when there is no such file. `path`: the URL path, percent-decoded. */
export function serveStatic(root: string, path: string, res: ServerResponse): boolean {
  const rel = normalize(path === '/' ? '/index.html' : path).replace(/^([/\\])+/, '')
  const base = resolve(root)
  const file = resolve(join(base, rel))
  if (file !== base && !file.startsWith(base + sep)) return false
  if (!existsSync(file) || !statSync(file).isFile()) return false
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': extname(file) === '.html' ? 'no-store' : 'max-age=3600'
  })
  createReadStream(file).pipe(res)
  return true
}
