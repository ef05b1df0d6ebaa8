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
    // The bridge's IPC channels, each handled by the main process (and no other).
    const invoked = [...preload.matchAll(/ipcRenderer\.invoke\(\s*["']([\w:]+)["']/g)].map((m) => m[1]).sort()
    expect(invoked).toEqual(['api:invoke', 'dialog:pick'])
    const main = readFileSync(join(out, 'main', 'index.js'), 'utf8')
    const handled = [...main.matchAll(/ipcMain\.handle\(\s*["']([\w:]+)["']/g)].map((m) => m[1]).sort()
    expect(handled).toEqual(invoked)
  })

  it('ships a strict Content-Security-Policy with the renderer', () => {
    const html = readFileSync(join(out, 'renderer', 'index.html'), 'utf8')
    expect(html).toContain("script-src 'self'")
    expect(html).not.toContain('unsafe-eval')
  })
})

describe('the desktop build trains', () => {
  it('runs a tiny training in the bundled worker (out/main/worker.js), as the desktop app starts it', async () => {
    const { Worker } = await import('node:worker_threads')
    const worker = new Worker(join(out, 'main', 'worker.js'))
    const types: string[] = []
    let backend = ''
    worker.on('message', (m: { type: string; info?: { backend: string } }) => {
      types.push(m.type)
      if (m.type === 'start' && m.info) backend = m.info.backend
    })
    const config = {
      task: 'route', algo: 'hicra', steps: 1, seed: 5, backend: 'wasm',
      model: { layers: 1, dModel: 16, heads: 2, context: 72, ffMult: 2 },
      warmup: { steps: 1, batchSize: 4 }, eval: { every: 0 }, batchPrompts: 1, groupSize: 2
    }
    worker.postMessage({ type: 'start', config, runId: 'bundle', workspace: null })
    const code = await new Promise<number>((resolve) => worker.on('exit', resolve))
    expect(code).toBe(0)
    expect(backend).toBe('wasm')
    expect(types[0]).toBe('start')
    expect(types).toContain('step')
    expect(types.at(-1)).toBe('end')
  })
})
