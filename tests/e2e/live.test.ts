import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { apiCall, hasBuild, hasChromium, launchChromium, projectRoot, startServe, type Served } from './browser'
import { tempDir } from '../helpers/tmp'

// A run trained by a separate `hicra train` process while `hicra serve` has the same workspace open:
// the open pages follow it without a reload (runs list, run page, Train view), and its page pauses,
// resumes and stops it through the workspace. Also: smoothing by x on uneven steps, the stale
// tooltip the smoothing slider used to leave, the run page's sections, and no console error.
const tmp = tempDir()
const artifacts = join(projectRoot, 'test-artifacts')
const db = join(tmp.dir, 'live.db')
let served: Served
let browser: Browser
let page: Page
let trainer: ChildProcess | null = null
let trainerExit: Promise<number | null> | null = null
const consoleErrors: string[] = []

type Win = { __charts?: Record<string, { getOption(): { series: ({ id: string; data: [number, number | null][]; showSymbol?: boolean } | null)[] } }> }

function drawn(testid: string, seriesId: string) {
  return page.evaluate(([t, s]) => {
    const c = (globalThis as unknown as Win).__charts?.[t]
    return c?.getOption()?.series?.find((x) => x && x.id === s) ?? null
  }, [testid, seriesId] as const)
}

async function waitDrawn(testid: string, seriesId: string, ok: (d: [number, number | null][]) => boolean, ms = 30_000) {
  const deadline = Date.now() + ms
  for (;;) {
    const d = (await drawn(testid, seriesId))?.data
    if (d && ok(d)) return d
    if (Date.now() > deadline) throw new Error(`${testid}/${seriesId}: condition not met; last ${d?.length ?? 'no'} points`)
    await page.waitForTimeout(100)
  }
}

const goto = (hash: string) => page.evaluate((h) => { (globalThis as unknown as { location: { hash: string } }).location.hash = h }, hash)

describe.skipIf(!hasChromium || !hasBuild)('live workspace in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true })
    served = await startServe(db)
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1400, height: 1400 } })
    page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`))
    page.on('console', (m) => { if (m.type() === 'error' && !m.text().includes('404')) consoleErrors.push(`console: ${m.text()}`) })
    await page.addInitScript("localStorage.setItem('hicra.exposeCharts', '1')")
    await page.goto(served.url)
  })
  afterAll(async () => {
    if (trainer && trainer.exitCode === null) trainer.kill('SIGKILL')
    await browser?.close()
    await served?.stop()
    tmp.cleanup()
  })

  it('a run started by a separate `hicra train` appears, updates its open page and is paused, resumed and stopped from it', async () => {
    await page.getByTestId('nav-runs').click()
    await page.getByTestId('runs-empty').waitFor()
    const config = {
      task: 'route', algo: 'hicra', steps: 100_000, seed: 4, backend: 'wasm',
      model: { layers: 1, dModel: 16, heads: 2, context: 72, ffMult: 2 },
      warmup: { steps: 2, batchSize: 4 }, eval: { every: 0 }, batchPrompts: 2, groupSize: 2, checkpointEvery: 0
    }
    const cfg = join(tmp.dir, 'tiny.json')
    writeFileSync(cfg, JSON.stringify(config))
    let out = ''
    trainer = spawn(process.execPath, [join(projectRoot, 'bin', 'hicra.mjs'), 'train', '--db', db, '--config', cfg], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] })
    trainer.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    trainer.stderr!.on('data', (d: Buffer) => (out += d.toString()))
    trainerExit = new Promise((done) => trainer!.once('exit', (code) => done(code)))

    // The runs list shows it without a reload, under the name pattern the form uses too.
    const row = page.locator('[data-testid^="run-row-"]').filter({ hasText: 'hicra route seed 4' })
    await row.waitFor({ timeout: 60_000 })
    await row.getByTestId('run-name').click()
    await page.getByTestId('run-title').filter({ hasText: 'hicra route seed 4' }).waitFor()
    const runId = Number(/#\/runs\/(\d+)/.exec(page.url())![1])

    // Steps arrive on the open page: the header, the progress line and the charts.
    await page.getByTestId('run-status').filter({ hasText: /^running$/ }).waitFor({ timeout: 90_000 })
    await page.getByTestId('run-elsewhere').waitFor()
    await page.getByTestId('run-progress-text').filter({ hasText: /step [1-9]\d* \/ 100000/ }).waitFor({ timeout: 90_000 })
    const first = await waitDrawn('chart-accuracy-length', 'accuracy', (d) => d.length >= 1, 90_000)
    await waitDrawn('chart-accuracy-length', 'accuracy', (d) => d.length >= first.length + 2, 90_000)
    await page.getByTestId('run-eta').filter({ hasText: /\d/ }).waitFor({ timeout: 60_000 })
    await page.screenshot({ path: join(artifacts, 'live-run-from-cli.png'), fullPage: true })

    // Pause: the request reaches the other process through the workspace, the status comes back.
    await page.getByTestId('run-pause').click()
    await page.getByTestId('run-status').filter({ hasText: /^paused$/ }).waitFor({ timeout: 60_000 })
    expect(await page.getByTestId('run-eta').count()).toBe(0)
    const pausedAt = (await apiCall<{ lastStep: number }>(served, 'runs/get', { id: runId })).lastStep
    await page.waitForTimeout(1500)
    expect((await apiCall<{ lastStep: number }>(served, 'runs/get', { id: runId })).lastStep).toBe(pausedAt)
    await page.getByTestId('run-resume').click()
    await page.getByTestId('run-status').filter({ hasText: /^running$/ }).waitFor({ timeout: 60_000 })

    // The Train view lists the other process's run with its progress and controls.
    await page.getByTestId('nav-train').click()
    const job = page.locator('[data-testid^="train-job-"]').filter({ hasText: 'hicra route seed 4' })
    await job.getByTestId('train-job-status').filter({ hasText: /^running$/ }).waitFor({ timeout: 30_000 })
    await job.getByTestId('train-pause').waitFor()

    // Stop asks first; "Keep training" leaves it running.
    await goto(`#/runs/${runId}`)
    await page.getByTestId('run-title').filter({ hasText: 'hicra route seed 4' }).waitFor()
    await page.getByTestId('train-stop').click()
    await page.getByTestId('train-stop-cancel').click()
    await page.waitForTimeout(800)
    expect((await apiCall<{ status: string }>(served, 'runs/get', { id: runId })).status).toBe('running')
    await page.getByTestId('train-stop').click()
    await page.getByTestId('train-stop-confirm').click()
    await page.getByTestId('run-status').filter({ hasText: /^stopped$/ }).waitFor({ timeout: 60_000 })
    expect(await trainerExit, out).toBe(130)
    expect(await page.getByTestId('run-pause').count()).toBe(0)
    expect(await page.getByTestId('run-eta').count()).toBe(0)
    await page.getByTestId('run-restart').waitFor()

    // The Train view no longer says "running" nor offers Pause or Stop for it.
    await page.getByTestId('nav-train').click()
    await job.getByTestId('train-job-status').filter({ hasText: /^stopped$/ }).waitFor({ timeout: 30_000 })
    expect(await job.getByTestId('train-pause').count()).toBe(0)
    expect(await job.getByTestId('train-stop').count()).toBe(0)
    expect(await job.getByTestId('train-eta').count()).toBe(0)
  }, 300_000)

  it('smoothing by x on uneven steps equals the hand-computed value, and a handful of points is not smoothed by default', async () => {
    const { id } = await apiCall<{ id: number }>(served, 'runs/create', { name: 'three checkpoints', kind: 'import' })
    const t0 = 1_760_000_000_000
    await apiCall(served, 'metrics/append', { runId: id, points: [
      { step: 0, key: 'accuracy', value: 1, wallTime: t0 }, { step: 1, key: 'accuracy', value: 2, wallTime: t0 + 1000 },
      { step: 4, key: 'accuracy', value: 4, wallTime: t0 + 4000 }] })
    await goto(`#/runs/${id}`)
    await page.getByTestId('run-title').filter({ hasText: 'three checkpoints' }).waitFor()
    await page.getByTestId('smoothing').fill('0.25')
    // Three points: drawn as they are, and the panel says why.
    expect((await waitDrawn('chart-accuracy-length', 'accuracy', (d) => d.length === 3)).map((p) => p[1])).toEqual([1, 2, 4])
    await page.getByTestId('unsmoothed-chart-accuracy-length').waitFor()
    await page.getByTestId('smooth-short').check()
    // Steps 0, 1, 4: mean gap 2, so the weights are 0.25^(1/2) = 0.5, 0.25^2 and 0.25^(3/2):
    // (0.5·1 + 2)/1.5 = 5/3 and (0.0625·1 + 0.125·2 + 4)/1.1875 = 69/19.
    const smooth = await waitDrawn('chart-accuracy-length', 'accuracy', (d) => d[1]![1] !== 2)
    expect(smooth[0]).toEqual([0, 1])
    expect(smooth[1]![1]).toBeCloseTo(5 / 3, 12)
    expect(smooth[2]![1]).toBeCloseTo(69 / 19, 12)
    // The raw points stay visible beside the smoothed line, as symbols.
    const raw = await drawn('chart-accuracy-length', 'accuracy|raw')
    expect(raw!.data.map((p) => p[1])).toEqual([1, 2, 4])
    expect(raw!.showSymbol).toBe(true)
    await page.getByTestId('smooth-short').uncheck()
    await page.getByTestId('smoothing').fill('0')
  })

  it('moving the smoothing slider while a tooltip is open throws no ECharts error (it did: getDataParams of a removed series)', async () => {
    const { id } = await apiCall<{ id: number }>(served, 'runs/create', { name: 'hover me', kind: 'import' })
    const t0 = 1_760_000_000_000
    const points = []
    for (let s = 0; s < 200; s++) {
      points.push({ step: s, key: 'accuracy', value: 0.5 + 0.3 * Math.sin(s / 9), wallTime: t0 + s * 1000 })
      points.push({ step: s, key: 'semantic_entropy', value: 1 + 0.2 * Math.cos(s / 5), wallTime: t0 + s * 1000 })
    }
    await apiCall(served, 'metrics/append', { runId: id, points })
    await goto(`#/runs/${id}`)
    await page.getByTestId('run-title').filter({ hasText: 'hover me' }).waitFor()
    await waitDrawn('chart-accuracy-length', 'accuracy', (d) => d.length === 200)
    await waitDrawn('chart-semantic-entropy', 'semantic_entropy', (d) => d.length === 200)
    const box = (await page.getByTestId('chart-accuracy-length').boundingBox())!
    const before = consoleErrors.length
    for (const w of ['0.3', '0', '0.8', '0.55', '0']) {
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
      await page.mouse.move(box.x + box.width / 2 + 7, box.y + box.height / 2)
      await page.waitForTimeout(150)
      // The slider is set from the keyboard-free path a user's drag takes: its input events.
      await page.getByTestId('smoothing').evaluate((el, v) => {
        const input = el as unknown as { value: string; dispatchEvent(e: unknown): boolean }
        input.value = v
        input.dispatchEvent(new (globalThis as unknown as { Event: new (t: string, o: unknown) => unknown }).Event('input', { bubbles: true }))
      }, w)
      await page.waitForTimeout(150)
    }
    expect(consoleErrors.slice(before)).toEqual([])
  })

  it('the run page puts Figure 2 first, folds the training internals and hides panels without data behind one line', async () => {
    const { id } = await apiCall<{ id: number }>(served, 'runs/create', { name: 'sections', kind: 'train' })
    const pts = []
    for (let s = 1; s <= 30; s++) {
      for (const key of ['accuracy', 'token_entropy', 'loss', 'grad_norm', 'planning_ratio']) pts.push({ step: s, key, value: s / 30 })
    }
    await apiCall(served, 'metrics/append', { runId: id, points: pts })
    await goto(`#/runs/${id}`)
    await page.getByTestId('run-title').filter({ hasText: 'sections' }).waitFor()
    await page.locator('[data-testid="chart-accuracy-length"][data-has-data="1"]').waitFor()
    expect(await page.getByTestId('hidden-panels').textContent()).toMatch(/relative perplexity, semantic and conditional entropy, clip fraction, step time/)
    expect(await page.getByTestId('empty-chart-relative-perplexity').count()).toBe(0)
    await page.getByTestId('show-hidden-panels').click()
    expect(await page.getByTestId('empty-chart-relative-perplexity').textContent()).toMatch(/no per-token log-probs/)
    // Planning ratio is a metric of the paper's, not an internal; loss and grad_norm are internals.
    await page.locator('[data-testid="chart-metric-planning_ratio"][data-has-data="1"]').waitFor()
    expect(await page.getByTestId('chart-loss').count()).toBe(0)
    await page.getByTestId('section-training').locator('summary').click()
    await page.locator('[data-testid="chart-loss"][data-has-data="1"]').waitFor()
    await page.locator('[data-testid="chart-metric-grad_norm"][data-has-data="1"]').waitFor()
    await page.screenshot({ path: join(artifacts, 'live-run-sections.png'), fullPage: true })
    // Left open for the other tests, as a user would find it again.
  })

  it('Rollouts: the step filter offers the existing steps, the detail opens beside the list, j/k move, a highlight names its Strategic Grams', async () => {
    const fixtures = join(projectRoot, 'tests', 'fixtures', 'import')
    const { runId } = await apiCall<{ runId: number }>(served, 'import/start', { paths: [join(fixtures, 'verl')], sg: join(fixtures, 'sg.json'), name: 'verl for rollouts' })
    for (let i = 0; i < 300 && (await apiCall<{ status: string }>(served, 'runs/get', { id: runId })).status !== 'imported'; i++) await page.waitForTimeout(100)
    await goto(`#/runs/${runId}/rollouts`)
    const page1 = await apiCall<{ items: { id: number; step: number }[] }>(served, 'rollouts/page', { runId, limit: 500 })
    const steps = [...new Set(page1.items.map((r) => r.step))].sort((a, b) => a - b)
    await page.getByTestId('filter-step').locator('option').nth(steps.length).waitFor({ state: 'attached' })
    const offered = await page.getByTestId('filter-step').locator('option').evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value))
    expect(offered).toEqual(['', ...steps.map(String)])
    await page.getByTestId('filter-step').selectOption(String(steps[1]))
    await page.getByTestId('rollouts-range').filter({ hasText: `of ${page1.items.filter((r) => r.step === steps[1]).length}` }).waitFor()
    await page.getByTestId('filter-step').selectOption('')

    const first = page1.items[0]!
    await page.getByTestId(`rollout-row-${first.id}`).click()
    const detail = page.getByTestId('rollout-detail')
    await detail.filter({ hasText: `rollout ${first.id}` }).waitFor()
    // Beside the list at this width, level with it.
    const list = (await page.getByTestId('rollouts-table').boundingBox())!
    const side = (await detail.boundingBox())!
    expect(side.x).toBeGreaterThanOrEqual(list.x + list.width - 1)
    expect(side.y).toBeLessThan(list.y + list.height)
    await page.keyboard.press('j')
    await detail.filter({ hasText: `rollout ${page1.items[1]!.id}` }).waitFor()
    await page.keyboard.press('j')
    await detail.filter({ hasText: `rollout ${page1.items[2]!.id}` }).waitFor()
    await page.keyboard.press('k')
    await detail.filter({ hasText: `rollout ${page1.items[1]!.id}` }).waitFor()
    // j typed into the text filter is text, not a move.
    await page.getByTestId('filter-text').focus()
    await page.keyboard.press('j')
    expect(await page.getByTestId('filter-text').inputValue()).toBe('j')
    await page.getByTestId('filter-text').fill('')
    await page.getByTestId(`rollout-row-${first.id}`).click()
    await detail.filter({ hasText: `rollout ${first.id}` }).waitFor()
    // The first response has "Wait, let me check" and "Let’s try a different approach" (two grams overlap there).
    const titles = await detail.getByTestId('planning-span').evaluateAll((ms) => ms.map((m) => (m as unknown as { title: string }).title))
    expect(titles).toContain('Strategic Gram: "wait let me check"')
    expect(titles.some((t) => t.includes('"try a different approach"'))).toBe(true)
    await page.screenshot({ path: join(artifacts, 'live-rollouts-beside.png'), fullPage: true })
  })

  it('Train: the advanced section edits learning rate, temperature, clip range, β_ent and the warm-up, and the name follows the CLI\'s pattern', async () => {
    await page.getByTestId('nav-train').click()
    await page.getByTestId('train-form').waitFor()
    await page.getByTestId('train-algo').selectOption('entropy')
    await page.getByTestId('train-seed').fill('7')
    expect(await page.getByTestId('train-name').getAttribute('placeholder')).toBe('entropy route seed 7')
    await page.getByTestId('train-advanced').locator('summary').click()
    await page.getByTestId('train-lr').fill('0.0001')
    await page.getByTestId('train-temperature').fill('0.8')
    await page.getByTestId('train-clip-low').fill('0.15')
    await page.getByTestId('train-clip-high').fill('0.3')
    await page.getByTestId('train-beta-ent').fill('0.002')
    await page.getByTestId('train-warmup-lr').fill('0.002')
    await page.getByTestId('train-warmup-batch').fill('16')
    await page.getByTestId('train-warmup').fill('50')
    const config = JSON.parse((await page.getByTestId('train-config').textContent())!)
    expect(config).toMatchObject({ algo: 'entropy', seed: 7, lr: 0.0001, temperature: 0.8, clipLow: 0.15, clipHigh: 0.3, betaEnt: 0.002,
      warmup: { steps: 50, lr: 0.002, batchSize: 16 } })
    // The engine's own bounds, next to the field.
    await page.getByTestId('train-temperature').fill('9')
    await page.getByTestId('err-temperature').waitFor()
    await page.getByTestId('train-temperature').fill('0.8')
    await page.getByTestId('err-temperature').waitFor({ state: 'detached' })
    await page.screenshot({ path: join(artifacts, 'live-train-advanced.png'), fullPage: true })
    await page.getByTestId('train-advanced').locator('summary').click()
  })

  it('an imported run draws by its files\' times where they mean something, and turns the time axes off, saying why, where not', async () => {
    const fixtures = join(projectRoot, 'tests', 'fixtures', 'import')
    const copy = (name: string, times: number[], extra: string) => {
      const dir = join(tmp.dir, name)
      mkdirSync(dir, { recursive: true })
      ;['1.jsonl', '2.jsonl'].forEach((f, i) => {
        // A different last line per copy: the workspace would skip a file it already holds.
        writeFileSync(join(dir, f), readFileSync(join(fixtures, 'verl', f), 'utf8') + extra)
        utimesSync(join(dir, f), times[i]!, times[i]!)
      })
      return dir
    }
    const T = 1_750_000_000
    const imported = async (dir: string, name: string) => {
      const { runId } = await apiCall<{ runId: number }>(served, 'import/start', { paths: [dir], sg: join(fixtures, 'sg.json'), name })
      for (let i = 0; i < 300 && (await apiCall<{ status: string }>(served, 'runs/get', { id: runId })).status !== 'imported'; i++) await page.waitForTimeout(100)
      return runId
    }
    const timed = await imported(copy('timed', [T, T + 90], '\n'), 'timed import')
    const flat = await imported(copy('flat', [T, T], '\n\n'), 'flat import')
    // One JSONL file (no file times can stand in) whose records carry their time: drawn by it.
    const stamped = join(tmp.dir, 'stamped.jsonl')
    writeFileSync(stamped, [[1, '2025-06-01T12:00:00Z'], [1, '2025-06-01T12:00:20Z'], [2, '2025-06-01T12:02:00Z']]
      .map(([step, ts], i) => JSON.stringify({ step, output: `answer ${i}`, score: i % 2, timestamp: ts })).join('\n') + '\n')
    const recTimed = await imported(stamped, 'stamped import')

    await goto(`#/runs/${timed}`)
    await page.getByTestId('run-title').filter({ hasText: 'timed import' }).waitFor()
    expect(await page.getByTestId('time-note').count()).toBe(0)
    await page.getByTestId('x-mode').selectOption('relative')
    await waitDrawn('chart-accuracy-length', 'accuracy', (d) => d.length === 2 && d[0]![0] === 0 && d[1]![0] === 90)

    await goto(`#/runs/${recTimed}`)
    await page.getByTestId('run-title').filter({ hasText: 'stamped import' }).waitFor()
    expect(await page.getByTestId('time-note').count()).toBe(0)
    expect(await page.getByTestId('x-mode').locator('option[value="wall"]').isDisabled()).toBe(false)
    // Step 1 at its later record (12:00:20), step 2 100 s after it.
    await waitDrawn('chart-accuracy-length', 'accuracy', (d) => d.length === 2 && d[0]![0] === 0 && d[1]![0] === 100)

    await goto(`#/runs/${flat}`)
    await page.getByTestId('run-title').filter({ hasText: 'flat import' }).waitFor()
    expect(await page.getByTestId('time-note').textContent()).toMatch(/Time axes are off for this run: its 2 steps all carry the time they were imported/)
    expect(await page.getByTestId('x-mode').locator('option[value="relative"]').isDisabled()).toBe(true)
    expect(await page.getByTestId('x-mode').locator('option[value="wall"]').isDisabled()).toBe(true)
    // Drawn by step although the shared setting says relative time.
    await waitDrawn('chart-accuracy-length', 'accuracy', (d) => d.length === 2 && d[0]![0] === 1 && d[1]![0] === 2)
    await goto(`#/runs/${timed}`)
    await page.getByTestId('run-title').filter({ hasText: 'timed import' }).waitFor()
    await page.getByTestId('x-mode').selectOption('step')
  })

  it('the browser console stayed free of errors', () => {
    expect(consoleErrors).toEqual([])
  })
})
