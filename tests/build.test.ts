import { describe, expect, it } from 'vitest'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

// `npm test` runs `electron-vite build` before vitest; this checks what it produced.
const out = resolve(__dirname, '..', 'out')

describe('electron-vite build', () => {
  it('produced the main, preload and renderer bundles', () => {
    expect(existsSync(join(out, 'main', 'index.js'))).toBe(true)
    expect(existsSync(join(out, 'preload', 'index.cjs'))).toBe(true)
    expect(existsSync(join(out, 'renderer', 'index.html'))).toBe(true)
  })

  it('keeps native modules out of the main bundle and sandboxes the window', () => {
    const main = readFileSync(join(out, 'main', 'index.js'), 'utf8')
    expect(main).toMatch(/from ["']better-sqlite3["']|require\(["']better-sqlite3["']\)/)
    expect(main).toMatch(/contextIsolation:\s*true/)
    expect(main).toMatch(/sandbox:\s*true/)
    expect(main).toMatch(/nodeIntegration:\s*false/)
  })

  it('exposes only window.api from the preload', () => {
    const preload = readFileSync(join(out, 'preload', 'index.cjs'), 'utf8')
    const exposed = [...preload.matchAll(/exposeInMainWorld\(\s*["'](\w+)["']/g)].map((m) => m[1])
    expect(exposed).toEqual(['api'])
  })

  it('ships a strict Content-Security-Policy with the renderer', () => {
    const html = readFileSync(join(out, 'renderer', 'index.html'), 'utf8')
    expect(html).toContain("script-src 'self'")
    expect(html).not.toContain('unsafe-eval')
  })
})
