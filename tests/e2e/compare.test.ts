import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page, Request } from 'playwright-core'
import { apiCall, consoleErrors, hasBuild, hasChromium, openApp, projectRoot, startServe, type Served } from './browser'
import { tempDir } from '../helpers/tmp'
import { meanInterval } from '../../src/core/stats'
import type { MetricSeries } from '../../src/shared/api/metrics'

// Compare and the runs list in Chromium against the real `hicra serve`: directions colour only the
// metrics that have one, group rows with their interval, the band toggle, one request per added
// metric, the paper's panels preselected, the metric search, the config diff, and the runs list's
// sorting, metric columns and multi-select into Compare.
const tmp = tempDir()
const artifacts = join(projectRoot, 'test-artifacts')
let served: Served
let browser: Browser
let page: Page
let runA: number
let runB: number
let runC: number
let runShort: number

type Win = { __charts?: Record<string, { getOption(): { series: { id: string; data: [number, number | null][] }[] } }>; location: { hash: string } }
const goto = (hash: string) => page.evaluate((h) => { (globalThis as unknown as Win).location.hash = h }, hash)
const num = async (testid: string) => Number((await page.getByTestId(testid).locator('.v').textContent())!.replace('−', '-'))

function points(shift: number, steps: number) {
  const out: { step: number; key: string; value: number }[] = []
  for (let s = 0; s < steps; s++) {
    out.push({ step: s, key: 'accuracy', value: 0.2 + s / 1000 + shift / 10 + Math.sin(s + shift) / 50 })
    out.push({ step: s, key: 'length', value: 100 + s / 2 + shift * 5 })
    out.push({ step: s, key: 'semantic_entropy', value: 1.5 + shift / 7 + Math.cos(s) / 20 })
    out.push({ step: s, key: 'token_entropy_planning', value: 1 - s / 500 + shift / 30 })
    out.push({ step: s, key: 'token_entropy_execution', value: 0.4 - s / 900 })
    out.push({ step: s, key: 'planning_ratio', value: 0.1 + shift / 100 })
    out.push({ step: s, key: 'step_time_s', value: 2 + shift / 3 + (s % 7) / 10 })
    out.push({ step: s, key: 'loss', value: Math.sin(s / 9) / 10 })
  }
  return out
}

describe.skipIf(!hasChromium || !hasBuild)('Compare and the runs list in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true })
    served = await startServe(join(tmp.dir, 'compare.db'))
    runA = (await apiCall<{ id: number }>(served, 'runs/create', { name: 'grpo seed 1', kind: 'train', tags: ['grpo'], config: { algo: 'grpo', seed: 1, lr: 1e-6 } })).id
    runB = (await apiCall<{ id: number }>(served, 'runs/create', { name: 'hicra seed 1', kind: 'train', tags: ['hicra'], config: { algo: 'hicra', seed: 1, lr: 1e-6, alpha: 0.2 } })).id
    runC = (await apiCall<{ id: number }>(served, 'runs/create', { name: 'hicra seed 2', kind: 'train', tags: ['hicra'], config: { algo: 'hicra', seed: 2, lr: 1e-6, alpha: 0.2 } })).id
    runShort = (await apiCall<{ id: number }>(served, 'runs/create', { name: 'six checkpoints', kind: 'import', config: { model: 'qwen-7b', rollout_n: 8 } })).id
    await apiCall(served, 'metrics/append', { runId: runA, points: points(0, 200) })
    await apiCall(served, 'metrics/append', { runId: runB, points: points(1, 200) })
    await apiCall(served, 'metrics/append', { runId: runC, points: points(2, 180) })
    await apiCall(served, 'metrics/append', { runId: runShort, points: points(3, 6) })
    ;({ browser, page } = await openApp(served, { viewport: { width: 1400, height: 1300 } }))
  })
  afterAll(async () => {
    await browser?.close()
    await served?.stop()
    tmp.cleanup()
  })

  it('opens with the paper\'s panels preselected (those the runs have)', async () => {
    await goto(`#/compare?runs=${runA},${runB}`)
    await page.waitForFunction(() => (globalThis as unknown as Win).location.hash.includes('metrics='))
    const hash = await page.evaluate(() => decodeURIComponent((globalThis as unknown as Win).location.hash))
    expect(/metrics=([^&]*)/.exec(hash)![1]!.split(',')).toEqual(['accuracy', 'semantic_entropy', 'token_entropy_planning', 'token_entropy_execution', 'length', 'planning_ratio'])
    for (const k of ['accuracy', 'semantic_entropy', 'planning_ratio']) await page.locator(`[data-testid="compare-${k}"][data-has-data="1"]`).waitFor()
    // Sections list the metrics by what they measure.
    expect(await page.getByTestId('metric-section-entropy').getByRole('checkbox').count()).toBe(2)
    expect(await page.getByTestId('metric-section-speed').textContent()).toContain('step_time_s')
  })

  it('runs ticked in an empty Compare get the paper\'s panels too', async () => {
    await goto('#/compare')
    await page.getByTestId(`pick-run-${runA}`).check()
    await page.waitForFunction(() => (globalThis as unknown as Win).location.hash.includes('metrics='))
    await page.locator('[data-testid="compare-accuracy"][data-has-data="1"]').waitFor()
    await page.getByTestId(`pick-run-${runB}`).check()
    await page.getByTestId(`delta-row-${runB}`).waitFor()
  })

  it('searches metrics by text or by regular expression', async () => {
    await page.getByTestId('metric-filter').fill('entropy')
    expect(await page.locator('[data-testid^="pick-metric-"]').count()).toBe(3)
    await page.getByTestId('metric-regex').check()
    await page.getByTestId('metric-filter').fill('^token_entropy_(planning|execution)$')
    await page.getByTestId('pick-metric-semantic_entropy').waitFor({ state: 'detached' })
    expect(await page.locator('[data-testid^="pick-metric-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid'))))
      .toEqual(['pick-metric-token_entropy_planning', 'pick-metric-token_entropy_execution'])
    await page.getByTestId('metric-filter').fill('(unclosed')
    expect(await page.getByTestId('metric-filter-error').textContent()).toMatch(/not a regular expression/)
    await page.getByTestId('metric-filter').fill('')
    await page.getByTestId('metric-regex').uncheck()
  })

  it('the Δ table colours only metrics with a direction, and has a best only there', async () => {
    await goto(`#/compare?runs=${runA},${runB}&metrics=accuracy,length,step_time_s,semantic_entropy&baseline=${runA}`)
    await page.getByTestId(`delta-${runB}-accuracy-final`).waitFor()
    await page.getByTestId(`delta-${runB}-step_time_s-final`).waitFor()
    const cls = (id: string) => page.getByTestId(id).getAttribute('class')
    // hicra's accuracy is higher and its step time longer than grpo's: better, then worse.
    expect(await cls(`delta-${runB}-accuracy-final`)).toMatch(/\bgood\b/)
    expect(await cls(`delta-${runB}-step_time_s-final`)).toMatch(/\bbad\b/)
    // Length and semantic entropy have no better direction: a Δ, never a colour, and no "best".
    for (const k of ['length', 'semantic_entropy']) {
      expect(await cls(`delta-${runB}-${k}-final`)).not.toMatch(/good|bad/)
      expect(await page.getByTestId(`cell-${runB}-${k}-best`).count()).toBe(0)
      expect(await page.getByTestId(`delta-head-${k}`).textContent()).toContain('no better direction')
    }
    expect(await page.getByTestId('delta-head-accuracy').textContent()).toContain('higher is better')
    expect(await page.getByTestId('delta-head-step_time_s').textContent()).toContain('lower is better')
    const stored = (await apiCall<{ series: MetricSeries[] }>(served, 'metrics/series', { runIds: [runB], keys: ['step_time_s'], maxPoints: 100_000 })).series[0]!
    expect(await num(`cell-${runB}-step_time_s-best`)).toBeCloseTo(Math.min(...stored.last), 3)
    await page.screenshot({ path: join(artifacts, 'compare-directions.png'), fullPage: true })
  })

  it('adding a metric issues one request, for that metric only, and fills its panel and its table column', async () => {
    await page.getByTestId(`delta-${runB}-accuracy-mean`).waitFor()
    await page.waitForTimeout(300)
    const seen: Request[] = []
    const onRequest = (r: Request) => { if (r.url().includes('/api/metrics/')) seen.push(r) }
    page.on('request', onRequest)
    await page.getByTestId('pick-metric-planning_ratio').check()
    await page.locator('[data-testid="compare-planning_ratio"][data-has-data="1"]').waitFor()
    await page.getByTestId(`cell-${runB}-planning_ratio-mean`).locator('.v').filter({ hasNotText: '–' }).waitFor()
    await page.waitForTimeout(500)
    page.off('request', onRequest)
    expect(seen.map((r) => r.url().replace(/^.*\/api\//, ''))).toEqual(['metrics/batch'])
    const body = JSON.parse(seen[0]!.postData()!) as { queries: { runIds: number[]; keys: string[]; tail?: number }[] }
    expect(body.queries).toHaveLength(1)
    expect(body.queries[0]).toMatchObject({ runIds: [runA, runB], keys: ['planning_ratio'], tail: 10 })
    const all = (await apiCall<{ series: MetricSeries[] }>(served, 'metrics/series', { runIds: [runB], keys: ['planning_ratio'], maxPoints: 100_000 })).series[0]!
    expect(await num(`cell-${runB}-planning_ratio-mean`)).toBeCloseTo(all.last.slice(-10).reduce((a, b) => a + b, 0) / 10, 3)
  })

  it('"last 10" over a run of six points says it used six', async () => {
    await goto(`#/compare?runs=${runA},${runShort}&metrics=accuracy`)
    const used = page.getByTestId(`used-${runShort}-accuracy`)
    await used.waitFor()
    expect(await used.textContent()).toBe('(used 6)')
    expect(await page.getByTestId(`used-${runA}-accuracy`).count()).toBe(0)
    const short = (await apiCall<{ series: MetricSeries[] }>(served, 'metrics/series', { runIds: [runShort], keys: ['accuracy'] })).series[0]!
    expect(await num(`cell-${runShort}-accuracy-mean`)).toBeCloseTo(short.last.reduce((a, b) => a + b, 0) / 6, 3)
    // A longer N than the panels fetched asks for the longer tails (the table's own request).
    await page.getByTestId('last-n').fill('150')
    await page.getByTestId(`used-${runShort}-accuracy`).waitFor()
    const long = (await apiCall<{ series: MetricSeries[] }>(served, 'metrics/series', { runIds: [runA], keys: ['accuracy'], maxPoints: 100_000 })).series[0]!
    await expect.poll(() => num(`cell-${runA}-accuracy-mean`)).toBeCloseTo(long.last.slice(-150).reduce((a, b) => a + b, 0) / 150, 3)
    await page.getByTestId('last-n').fill('10')
  })

  it('seeds of one config get a group row (mean ± 95% interval) and the band can be the interval', async () => {
    await goto(`#/compare?runs=${runA},${runB},${runC}&metrics=accuracy&group=config&baseline=${runA}`)
    const row = page.getByTestId('group-row-0')
    await row.waitFor()
    expect(await row.textContent()).toContain('hicra seed (2 runs)')
    await page.getByTestId(`delta-row-${runC}`).waitFor()
    const s = (await apiCall<{ series: MetricSeries[] }>(served, 'metrics/series', { runIds: [runB, runC], keys: ['accuracy'], maxPoints: 100_000 })).series
    const finals = s.map((x) => x.last.at(-1)!)
    const iv = meanInterval(finals)
    await expect.poll(() => num('gcell-0-accuracy-final')).toBeCloseTo(iv.mean, 3)
    const half = Number((await page.getByTestId('gcell-0-accuracy-final').getByTestId('half').textContent())!.replace('±', '').trim())
    expect(half).toBeCloseTo(iv.half, 3)
    // The band: min–max first, then the interval of the mean at each step (n = 2 seeds there).
    const bandAt = () => page.evaluate(() => {
      const c = (globalThis as unknown as Win).__charts?.['compare-accuracy']
      const ids = (c?.getOption()?.series ?? []).filter((x) => x).map((x) => x.id)
      const band = ids.find((id) => id.endsWith('|band'))
      // A band's points are [x, lo, hi].
      const p = band ? (c!.getOption().series.find((x) => x && x.id === band)!.data[7] as unknown as [number, number, number]) : null
      return p ? p[2] - p[1] : null
    })
    await expect.poll(bandAt).toBeCloseTo(Math.abs(s[0]!.last[7]! - s[1]!.last[7]!), 9)
    await page.getByTestId('band-ci').check()
    const ci = meanInterval([s[0]!.last[7]!, s[1]!.last[7]!])
    await expect.poll(bandAt).toBeCloseTo(2 * ci.half, 9)
    await page.screenshot({ path: join(artifacts, 'compare-groups.png'), fullPage: true })
    await page.getByTestId('band-minmax').check()
  })

  it('diffs two runs\' configs', async () => {
    await goto(`#/compare?runs=${runA},${runB},${runShort}&metrics=accuracy`)
    const diff = page.getByTestId('config-diff')
    await diff.locator('summary').click()
    await diff.getByTestId('config-diff-row-algo').waitFor()
    expect(await diff.getByTestId('config-diff-row-algo').textContent()).toMatch(/"grpo".*"hicra"/)
    expect(await diff.getByTestId('config-diff-row-alpha').textContent()).toMatch(/—.*0\.2/)
    expect(await diff.getByTestId('config-diff-row-lr').count()).toBe(0)
    await diff.getByTestId('config-diff-b').selectOption(String(runShort))
    await diff.getByTestId('config-diff-row-model').waitFor()
    expect(await diff.getByTestId('config-diff-row-model').textContent()).toContain('"qwen-7b"')
  })

  it('Runs: sorts by any column, shows a metric column and opens the selected runs in Compare', async () => {
    await goto('#/runs')
    await page.getByTestId(`run-row-${runShort}`).waitFor()
    const order = () => page.locator('[data-testid^="run-row-"]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-testid')!.slice(8))))
    await page.getByTestId('sort-steps').click()
    expect(await order()).toEqual([runA, runB, runC, runShort])
    await page.getByTestId('sort-steps').click()
    expect(await order()).toEqual([runShort, runC, runA, runB])
    await page.getByTestId('sort-name').click()
    expect(await order()).toEqual([runA, runB, runC, runShort])
    // The accuracy column (the default) holds each run's last value; sorting by it puts the best first.
    await page.getByTestId(`metric-cell-${runB}-accuracy`).filter({ hasNotText: /^$/ }).waitFor()
    const last = await apiCall<{ values: { runId: number; value: number }[] }>(served, 'metrics/last', { runIds: [runA, runB, runC, runShort], keys: ['accuracy'] })
    for (const v of last.values) expect(Number(await page.getByTestId(`metric-cell-${v.runId}-accuracy`).textContent())).toBeCloseTo(v.value, 3)
    await page.getByTestId('sort-metric:accuracy').click()
    expect(await order()).toEqual([...last.values].sort((a, b) => b.value - a.value).map((v) => v.runId))
    await page.getByTestId('runs-add-column').fill('step_time_s')
    await page.getByTestId('runs-add-column-ok').click()
    await page.getByTestId(`metric-cell-${runA}-step_time_s`).filter({ hasNotText: /^$/ }).waitFor()
    await page.screenshot({ path: join(artifacts, 'runs-sorted.png'), fullPage: true })
    await page.getByTestId('remove-column-step_time_s').click()

    await page.getByTestId(`select-run-${runB}`).check()
    await page.getByTestId(`select-run-${runC}`).check()
    await page.getByTestId('compare-selected').click()
    await page.waitForFunction(() => (globalThis as unknown as Win).location.hash.startsWith('#/compare'))
    const hash = await page.evaluate(() => decodeURIComponent((globalThis as unknown as Win).location.hash))
    expect(/runs=([^&]*)/.exec(hash)![1]!.split(',').map(Number).sort()).toEqual([runB, runC].sort())
    await page.locator('[data-testid="compare-accuracy"][data-has-data="1"]').waitFor()
  })

  it('an imported run keeps the config file beside its rollouts, shows it under Config, and Compare diffs it', async () => {
    const dir = join(tmp.dir, 'with-config')
    mkdirSync(dir, { recursive: true })
    copyFileSync(join(projectRoot, 'tests', 'fixtures', 'sg', 'e2e-run.jsonl'), join(dir, 'rollouts.jsonl'))
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ actor: { lr: 1e-6 }, rollout: { n: 8, temperature: 1 } }))
    const { runId } = await apiCall<{ runId: number }>(served, 'import/start', { paths: [dir], format: 'jsonl', name: 'imported with config' })
    for (let i = 0; i < 300 && (await apiCall<{ status: string }>(served, 'runs/get', { id: runId })).status !== 'imported'; i++) await page.waitForTimeout(100)
    await goto(`#/runs/${runId}`)
    await page.getByTestId('run-config').waitFor({ state: 'attached' })
    const shown = JSON.parse((await page.getByTestId('run-config').textContent())!) as { runConfig?: Record<string, unknown> }
    expect(Object.values(shown.runConfig ?? {})).toEqual([{ actor: { lr: 1e-6 }, rollout: { n: 8, temperature: 1 } }])
    await goto(`#/compare?runs=${runShort},${runId}&metrics=accuracy`)
    const diff = page.getByTestId('config-diff')
    await diff.locator('summary').click()
    await diff.locator('[data-testid$=".rollout.n"]').waitFor()
    expect(await diff.locator('[data-testid$=".rollout.n"]').textContent()).toMatch(/—\s*8/)
  })

  it('the browser console stayed free of errors', () => {
    expect(consoleErrors).toEqual([])
  })
})
