import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { apiCall, hasBuild, hasChromium, launchChromium, startServe, type Served } from './browser'
import { tempDir } from '../helpers/tmp'

// #16: browsers treat every port of 127.0.0.1 as one site, so a page served by any other local
// program carries the SameSite token cookie along. In a real browser, such a page must not be
// able to create a run, and the app must drop the token from its address bar.
const tmp = tempDir()
let served: Served
let browser: Browser
let context: BrowserContext
let page: Page
let attacker: Server
let attackerPort = 0

// The hostile page: every way a page can send a POST without our cooperation.
const attack = (target: number) => `<!doctype html><title>elsewhere</title><body><script>
const url = 'http://127.0.0.1:${target}/api/runs/create'
window.results = Promise.allSettled([
  fetch(url, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ name: 'forged no-cors' }) }),
  fetch(url, { method: 'POST', credentials: 'include', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'forged cors' }) }),
  new Promise((done) => {
    const f = document.createElement('form')
    f.method = 'POST'; f.action = url; f.enctype = 'text/plain'; f.target = 'sink'
    const i = document.createElement('input'); i.name = '{"name":"forged form","x":"'; i.value = '"}'; f.appendChild(i)
    const sink = document.createElement('iframe'); sink.name = 'sink'; sink.onload = () => done('loaded'); document.body.appendChild(sink)
    document.body.appendChild(f); f.submit()
  })
]).then((r) => r.map((x) => x.status))
</script></body>`

describe.skipIf(!hasChromium || !hasBuild)('cross-site requests in Chromium', () => {
  beforeAll(async () => {
    served = await startServe(join(tmp.dir, 'csrf.db'))
    attacker = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' })
      res.end(attack(served.port))
    })
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', () => r()))
    attackerPort = (attacker.address() as AddressInfo).port
    browser = await launchChromium()
    // One context: the hostile page shares the browser's cookies, as a tab beside the app would.
    context = await browser.newContext()
    page = await context.newPage()
  })
  afterAll(async () => {
    await browser?.close()
    await served?.stop()
    await new Promise<void>((r) => (attacker ? attacker.close(() => r()) : r()))
    tmp.cleanup()
  })

  it('opening the app keeps the token out of the address bar', async () => {
    await page.goto(served.url)
    await page.getByTestId('runs-empty').waitFor()
    await page.waitForFunction(() => !(globalThis as unknown as { location: { href: string } }).location.href.includes('token='))
    expect(page.url()).not.toContain('token=')
    // The app still talks to its server (the token is kept for the tab).
    await page.reload()
    await page.getByTestId('runs-empty').waitFor()
  })

  it('a page on another 127.0.0.1 port, with the cookie in the browser, fails to create a run', async () => {
    const cookies = await context.cookies(`http://127.0.0.1:${served.port}/`)
    expect(cookies.map((c) => c.name)).toContain(`hicra_token_${served.port}`)
    const evil = await context.newPage()
    await evil.goto(`http://127.0.0.1:${attackerPort}/`)
    await evil.waitForFunction(() => (globalThis as unknown as { results?: unknown }).results !== undefined)
    await evil.evaluate(() => (globalThis as unknown as { results: Promise<unknown> }).results)
    expect(await apiCall<unknown[]>(served, 'runs/list', {})).toEqual([])
    await evil.close()
  })
})
