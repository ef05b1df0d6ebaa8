import { describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { externalLinkAction, isOwnRenderer } from '../../src/main/electron/guards'
import { installFailure } from '../../scripts/startLib.mjs'
import { tempDir } from '../helpers/tmp'

// #16: the desktop shell's trust decisions (Electron cannot run here: they are pure functions)
// and `npm start`'s handling of its child.
const own = { file: resolve('/opt/hicra/out/renderer/index.html') }

describe('the window trusts only the app\'s own renderer', () => {
  it('the built file: that very file, with any route, and no other renderer/index.html on disk', () => {
    expect(isOwnRenderer(pathToFileURL(own.file).href, own)).toBe(true)
    expect(isOwnRenderer(`${pathToFileURL(own.file).href}#/runs/3`, own)).toBe(true)
    expect(isOwnRenderer(pathToFileURL('/tmp/evil/renderer/index.html').href, own)).toBe(false)
    expect(isOwnRenderer(pathToFileURL('/opt/hicra/out/renderer/../../x/renderer/index.html').href, own)).toBe(false)
    expect(isOwnRenderer('file://evil.example/opt/hicra/out/renderer/index.html', own)).toBe(false)
    expect(isOwnRenderer('https://example.com/renderer/index.html', own)).toBe(false)
    expect(isOwnRenderer(undefined, own)).toBe(false)
    expect(isOwnRenderer('not a url', own)).toBe(false)
  })

  it('the dev server: compared by origin, not by prefix', () => {
    const dev = { ...own, devUrl: 'http://localhost:5173' }
    expect(isOwnRenderer('http://localhost:5173/#/runs', dev)).toBe(true)
    expect(isOwnRenderer('http://localhost:5173.evil.example/', dev)).toBe(false)
    expect(isOwnRenderer('http://localhost:51730/', dev)).toBe(false)
    expect(isOwnRenderer('https://localhost:5173/', dev)).toBe(false)
    expect(isOwnRenderer(pathToFileURL(own.file).href, dev)).toBe(false)
  })

  it('links outside: https only, and only after asking; never file:, javascript: or other programs', () => {
    expect(externalLinkAction('https://arxiv.org/abs/1234')).toBe('ask')
    expect(externalLinkAction('http://example.com/')).toBe('deny')
    expect(externalLinkAction('file:///etc/passwd')).toBe('deny')
    expect(externalLinkAction('javascript:alert(1)')).toBe('deny')
    expect(externalLinkAction('ms-settings:privacy')).toBe('deny')
    expect(externalLinkAction('https://user:pw@example.com/')).toBe('deny')
  })
})

describe('npm start', () => {
  it.skipIf(process.platform === 'win32')('stopped by PID, it passes SIGTERM to its child and exits with it', async () => {
    const tmp = tempDir()
    try {
      const child = join(tmp.dir, 'child.mjs')
      // The child says it is up, and when the signal reaches it.
      writeFileSync(child, `process.on('SIGTERM', () => { console.log('child got SIGTERM'); process.exit(143) })
console.log('child up ' + process.pid); setInterval(() => {}, 1000)\n`)
      const parent = join(tmp.dir, 'parent.mjs')
      writeFileSync(parent, `import { spawn } from 'node:child_process'
import { superviseChild } from ${JSON.stringify(pathToFileURL(resolve(__dirname, '../../scripts/startLib.mjs')).href)}
superviseChild(spawn(process.execPath, [${JSON.stringify(child)}], { stdio: 'inherit' }))\n`)
      const p = spawn(process.execPath, [parent], { stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      p.stdout!.on('data', (d: Buffer) => (out += d.toString()))
      const childPid = await new Promise<number>((done, fail) => {
        const t = setTimeout(() => fail(new Error(`no child: ${out}`)), 20_000)
        p.stdout!.on('data', () => {
          const m = /child up (\d+)/.exec(out)
          if (m) {
            clearTimeout(t)
            done(Number(m[1]))
          }
        })
      })
      p.kill('SIGTERM')
      const code = await new Promise<number | null>((done) => p.on('exit', (c) => done(c)))
      expect(out).toContain('child got SIGTERM')
      expect(code).toBe(143)
      let alive = true
      try {
        process.kill(childPid, 0)
      } catch {
        alive = false
      }
      expect(alive).toBe(false)
    } finally {
      tmp.cleanup()
    }
  }, 30_000)

  it('an offline Electron download is one line, not a getaddrinfo stack', () => {
    const output = `HTTPError: getaddrinfo ENOTFOUND github.com
    at ClientRequest.<anonymous> (/x/node_modules/got/dist/source/core/index.js:970:111)
    at Object.onceWrapper (node:events:632:26)
Error: getaddrinfo ENOTFOUND github.com
    at GetAddrInfoReqWrap.onlookupall [as oncomplete] (node:dns:120:26)`
    const line = installFailure(output)
    expect(line).toBe('no network (getaddrinfo ENOTFOUND github.com)')
    expect(installFailure('RequestError: something else broke\n    at x (y.js:1:1)')).toBe('RequestError: something else broke')
  })
})
