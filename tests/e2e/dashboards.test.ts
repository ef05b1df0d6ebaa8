import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { apiCall, hasBuild, hasChromium, launchChromium, projectRoot, startServe, type Served } from './browser'
import { tempDir } from '../helpers/tmp'
import { debiasedEma } from '../../src/renderer/src/lib/ema'
import { parseCsv } from '../../src/renderer/src/lib/csv'
import type { MetricSeries } from '../../src/shared/api/metrics'

// Run detail, Compare, Runs and Train in Chromium against the real `hicra serve`, with runs made
// through the API (runs/create + metrics/append), as an importer or the trainer would store them.
const tmp = tempDir()
const artifacts = join(projectRoot, 'test-artifacts')
let served: Served
let browser: Browser
let page: Page

interface ChartSeries { id: string; data: [number, number | null][] }
type Win = { __charts?: Record<string, { getOption(): { series: ChartSeries[]; xAxis: { type: string }[] }; dispatchAction(a: unknown): void }> }

/** The drawn data of one series of a chart, read through the instance the page exposes for tests. */
function drawn(testid: string, seriesId: string): Promise<[number, number | null][] | null> {
  return page.evaluate(([t, s]) => {
    const c = (globalThis as unknown as Win).__charts?.[t]
    // A chart is exposed when it mounts, before its first option: no series yet means "not yet".
    return c?.getOption()?.series?.find((x) => x && x.id === s)?.data ?? null
  }, [testid, seriesId] as const)
}

async function waitDrawn(testid: string, seriesId: string, ok: (d: [number, number | null][]) => boolean): Promise<[number, number | null][]> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const d = await drawn(testid, seriesId)
    if (d && ok(d)) return d
    if (Date.now() > deadline) throw new Error(`${testid}/${seriesId}: condition not met; last ${d?.length ?? 'no'} points`)
    await page.waitForTimeout(100)
  }
}

const WALL0 = 1_760_000_000_000
/** Points of a run: Figure 2 metrics without per-token log-probs (no relative perplexity), plus trainer metrics. */
function points(seedShift: number, from: number, to: number) {
  const out: { step: number; key: string; value: number; wallTime: number }[] = []
  for (let s = from; s < to; s++) {
    const wallTime = WALL0 + s * 1500
    const noise = Math.sin(s * 12.9898 + seedShift) * 0.05
    out.push({ step: s, key: 'accuracy', value: 0.2 + 0.5 * (1 - Math.exp(-s / 120)) + noise + seedShift / 20, wallTime })
    out.push({ step: s, key: 'length', value: 80 + s / 5, wallTime })
    out.push({ step: s, key: 'token_entropy_planning', value: 1.1 - s / 1000 + noise, wallTime })
    out.push({ step: s, key: 'token_entropy_execution', value: 0.5 - s / 2000 + noise, wallTime })
    out.push({ step: s, key: 'token_entropy', value: 0.6 - s / 1800 + noise, wallTime })
    out.push({ step: s, key: 'semantic_entropy', value: 1.5 + s / 800 + noise, wallTime })
    out.push({ step: s, key: 'clip_fraction', value: 0.05 + noise / 5, wallTime })
  }
  return out
}

let runA: number
let runB: number
let runC: number
const LOSS_STEPS = 3000
const lossValues: number[] = []

describe.skipIf(!hasChromium || !hasBuild)('dashboards in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true })
    served = await startServe(join(tmp.dir, 'dash.db'))
    runA = (await apiCall<{ id: number }>(served, 'runs/create', { name: 'grpo seed 1', kind: 'train', tags: ['grpo'], config: { algo: 'grpo', seed: 1, steps: 300 } })).id
    runB = (await apiCall<{ id: number }>(served, 'runs/create', { name: 'hicra seed 1', kind: 'train', tags: ['hicra'], config: { algo: 'hicra', seed: 1, steps: 300 } })).id
    runC = (await apiCall<{ id: number }>(served, 'runs/create', { name: 'hicra seed 2', kind: 'train', tags: ['hicra'], config: { seed: 2, steps: 300, algo: 'hicra' } })).id
    await apiCall(served, 'metrics/append', { runId: runA, points: points(0, 0, 300) })
    await apiCall(served, 'metrics/append', { runId: runB, points: points(1, 0, 300) })
    await apiCall(served, 'metrics/append', { runId: runC, points: points(2, 0, 300) })
    // A long loss series, so the chart downsamples it and the CSV must still be complete.
    const loss = []
    for (let s = 0; s < LOSS_STEPS; s++) {
      const v = Math.cos(s / 40) / (1 + s / 500) + ((s * 7919) % 101) / 1000
      lossValues.push(v)
      loss.push({ step: s, key: 'loss', value: v, wallTime: WALL0 + s * 100 })
    }
    await apiCall(served, 'metrics/append', { runId: runA, points: loss })
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1400, height: 1600 } })
    page.on('pageerror', (e) => console.error('page error:', e.message))
    page.on('console', (m) => { if (m.type() === 'error' && !m.text().includes('404')) console.error('page console:', m.text()) })
    await page.addInitScript("localStorage.setItem('hicra.exposeCharts', '1')")
    await page.goto(served.url)
  })
  afterAll(async () => {
    await browser?.close()
    await served?.stop()
    tmp.cleanup()
  })

  it('Runs: searches by name and filters by tag', async () => {
    await page.getByTestId('nav-runs').click()
    await page.getByTestId(`run-row-${runC}`).waitFor()
    await page.getByTestId('runs-search').fill('seed 2')
    await page.getByTestId(`run-row-${runB}`).waitFor({ state: 'detached' })
    expect(await page.getByTestId(`run-row-${runC}`).isVisible()).toBe(true)
    await page.getByTestId('runs-search').fill('')
    await page.getByTestId('runs-tag').selectOption('hicra')
    await page.getByTestId(`run-row-${runA}`).waitFor({ state: 'detached' })
    expect(await page.getByTestId(`run-row-${runB}`).isVisible()).toBe(true)
    await page.screenshot({ path: join(artifacts, 'dashboards-runs.png') })
    await page.getByTestId('runs-tag').selectOption('')
  })

  it('Run detail: Figure 2 panels with data, and a reason for the metric the run lacks', async () => {
    await page.getByTestId(`run-row-${runA}`).getByTestId('run-name').click()
    await page.getByTestId('run-title').filter({ hasText: 'grpo seed 1' }).waitFor()
    await page.getByTestId('smoothing').fill('0')
    // The training internals are folded (the page remembers them open), panels without data hidden behind one line.
    await page.getByTestId('section-training').locator('summary').click()
    await page.getByTestId('show-hidden-panels').click()
    for (const id of ['token-entropy', 'semantic-entropy', 'accuracy-length', 'loss', 'clip-fraction']) {
      await page.locator(`[data-testid="chart-${id}"][data-has-data="1"]`).waitFor()
    }
    const tokens = await waitDrawn('chart-token-entropy', 'token_entropy_planning', (d) => d.length === 300)
    expect(tokens[0]).toEqual([0, 1.1])
    expect(await page.getByTestId('empty-chart-relative-perplexity').textContent()).toMatch(/no per-token log-probs/)
    expect(await page.getByTestId('empty-chart-step-time').textContent()).toMatch(/step time is logged by the trainer/)
    expect(await page.getByTestId('absent-semantic-entropy').textContent()).toContain('conditional_entropy')
    await page.screenshot({ path: join(artifacts, 'dashboards-run.png'), fullPage: true })
  })

  it('Run detail: smoothing changes the drawn line to the debiased EMA of the stored values', async () => {
    const raw = await waitDrawn('chart-accuracy-length', 'accuracy', (d) => d.length === 300)
    const stored = (await apiCall<{ series: MetricSeries[] }>(served, 'metrics/series', { runIds: [runA], keys: ['accuracy'], maxPoints: 100_000 })).series[0]!
    expect(raw.map((p) => p[1])).toEqual(stored.last)
    await page.getByTestId('smoothing').fill('0.9')
    const smooth = await waitDrawn('chart-accuracy-length', 'accuracy', (d) => d[5]![1] !== raw[5]![1])
    const want = debiasedEma(stored.last, 0.9)
    smooth.forEach((p, i) => expect(p[1]).toBeCloseTo(want[i]!, 12))
    await page.getByTestId('smoothing').fill('0')
  })

  it('Run detail: the CSV export equals the stored series, although the chart is downsampled', async () => {
    const drawnLoss = await waitDrawn('chart-loss', 'loss', (d) => d.length > 0)
    expect(drawnLoss.length).toBeLessThan(LOSS_STEPS)
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('csv-chart-loss').click()])
    const rows = parseCsv(readFileSync((await download.path())!, 'utf8'))
    expect(rows[0]).toEqual(['run_id', 'run_name', 'key', 'step', 'wall_time_ms', 'wall_time_iso', 'value'])
    const stored = (await apiCall<{ series: MetricSeries[] }>(served, 'metrics/series', { runIds: [runA], keys: ['loss'], maxPoints: 100_000 })).series[0]!
    expect(stored.total).toBe(LOSS_STEPS)
    const body = rows.slice(1)
    expect(body.map((r) => Number(r[3]))).toEqual(stored.step)
    expect(body.map((r) => Number(r[6]))).toEqual(stored.last)
    expect(body.map((r) => Number(r[4]))).toEqual(stored.wall)
    expect(body.map((r) => Number(r[6]))).toEqual(lossValues)
    expect(new Set(body.map((r) => r[1]))).toEqual(new Set(['grpo seed 1']))
    const [png] = await Promise.all([page.waitForEvent('download'), page.getByTestId('png-chart-loss').click()])
    expect(readFileSync((await png.path())!).subarray(1, 4).toString()).toBe('PNG')
  })

  it('Run detail: zooming re-queries the visible window at full resolution', async () => {
    const before = await drawn('chart-loss', 'loss')
    const inWindow = (d: [number, number | null][]) => d.filter((p) => p[0] >= 1500 && p[0] <= 1600).length
    expect(inWindow(before!)).toBeLessThan(101)
    await page.evaluate(() => (globalThis as unknown as Win).__charts!['chart-loss']!.dispatchAction({ type: 'dataZoom', start: 49, end: 54 }))
    const after = await waitDrawn('chart-loss', 'loss', (d) => inWindow(d) === 101)
    expect(after.filter((p) => p[0] >= 1500 && p[0] <= 1600).map((p) => p[1])).toEqual(lossValues.slice(1500, 1601))
    await page.evaluate(() => (globalThis as unknown as Win).__charts!['chart-loss']!.dispatchAction({ type: 'dataZoom', start: 0, end: 100 }))
  })

  it('Run detail: x axis by relative time and wall time', async () => {
    await page.getByTestId('x-mode').selectOption('relative')
    const rel = await waitDrawn('chart-token-entropy', 'token_entropy', (d) => d.length === 300 && d[0]![0] === 0 && d[1]![0] === 1.5)
    expect(rel[2]![0]).toBe(3)
    await page.getByTestId('x-mode').selectOption('wall')
    const wall = await waitDrawn('chart-token-entropy', 'token_entropy', (d) => d[0]![0] === WALL0)
    expect(wall[1]![0]).toBe(WALL0 + 1500)
    await page.getByTestId('x-mode').selectOption('step')
    await waitDrawn('chart-token-entropy', 'token_entropy', (d) => d[0]![0] === 0 && d[1]![0] === 1)
  })

  it('Run detail: a live run updates the chart as points are appended', async () => {
    await waitDrawn('chart-token-entropy', 'token_entropy', (d) => d.length === 300)
    for (let k = 0; k < 3; k++) {
      await apiCall(served, 'metrics/append', { runId: runA, points: points(0, 300 + 10 * k, 310 + 10 * k) })
      await waitDrawn('chart-token-entropy', 'token_entropy', (d) => d.length === 310 + 10 * k)
    }
    // A metric the run did not have appears in its panel without reloading the page.
    await apiCall(served, 'metrics/append', { runId: runA, points: [{ step: 330, key: 'step_time_s', value: 0.25 }, { step: 331, key: 'step_time_s', value: 0.3 }] })
    await page.locator('[data-testid="chart-step-time"][data-has-data="1"]').waitFor()
    expect(await waitDrawn('chart-step-time', 'step_time_s', (d) => d.length === 2)).toEqual([[330, 0.25], [331, 0.3]])
  })

  it('Run detail: tags and notes are saved through runs/update', async () => {
    await page.getByTestId('run-tags').fill('grpo, baseline')
    await page.getByTestId('run-notes').fill('reference run for Table 1')
    await page.getByTestId('run-save').click()
    // (The button is disabled while the call is in flight too: wait for its answer.)
    await page.getByTestId('run-saved').waitFor()
    const run = await apiCall<{ tags: string[]; notes: string }>(served, 'runs/get', { id: runA })
    expect(run.tags).toEqual(['grpo', 'baseline'])
    expect(run.notes).toBe('reference run for Table 1')
  })

  it('Compare: picks runs and metrics, overlays one line per run, and shows the Δ table', async () => {
    await page.getByTestId('nav-compare').click()
    for (const id of [runA, runB, runC]) await page.getByTestId(`pick-run-${id}`).check()
    await page.getByTestId('metric-filter').fill('accur')
    await page.getByTestId('pick-metric-accuracy').check()
    expect(await page.getByTestId('pick-metric-loss').count()).toBe(0)
    await page.getByTestId('metric-filter').fill('')
    await page.getByTestId('pick-metric-token_entropy_planning').check()
    await page.locator('[data-testid="compare-accuracy"][data-has-data="1"]').waitFor()
    for (const id of [runA, runB, runC]) await waitDrawn('compare-accuracy', `run:${id}`, (d) => d.length >= 300)

    await page.getByTestId('baseline').selectOption(String(runA))
    const all = (await apiCall<{ series: MetricSeries[] }>(served, 'metrics/series', { runIds: [runA, runB], keys: ['accuracy'], maxPoints: 100_000 })).series
    const finalA = all[0]!.last.at(-1)!
    const finalB = all[1]!.last.at(-1)!
    const bestB = Math.max(...all[1]!.last)
    const meanB = all[1]!.last.slice(-10).reduce((a, b) => a + b, 0) / 10
    const meanA = all[0]!.last.slice(-10).reduce((a, b) => a + b, 0) / 10
    const num = async (id: string) => Number((await page.getByTestId(id).locator('.v').textContent())!)
    const deltaText = page.getByTestId(`delta-${runB}-accuracy-final`)
    await deltaText.waitFor()
    expect(await num(`cell-${runB}-accuracy-final`)).toBeCloseTo(finalB, 3)
    expect(await num(`cell-${runB}-accuracy-best`)).toBeCloseTo(bestB, 3)
    await page.getByTestId(`delta-${runB}-accuracy-mean`).waitFor()
    expect(await num(`cell-${runB}-accuracy-mean`)).toBeCloseTo(meanB, 3)
    const d = (await deltaText.textContent())!.replace('−', '-')
    expect(Number(d)).toBeCloseTo(finalB - finalA, 3)
    expect(Number((await page.getByTestId(`delta-${runB}-accuracy-mean`).textContent())!.replace('−', '-'))).toBeCloseTo(meanB - meanA, 3)
    expect(await page.getByTestId(`delta-${runA}-accuracy-final`).count()).toBe(0)
    await page.screenshot({ path: join(artifacts, 'dashboards-compare.png'), fullPage: true })
  })

  it('Compare: seeds of one config are drawn as their mean with a min–max band', async () => {
    await page.getByTestId('smoothing').fill('0')
    await page.getByTestId('group-config').check()
    const members = (await apiCall<{ series: MetricSeries[] }>(served, 'metrics/series', { runIds: [runB, runC], keys: ['accuracy'], maxPoints: 100_000 })).series
    // The chart is redrawn after the click: wait for the grouped series (two runs of one
    // config become one mean with its band, beside the third run).
    const seriesIds = () => page.evaluate(() => ((globalThis as unknown as Win).__charts?.['compare-accuracy']?.getOption()?.series ?? []).filter((s) => s).map((s) => s.id))
    let groupId = await seriesIds()
    for (let i = 0; i < 200 && groupId.filter((id) => !id.includes('|')).length !== 2; i++) {
      await page.waitForTimeout(100)
      groupId = await seriesIds()
    }
    const mains = groupId.filter((id) => !id.includes('|'))
    expect(mains).toHaveLength(2)
    const mean = mains.find((id) => groupId.includes(`${id}|band`))
    expect(mean).toBeDefined()
    const line = await waitDrawn('compare-accuracy', mean!, (dd) => dd.length >= 300)
    expect(line[7]![1]).toBeCloseTo((members[0]!.last[7]! + members[1]!.last[7]!) / 2, 12)
    const band = await waitDrawn('compare-accuracy', `${mean}|band`, (dd) => dd.length >= 300)
    // A band's points are [x, lo, hi].
    const [, lo, hi] = band[7] as unknown as [number, number, number]
    expect(hi - lo).toBeCloseTo(Math.abs(members[0]!.last[7]! - members[1]!.last[7]!), 12)
    expect(lo).toBeCloseTo(Math.min(members[0]!.last[7]!, members[1]!.last[7]!), 12)
    await page.screenshot({ path: join(artifacts, 'dashboards-compare-groups.png'), fullPage: true })
    await page.getByTestId('group-none').check()
  })

  it('Run detail of an imported run: text metrics drawn, token metrics and trainer metrics say why they are missing', async () => {
    const fixtures = join(projectRoot, 'tests', 'fixtures', 'import')
    const { runId } = await apiCall<{ runId: number }>(served, 'import/start', {
      paths: [join(fixtures, 'verl')], sg: join(fixtures, 'sg.json'), name: 'verl import'
    })
    for (let i = 0; i < 300; i++) {
      const run = await apiCall<{ status: string }>(served, 'runs/get', { id: runId })
      if (run.status === 'imported') break
      if (run.status === 'failed') throw new Error('the import failed')
      await page.waitForTimeout(100)
    }
    await page.evaluate((id) => { (globalThis as unknown as { location: { hash: string } }).location.hash = `#/runs/${id}` }, runId)
    await page.getByTestId('run-title').filter({ hasText: 'verl import' }).waitFor()
    await page.getByTestId('smoothing').fill('0')
    await page.getByTestId('show-hidden-panels').click()
    const stored = (await apiCall<{ series: MetricSeries[] }>(served, 'metrics/series', { runIds: [runId], keys: ['semantic_entropy', 'accuracy'], maxPoints: 100 })).series
    expect((await waitDrawn('chart-semantic-entropy', 'semantic_entropy', (d) => d.length === 2)).map((p) => p[1])).toEqual(stored[0]!.last)
    expect((await waitDrawn('chart-accuracy-length', 'accuracy', (d) => d.length === 2)).map((p) => p[1])).toEqual(stored[1]!.last)
    expect(await page.getByTestId('empty-chart-relative-perplexity').textContent()).toMatch(/no per-token log-probs/)
    expect(await page.getByTestId('empty-chart-token-entropy').textContent()).toMatch(/no per-token entropies/)
    expect(await page.getByTestId('empty-chart-loss').textContent()).toMatch(/imported/)
    await page.screenshot({ path: join(artifacts, 'dashboards-imported-run.png'), fullPage: true })
  })

  it('Train: the form validates as the engine does', async () => {
    await page.getByTestId('nav-train').click()
    await page.getByTestId('train-form').waitFor()
    expect(await page.getByTestId('train-algo').inputValue()).toBe('hicra')
    await page.getByTestId('train-group').fill('0')
    await page.getByTestId('train-alpha').fill('1.5')
    await page.getByTestId('err-groupSize').waitFor()
    expect(await page.getByTestId('err-groupSize').textContent()).toMatch(/>=\s*1/)
    expect(await page.getByTestId('err-alpha').textContent()).toMatch(/<=\s*1/)
    await page.screenshot({ path: join(artifacts, 'dashboards-train.png'), fullPage: true })
    await page.getByTestId('train-group').fill('4')
    await page.getByTestId('train-alpha').fill('0.2')
    await page.getByTestId('err-groupSize').waitFor({ state: 'detached' })
    expect(JSON.parse((await page.getByTestId('train-config').textContent())!)).toMatchObject({ groupSize: 4, alpha: 0.2, algo: 'hicra' })
  })

  it('Train: a short run started from the form appears in Runs at once and its charts fill in', async () => {
    await page.getByTestId('nav-train').click()
    await page.getByTestId('train-name').fill('tiny from the form')
    await page.getByTestId('train-task').selectOption('route')
    await page.getByTestId('train-algo').selectOption('hicra')
    await page.getByTestId('train-steps').fill('3')
    await page.getByTestId('train-warmup').fill('2')
    await page.getByTestId('train-eval').fill('0')
    await page.getByTestId('train-batch').fill('2')
    await page.getByTestId('train-group').fill('2')
    await page.getByTestId('train-seed').fill('5')
    await page.getByTestId('train-model').selectOption('tiny')
    await page.getByTestId('train-backend').selectOption('wasm')
    await page.getByTestId('train-start').click()
    const job = page.locator('[data-testid^="train-job-"]').first()
    await job.waitFor()
    const runs = await apiCall<{ id: number; name: string; kind: string }[]>(served, 'runs/list', {})
    const run = runs.find((r) => r.name === 'tiny from the form')!
    expect(run.kind).toBe('train')
    // A tiny untrained policy may emit no Strategic Gram at all, so the planning lines may stay empty;
    // execution tokens always exist.
    // The run is listed while it trains, not only once it is done.
    await page.getByTestId('nav-runs').click()
    await page.getByTestId(`run-row-${run.id}`).waitFor()
    await page.getByTestId(`run-row-${run.id}`).getByTestId('run-name').click()
    await page.getByTestId('run-status').filter({ hasText: 'completed' }).waitFor({ timeout: 120_000 })
    for (const [chart, series] of [['chart-accuracy-length', 'accuracy'], ['chart-loss', 'loss'], ['chart-relative-perplexity', 'relative_perplexity_execution'],
      ['chart-token-entropy', 'token_entropy'], ['chart-step-time', 'step_time_s']] as const) {
      expect((await waitDrawn(chart, series, (d) => d.length === 3)).map((p) => p[0])).toEqual([1, 2, 3])
    }
    expect(await page.getByTestId('run-backend').textContent()).toBe('wasm')
    await page.screenshot({ path: join(artifacts, 'dashboards-trained-run.png'), fullPage: true })
    await page.getByTestId('nav-train').click()
    const progress = page.locator(`[data-testid^="train-job-"]`).first().getByTestId('train-progress')
    await progress.filter({ hasText: 'step 3 / 3' }).waitFor()
    await progress.filter({ hasText: 'tokens/s' }).waitFor()
    await page.screenshot({ path: join(artifacts, 'dashboards-train-progress.png'), fullPage: true })
  }, 180_000)

  it('Train: pause, resume and stop a run from its progress row', async () => {
    const config = {
      task: 'route', algo: 'grpo', steps: 100_000, seed: 3, backend: 'wasm',
      model: { layers: 1, dModel: 16, heads: 2, context: 72, ffMult: 2 },
      warmup: { steps: 2, batchSize: 4 }, eval: { every: 0 }, batchPrompts: 2, groupSize: 2
    }
    const { runId, jobId } = await apiCall<{ runId: number; jobId: number }>(served, 'train/start', { config, name: 'long tiny run' })
    await page.getByTestId('nav-runs').click()
    await page.getByTestId('nav-train').click()
    const row = page.getByTestId(`train-job-${jobId}`)
    const status = (s: string) => row.getByTestId('train-job-status').filter({ hasText: new RegExp(`^${s}$`) }).waitFor({ timeout: 60_000 })
    await row.getByTestId('train-progress').filter({ hasText: /step [1-9]/ }).waitFor({ timeout: 60_000 })
    await status('running')
    await row.getByTestId('train-pause').click()
    await status('paused')
    expect((await apiCall<{ status: string }>(served, 'runs/get', { id: runId })).status).toBe('paused')
    await row.getByTestId('train-resume').click()
    await status('running')
    await row.getByTestId('train-stop').click()
    await row.getByTestId('train-stop-confirm').click()
    await status('stopped')
    const run = await apiCall<{ status: string; lastStep: number }>(served, 'runs/get', { id: runId })
    expect(run.status).toBe('stopped')
    expect(run.lastStep).toBeLessThan(100_000)
  }, 240_000)
})
