import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'

export const projectRoot = resolve(__dirname, '..', '..')
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const hasChromium = existsSync(CHROMIUM)
export const hasBuild = existsSync(join(projectRoot, 'out', 'renderer', 'index.html'))
// Outside CI the browser tests skip without Chromium or a build; in CI (.ci/run installs
// Chromium and npm test builds) a missing one is a failure, never a quietly smaller suite.
if (process.env.CI && (!hasChromium || !hasBuild)) {
  throw new Error(`CI: the browser tests need ${hasChromium ? 'the build (out/renderer; npm run build)' : `Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`}`)
}

/**
 * Console errors and uncaught exceptions of every page the browsers of launchChromium open in this
 * test file (each file runs in its own process): a file ends with `expect(consoleErrors).toEqual([])`.
 * A resource answered with a 4xx status is not counted: Chromium logs every API call that returns a
 * typed error (a judge not configured, a run that does not exist), which the app shows in words;
 * exceptions, console.error and 5xx answers are.
 */
export const consoleErrors: string[] = []

export function watchConsole(page: Page, sink: string[] = consoleErrors): void {
  page.on('pageerror', (e) => sink.push(`page error: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) sink.push(`console: ${m.text()}`)
  })
}

/** Debian's Chromium, headless, with the flags this sandboxed, offline machine needs; every page it opens is watched (consoleErrors). */
export async function launchChromium(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic']
  })
  const newPage = browser.newPage.bind(browser)
  browser.newPage = async (options) => { const page = await newPage(options); watchConsole(page); return page }
  const newContext = browser.newContext.bind(browser)
  browser.newContext = async (options) => { const ctx = await newContext(options); ctx.on('page', (p) => watchConsole(p)); return ctx }
  return browser
}

/**
 * launchChromium with one page (options: its viewport, downloads) on which charts expose their
 * ECharts instances to tests (the opt-in hicra.exposeCharts), opened at the served app and past its
 * first navigation.
 */
export async function openApp(s: Served, options: Parameters<Browser['newPage']>[0]): Promise<{ browser: Browser; page: Page }> {
  const browser = await launchChromium()
  const page = await browser.newPage(options)
  await page.addInitScript("localStorage.setItem('hicra.exposeCharts', '1')")
  await page.goto(s.url)
  // The first navigation (/ → /runs, a lazily loaded view) must be over before a test sets the
  // hash: under load a hash set while it was pending was overridden by it (seen in CI).
  await page.locator('[data-testid="runs-search"], [data-testid="runs-empty"]').first().waitFor()
  return { browser, page }
}

/** Polls probe every 100 ms until it answers something truthy (returned), or throws after ms. */
export async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

export interface Served {
  url: string
  token: string
  port: number
  proc: ChildProcess
  stop(): Promise<void>
}

/** Starts the real `hicra serve` as a child process and waits for the URL it prints. */
export function startServe(db: string, extraArgs: string[] = []): Promise<Served> {
  const proc = spawn(process.execPath, [join(projectRoot, 'bin', 'hicra.mjs'), 'serve', '--db', db, ...extraArgs], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  return new Promise((resolvePromise, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => reject(new Error(`hicra serve did not print a URL in 60 s:\n${out}\n${err}`)), 60_000)
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()))
    proc.on('exit', (code) => reject(new Error(`hicra serve exited with ${code}:\n${out}\n${err}`)))
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolvePromise({
          url: m[0], port: Number(m[1]), token: m[2]!, proc,
          stop: () => new Promise((done) => {
            if (proc.exitCode !== null) return done()
            proc.once('exit', () => done())
            proc.kill('SIGTERM')
          })
        })
      }
    })
  })
}

/** Calls the served API the way any HTTP client would. */
export async function apiCall<T>(s: Served, channel: string, body: unknown): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${s.port}/api/${channel}`, {
    method: 'POST', headers: { Authorization: `Bearer ${s.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body)
  })
  const json = (await res.json()) as { ok: boolean; value?: T; error?: { message: string } }
  if (!json.ok) throw new Error(`${channel}: ${json.error?.message}`)
  return json.value as T
}
