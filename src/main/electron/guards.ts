import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

// The window's trust decisions as pure functions (no 'electron' import), so they are tested
// where Electron cannot run.

/** What the app's own renderer is: the built file it loads, or the dev server's URL. */
export interface OwnRenderer {
  /** Absolute path of the built renderer/index.html. */
  file: string
  /** ELECTRON_RENDERER_URL in development (electron-vite's dev server). */
  devUrl?: string
}

function parse(url: string): URL | null {
  try {
    return new URL(url)
  } catch {
    return null
  }
}

/**
 * Whether a frame's URL is the app's own renderer: in development the dev server's origin
 * (compared as origins, so `http://localhost:5173.evil.example` is not it); otherwise the very
 * file the app loads, not any `renderer/index.html` elsewhere on disk.
 */
export function isOwnRenderer(url: string | undefined, own: OwnRenderer): boolean {
  if (!url) return false
  const u = parse(url)
  if (!u) return false
  if (own.devUrl) {
    const dev = parse(own.devUrl)
    return dev !== null && u.origin !== 'null' && u.origin === dev.origin
  }
  if (u.protocol !== 'file:' || (u.host !== '' && u.host !== 'localhost')) return false
  u.hash = ''
  u.search = ''
  let path: string
  try {
    path = fileURLToPath(u)
  } catch {
    return false
  }
  return resolve(path) === resolve(own.file)
}

/**
 * What to do with a link the renderer asks to open outside: the app links to nothing outside
 * itself, so an https page is opened in the browser only after the user says yes; anything else
 * (file:, javascript:, custom protocols that launch programs) never.
 */
export function externalLinkAction(url: string): 'ask' | 'deny' {
  const u = parse(url)
  return u !== null && u.protocol === 'https:' && u.username === '' && u.password === '' ? 'ask' : 'deny'
}
