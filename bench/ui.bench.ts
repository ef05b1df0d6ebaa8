// `npm run bench:ui`: Compare view with 8 runs × 6 metrics × 20,000 steps, driven in Chromium against
// the real `hicra serve`. Prints the time from request to rendered charts (ECharts' `finished`) for
// opening the view, for adding one metric to it and per zoom re-query, with the API requests each
// took, beside the same queries timed bare over HTTP as the reference, and beside the figures this
// benchmark measured before Compare fetched through one `metrics/batch` request.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Page } from 'playwright-core'
import { openStore } from '../src/main/store'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const RUNS = 8
const STEPS = 20_000
const METRICS = ['accuracy', 'length', 'token_entropy_planning', 'token_entropy_execution', 'semantic_entropy', 'loss']
const REPEATS = 3
/**
 * Measured last by this benchmark before the present speed work: the tree of f98489a (metrics/batch,
 * cut at 24 series a call) on a nearly idle machine, load average 0.5–1.3, 2026-12-01 12:02–12:04,
 * median of 3. (Before the batch verb, tree 5718557, one request per panel and per Δ-table cell:
 * 5,104 ms to open at load 17, 1,426 ms at load 1.1.)
 */
const EARLIER = {
  open: 1386, add: 348, zoom: 626, bare: 649, bareAdd: 117, bareZoom: 284,
  when: 'tree f98489a (2 batch requests to open, 1 to add a metric), load average 0.5–1.3, 2026-12-01 12:02'
}
/** BENCH_PROFILE=DIR: CPU profiles of the server (whole run) and of the page (one more open, one more add) into DIR. */
const PROFILE = process.env.BENCH_PROFILE
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ')
const loadBefore = load()

if (!existsSync(CHROMIUM)) { console.error(`bench:ui needs Chromium at ${CHROMIUM} (apt-get install chromium)`); process.exit(1) }
if (!existsSync(join(root, 'out', 'renderer', 'index.html'))) { console.error('bench:ui needs the built app: run `npx electron-vite build` first'); process.exit(1) }

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]! }
const ms = (x: number) => `${x.toFixed(0)} ms`

const dir = mkdtempSync(join(tmpdir(), 'hicra-bench-ui-'))
const db = join(dir, 'ui.db')
let serve: ChildProcess | null = null
try {
  // 1. The workspace, written through the store as the trainer and importer write it.
  let t = performance.now()
  const store = openStore(db)
  const runIds: number[] = []
  for (let r = 0; r < RUNS; r++) {
    const run = store.runs.create({ name: `${r % 2 ? 'hicra' : 'grpo'} seed ${r >> 1}`, kind: 'train', status: 'completed',
      tags: [r % 2 ? 'hicra' : 'grpo'], config: { algo: r % 2 ? 'hicra' : 'grpo', seed: r >> 1 } })
    runIds.push(run.id)
    const wall0 = Date.now() - STEPS * 1000
    for (let s0 = 0; s0 < STEPS; s0 += 2000) {
      const points = []
      for (let s = s0; s < s0 + 2000; s++) {
        for (let m = 0; m < METRICS.length; m++) {
          points.push({ step: s, key: METRICS[m]!, value: Math.sin(s / (300 + 40 * m) + r) + (1 + r / 10) * Math.log1p(s / 1000) + ((s * 7919 + m * 104729 + r) % 1000) / 2000, wallTime: wall0 + s * 1000 })
        }
      }
      store.metrics.append(run.id, points)
    }
  }
  store.close()
  console.log(`workspace: ${RUNS} runs × ${METRICS.length} metrics × ${STEPS} steps = ${(RUNS * METRICS.length * STEPS).toLocaleString('en')} points, written in ${ms(performance.now() - t)}`)

  // 2. The real server.
  if (PROFILE) mkdirSync(PROFILE, { recursive: true })
  serve = spawn(process.execPath, [...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : []), join(root, 'bin', 'hicra.mjs'), 'serve', '--db', db],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`hicra serve printed no URL in 60 s:\n${out}`)), 60_000)
    serve!.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/.exec(out)
      if (m) { clearTimeout(timer); resolve(m[0]) }
    })
    serve!.on('exit', (c) => reject(new Error(`hicra serve exited with ${c}:\n${out}`)))
  })
  const origin = new URL(url).origin
  const token = new URL(url).searchParams.get('token')!

  // 3. Chromium on the Compare view.
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] })
  const page = await browser.newPage({ viewport: { width: 1600, height: 1400 } })
  page.on('pageerror', (e) => console.error('page error:', e.message))
  await page.addInitScript("localStorage.setItem('hicra.exposeCharts', '1')")
  let metricRequests = 0
  page.on('request', (r) => { if (/\/api\/metrics\//.test(r.url())) metricRequests++ })
  await page.goto(url)
  await page.waitForSelector('[data-testid="nav-compare"]')
  const hash = `#/compare?runs=${runIds.join(',')}&metrics=${METRICS.join(',')}&baseline=${runIds[0]}`

  type Timing = { testid: string; reason: string; totalMs: number; queryMs: number; points: number; maxPoints: number }
  // What the page exposes when localStorage 'hicra.exposeCharts' is '1' (this file type-checks without DOM types).
  type Win = { __chartTimings?: Timing[]; __charts?: Record<string, { dispatchAction(a: unknown): void }>; location: { hash: string } }
  const waitTimings = (reason: string, n: number) => page.waitForFunction(([r, k]) =>
    ((globalThis as unknown as Win).__chartTimings ?? []).filter((x) => x.reason === r).length >= (k as number), [reason, n] as const, { timeout: 120_000, polling: 10 })
  const takeTimings = (p: Page) => p.evaluate(() => { const w = globalThis as unknown as Win; const t = w.__chartTimings ?? []; w.__chartTimings = []; return t }) as Promise<Timing[]>

  const open: number[] = []
  const openRequests: number[] = []
  const openQuery: number[] = []
  const openDraw: number[] = []
  let points = 0
  let budget = 2000
  for (let i = 0; i < REPEATS; i++) {
    await page.evaluate(() => { (globalThis as unknown as Win).location.hash = '#/runs' })
    await page.waitForSelector('[data-testid="runs-table"]')
    await takeTimings(page)
    metricRequests = 0
    t = performance.now()
    await page.evaluate((h) => { (globalThis as unknown as Win).location.hash = h }, hash)
    await waitTimings('initial', METRICS.length)
    open.push(performance.now() - t)
    openRequests.push(metricRequests)
    const ts = (await takeTimings(page)).filter((x) => x.reason === 'initial')
    if (process.env.BENCH_DEBUG) console.log('open', JSON.stringify(ts.map((x) => [x.testid, Math.round(x.queryMs), Math.round(x.totalMs), x.points])))
    openQuery.push(Math.max(...ts.map((x) => x.queryMs)))
    openDraw.push(Math.max(...ts.map((x) => x.totalMs - x.queryMs)))
    points = ts.reduce((a, x) => a + x.points, 0)
    budget = ts[0]!.maxPoints
  }
  await page.waitForSelector('[data-testid="delta-row-' + runIds[RUNS - 1] + '"]')

  // 4a. Add a metric: the view open with five panels, tick the sixth; only its series are queried.
  const added = METRICS[METRICS.length - 1]!
  const five = `#/compare?runs=${runIds.join(',')}&metrics=${METRICS.slice(0, -1).join(',')}&baseline=${runIds[0]}`
  const add: number[] = []
  const addTable: number[] = []
  const addRequests: number[] = []
  for (let i = 0; i < REPEATS; i++) {
    await page.evaluate(() => { (globalThis as unknown as Win).location.hash = '#/runs' })
    await page.waitForSelector('[data-testid="runs-table"]')
    await takeTimings(page)
    await page.evaluate((h) => { (globalThis as unknown as Win).location.hash = h }, five)
    await waitTimings('initial', METRICS.length - 1)
    await page.waitForSelector(`[data-testid="pick-metric-${added}"]`)
    // Let the table's own work (its last-N tails) settle before the click.
    await page.waitForTimeout(300)
    await takeTimings(page)
    metricRequests = 0
    t = performance.now()
    await page.click(`[data-testid="pick-metric-${added}"]`)
    await page.waitForFunction((id) => ((globalThis as unknown as Win).__chartTimings ?? []).some((x) => x.testid === id), `compare-${added}`, { timeout: 60_000, polling: 5 })
    add.push(performance.now() - t)
    await page.waitForFunction((id) => { const d = (globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } }).document
      return (d.querySelector(`[data-testid="cell-${id}"] .v`)?.textContent ?? '–') !== '–' }, `${runIds[RUNS - 1]}-${added}-mean`, { timeout: 60_000, polling: 5 })
    addTable.push(performance.now() - t)
    addRequests.push(metricRequests)
  }

  // 4b. Zoom: one dataZoom on the first panel; the linked panels follow and all six re-query.
  const zoom: number[] = []
  const zoomTotal: number[] = []
  for (const [start, end] of [[40, 60], [45, 50], [10, 90], [47, 48], [0, 30]] as const) {
    await takeTimings(page)
    t = performance.now()
    await page.evaluate(([s, e]) => (globalThis as unknown as Win).__charts!['compare-accuracy']!.dispatchAction({ type: 'dataZoom', start: s, end: e }), [start, end] as const)
    await waitTimings('zoom', METRICS.length)
    zoomTotal.push(performance.now() - t)
    const ts = (await takeTimings(page)).filter((x) => x.reason === 'zoom')
    zoom.push(Math.max(...ts.map((x) => x.totalMs)))
    if (process.env.BENCH_DEBUG) console.log(JSON.stringify(ts.map((x) => [x.testid, Math.round(x.queryMs), Math.round(x.totalMs), x.points])))
  }
  await page.screenshot({ path: join(dir, 'compare.png') })

  if (PROFILE) {
    // One more open and one more add, each under the page's CPU profiler (not in the figures above).
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Profiler.enable')
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 })
    const profiled = async (name: string, go: () => Promise<void>) => {
      await cdp.send('Profiler.start')
      await go()
      const { profile } = await cdp.send('Profiler.stop')
      writeFileSync(join(PROFILE, `page-${name}.cpuprofile`), JSON.stringify(profile))
    }
    await page.evaluate(() => { (globalThis as unknown as Win).location.hash = '#/runs' })
    await page.waitForSelector('[data-testid="runs-table"]')
    await takeTimings(page)
    await profiled('open', async () => {
      await page.evaluate((h) => { (globalThis as unknown as Win).location.hash = h }, hash)
      await waitTimings('initial', METRICS.length)
    })
    await page.evaluate(() => { (globalThis as unknown as Win).location.hash = '#/runs' })
    await page.waitForSelector('[data-testid="runs-table"]')
    await page.evaluate((h) => { (globalThis as unknown as Win).location.hash = h }, five)
    await waitTimings('initial', METRICS.length - 1)
    await page.waitForSelector(`[data-testid="pick-metric-${added}"]`)
    await page.waitForTimeout(300)
    await takeTimings(page)
    await profiled('add', async () => {
      await page.click(`[data-testid="pick-metric-${added}"]`)
      await page.waitForFunction((id) => ((globalThis as unknown as Win).__chartTimings ?? []).some((x) => x.testid === id), `compare-${added}`, { timeout: 60_000, polling: 5 })
    })
  }
  await browser.close()

  // 5. Reference: the very queries the six panels sent, bare over HTTP (no browser, no drawing).
  const series = async (body: unknown, verb = 'series') => {
    const res = await fetch(`${origin}/api/metrics/${verb}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
    const json = (await res.json()) as { ok: boolean }
    if (!json.ok) throw new Error(JSON.stringify(json))
  }
  const bare: number[] = []
  for (let i = 0; i < REPEATS; i++) {
    t = performance.now()
    await series({ queries: METRICS.map((k) => ({ runIds, keys: [k], maxPoints: budget, tail: 10 })) }, 'batch')
    bare.push(performance.now() - t)
  }
  const barePerPanel: number[] = []
  for (let i = 0; i < REPEATS; i++) {
    t = performance.now()
    await Promise.all(METRICS.map((k) => series({ runIds, keys: [k], maxPoints: budget })))
    barePerPanel.push(performance.now() - t)
  }
  const bareAdd: number[] = []
  for (let i = 0; i < REPEATS; i++) {
    t = performance.now()
    await series({ queries: [{ runIds, keys: [added], maxPoints: budget, tail: 10 }] }, 'batch')
    bareAdd.push(performance.now() - t)
  }
  const bareZoom: number[] = []
  for (let i = 0; i < REPEATS; i++) {
    t = performance.now()
    await Promise.all(METRICS.map((k) => series({ runIds, keys: [k], stepMin: 8000 + i * 100, stepMax: 12_000 + i * 100, maxPoints: budget })))
    bareZoom.push(performance.now() - t)
  }


  console.log(`\nCompare view, ${RUNS} runs × ${METRICS.length} panels (${points.toLocaleString('en')} drawn points incl. min/max bands; ${budget} buckets per series), Chromium headless, median of ${REPEATS}:`)
  const was = (x: number) => (x > 0 ? `  (earlier: ${ms(x)})` : '')
  console.log(`  load average (1, 5, 15 min): ${loadBefore} at the start, ${load()} at the end; the machine has ${availableParallelism()} cores`)
  console.log(`  open: request → all panels rendered      ${ms(median(open))}${was(EARLIER.open)}  (slowest panel: query ${ms(median(openQuery))}, drawing ${ms(median(openDraw))}; ${median(openRequests)} metrics requests)`)
  console.log(`  reference: the 6 queries as one metrics/batch, bare HTTP   ${ms(median(bare))}${was(EARLIER.bare)}   → UI/bare ratio ${(median(open) / median(bare)).toFixed(2)}`)
  console.log(`  reference: the 6 queries as 6 metrics/series, bare HTTP    ${ms(median(barePerPanel))}`)
  console.log(`  add a metric (${added}) → its panel rendered   ${ms(median(add))}${was(EARLIER.add)}  (Δ table column filled: ${ms(median(addTable))}; ${median(addRequests)} metrics request${median(addRequests) === 1 ? '' : 's'})`)
  console.log(`  reference: that metric's batch bare HTTP  ${ms(median(bareAdd))}${was(EARLIER.bareAdd)}   → UI/bare ratio ${(median(add) / median(bareAdd)).toFixed(2)}`)
  console.log(`  earlier figures: ${EARLIER.when}`)
  console.log(`  zoom re-query → rendered (all 6 panels)   median ${ms(median(zoom))}${was(EARLIER.zoom)}, max ${ms(Math.max(...zoom))} over ${zoom.length} zooms` +
    `; with the 200 ms debounce: ${ms(median(zoomTotal))}`)
  console.log(`  reference: 6 zoomed queries bare HTTP     ${ms(median(bareZoom))}${was(EARLIER.bareZoom)}   → UI/bare ratio ${(median(zoom) / median(bareZoom)).toFixed(2)}`)
} finally {
  if (serve && serve.exitCode === null) {
    const exited = new Promise((r) => serve!.once('exit', r))
    serve.kill('SIGTERM')
    await exited
  }
  rmSync(dir, { recursive: true, force: true })
}
