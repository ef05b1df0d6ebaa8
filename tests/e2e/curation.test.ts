import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { apiCall, consoleErrors, hasBuild, hasChromium, openApp, projectRoot, startServe, until, type Served } from './browser'
import { tempDir } from '../helpers/tmp'

// Strategic Grams and Errors in Chromium against `hicra serve`, for what a researcher hit: unsaved
// grams lost on navigation, the mining table's order, a 200-row editor; unlabelled bars dwarfing
// the labelled ones, lines dropping to 0 where nothing is labelled, label keys dead after the rules
// button, two "unlabelled" counts that disagree, and a judge error far from its button.
const tmp = tempDir()
const artifacts = join(projectRoot, 'test-artifacts')
const fixture = join(projectRoot, 'tests', 'fixtures', 'sg', 'e2e-run.jsonl')
let served: Served
let browser: Browser
let page: Page
let bigSet: number
let smallSet: number
let runId: number

const goto = (hash: string) => page.evaluate((h) => { (globalThis as unknown as { location: { hash: string } }).location.hash = h }, hash)
const phrases = () => page.locator('input[aria-label="Phrase"]').evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value))

describe.skipIf(!hasChromium || !hasBuild)('Strategic Grams and Errors in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true })
    served = await startServe(join(tmp.dir, 'curation.db'))
    const grams = Array.from({ length: 200 }, (_, i) => ({ phrase: `let me try case ${i}`, category: 'deduction', source: 'manual' }))
    bigSet = (await apiCall<{ id: number }>(served, 'sg/create', { name: 'big set', grams })).id
    smallSet = (await apiCall<{ id: number }>(served, 'sg/create', { name: 'small set', grams: [{ phrase: 'wait let me check', category: 'backtracing', source: 'manual' }] })).id
    const started = await apiCall<{ runId: number }>(served, 'import/start', { paths: [fixture], format: 'jsonl', name: 'fixture run' })
    runId = started.runId
    await until('the import', async () => (await apiCall<{ status: string }>(served, 'runs/get', { id: runId })).status === 'imported')
    ;({ browser, page } = await openApp(served, { viewport: { width: 1300, height: 1000 } }))
  })
  afterAll(async () => {
    await browser?.close()
    await served?.stop()
    tmp.cleanup()
  })

  it('the 200-gram editor is paged, and the arrow keys cross pages', async () => {
    // From another view, so that a retry finds the editor on its first page again.
    await goto('#/runs')
    await page.locator('[data-testid="runs-table"], [data-testid="runs-empty"]').first().waitFor()
    await goto('#/grams')
    await page.getByTestId('sg-set-big set').click()
    await page.getByTestId('sg-title').getByText('big set').waitFor()
    expect(await page.locator('input[aria-label="Phrase"]').count()).toBe(50)
    expect(await page.getByTestId('sg-page-info').textContent()).toBe('rows 1–50 of 200')
    await page.locator('input[data-row="49"][data-col="phrase"]').focus()
    await page.keyboard.press('ArrowDown')
    await page.getByTestId('sg-page-info').filter({ hasText: 'rows 51–100 of 200' }).waitFor()
    // The focus follows a tick after the new page is drawn.
    await until('row 50 focused', async () => (await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { getAttribute(a: string): string | null } | null } })
      .document.activeElement?.getAttribute('data-row'))) === '50')
    await page.getByTestId('sg-page-next').click()
    await page.getByTestId('sg-page-next').click()
    expect(await page.getByTestId('sg-page-info').textContent()).toBe('rows 151–200 of 200')
    expect((await phrases()).at(-1)).toBe('let me try case 199')
  })

  it('unsaved grams survive leaving the view, switching sets and reloading, until saved or discarded', async () => {
    await page.getByTestId('sg-set-small set').click()
    await page.getByTestId('sg-title').getByText('small set').waitFor()
    await page.getByTestId('sg-paste').fill('let me reconsider the plan')
    await page.getByTestId('sg-paste-add').click()
    expect(await phrases()).toEqual(['wait let me check', 'let me reconsider the plan'])
    await page.getByTestId('sg-unsaved-small set').waitFor()

    await page.getByTestId('nav-runs').click()
    await page.getByTestId('runs-table').waitFor()
    await page.getByTestId('nav-grams').click()
    await page.getByTestId('sg-title').getByText('small set').waitFor()
    expect(await phrases()).toEqual(['wait let me check', 'let me reconsider the plan'])

    await page.getByTestId('sg-set-big set').click()
    await page.getByTestId('sg-title').getByText('big set').waitFor()
    await page.getByTestId('sg-set-small set').click()
    await page.getByTestId('sg-notice').filter({ hasText: 'restored your unsaved changes' }).waitFor()
    expect(await phrases()).toEqual(['wait let me check', 'let me reconsider the plan'])

    await page.reload()
    await page.getByTestId('sg-set-small set').click()
    await until('the draft after a reload', async () => (await phrases()).length === 2)
    expect(await phrases()).toEqual(['wait let me check', 'let me reconsider the plan'])
    // Nothing was written: the stored set still has one gram.
    expect((await apiCall<{ grams: unknown[] }>(served, 'sg/get', { id: smallSet })).grams).toHaveLength(1)

    await page.getByTestId('sg-save').click()
    await page.getByTestId('sg-title').getByText('v2').waitFor()
    expect((await apiCall<{ grams: { phrase: string }[] }>(served, 'sg/get', { id: smallSet })).grams.map((g) => g.phrase)).toEqual(['wait let me check', 'let me reconsider the plan'])
    await page.getByTestId('sg-unsaved-small set').waitFor({ state: 'detached' })

    // Discard throws a draft away for good.
    await page.getByTestId('sg-paste').fill('a throwaway phrase here')
    await page.getByTestId('sg-paste-add').click()
    await page.getByRole('button', { name: 'Discard' }).click()
    await until('the discarded draft', async () => (await phrases()).length === 2)
    await page.getByTestId('sg-set-big set').click()
    await page.getByTestId('sg-title').getByText('big set').waitFor()
    await page.getByTestId('sg-set-small set').click()
    await page.getByTestId('sg-title').getByText('small set').waitFor()
    expect(await phrases()).toEqual(['wait let me check', 'let me reconsider the plan'])
  })

  it('the mining table is ordered by cue score at first', async () => {
    await page.getByTestId('sg-runs-reload').click()
    await page.getByTestId(`sg-run-${runId}`).check()
    await page.getByTestId('sg-tab-mining').click()
    await page.getByTestId('sg-mine').click()
    await page.getByTestId('sg-candidates').waitFor()
    expect(await page.getByTestId('sg-sort-cueScore').getAttribute('class')).toMatch(/\bon\b/)
    const cues = await page.locator('[data-testid="sg-candidates"] tbody tr td:nth-child(5)').allTextContents()
    expect(cues.length).toBeGreaterThan(1)
    const vals = cues.map(Number)
    expect(vals).toEqual([...vals].sort((a, b) => b - a))
    await page.getByTestId(`sg-run-${runId}`).uncheck()
  })

  it('Errors: unlabelled failures are hidden at first, unlabelled steps are gaps, and the two counts agree', async () => {
    await goto(`#/errors?run=${runId}`)
    await page.getByTestId('errors-chart').waitFor()
    const counts = await apiCall<{ steps: number[]; failures: number[]; unlabelled: number[]; groups: { name: string; counts: number[] }[] }>(served, 'errors/counts', { runId, source: 'effective' })
    expect(counts.failures.some((f) => f > 0)).toBe(true)
    const option = () => page.evaluate(() => {
      const c = (globalThis as any).__charts?.['errors-chart']
      const o = c?.getOption()
      return o ? { selected: o.legend[0].selected as Record<string, boolean>, series: (o.series as { name: string; data: (number | null)[] }[]).map((s) => ({ name: s.name, data: s.data })) } : null
    })
    const first = await until('the chart', option)
    expect(first.selected.unlabelled).toBe(false)
    expect(await page.getByTestId('errors-show-unlabelled').isChecked()).toBe(false)
    // Where no failure of a step is labelled, the group lines have a gap there, not a 0.
    const group = first.series.find((s) => s.name === counts.groups[0]!.name)!
    counts.failures.forEach((f, i) => { if (f > 0 && f === counts.unlabelled[i]) expect(group.data[i]).toBeNull() })
    await page.getByTestId('errors-show-unlabelled').check()
    await until('unlabelled shown', async () => (await option())?.selected.unlabelled === true)
    await page.getByTestId('errors-show-unlabelled').uncheck()

    const tableUnlabelled = () => page.getByTestId('count-unlabelled').getByTestId('count-value').textContent()
    const queueTotal = page.getByTestId('queue-total')
    await queueTotal.waitFor()
    expect(await page.getByTestId('queue-no-label').textContent()).toBe(await tableUnlabelled())
    await page.screenshot({ path: join(artifacts, 'curation-errors.png'), fullPage: true })
  })

  it('Errors: the label keys work after "Pre-label with rules", and the counts follow each label', async () => {
    await page.getByTestId('rules-run').click()
    await page.locator('[data-testid="rules-job"][data-status="completed"]').waitFor()
    await until('the counts after the rules', async () => (await page.getByTestId('queue-no-label').textContent()) === (await page.getByTestId('count-unlabelled').getByTestId('count-value').textContent()))
    const before = Number(await page.getByTestId('queue-total').textContent())
    const manualBefore = (await apiCall<{ totals: { labelled: number } }>(served, 'errors/counts', { runId, source: 'manual' })).totals.labelled
    // The focus is still on the rules button: the keys go to the queue all the same.
    await page.keyboard.press('2')
    await until('the label', async () => Number(await page.getByTestId('queue-total').textContent()) === before - 1)
    const manual = await apiCall<{ totals: { labelled: number } }>(served, 'errors/counts', { runId, source: 'manual' })
    expect(manual.totals.labelled).toBe(manualBefore + 1)
    await until('the counts after the label', async () => (await page.getByTestId('queue-no-label').textContent()) === (await page.getByTestId('count-unlabelled').getByTestId('count-value').textContent()))
    await page.keyboard.press('u')
    await until('the undo', async () => Number(await page.getByTestId('queue-total').textContent()) === before)
    expect((await apiCall<{ totals: { labelled: number } }>(served, 'errors/counts', { runId, source: 'manual' })).totals.labelled).toBe(manualBefore)
  })

  it('Errors: a judge error shows beside its button, in plain words', async () => {
    const panel = page.getByTestId('judge-panel')
    await panel.getByTestId('judge-run').click()
    const msg = panel.getByTestId('judge-run-error')
    await msg.waitFor()
    expect(await msg.textContent()).toBe('No judge endpoint is configured (set its base URL first)')
    // An endpoint where nothing listens (a port just freed): the job fails and says so in words, beside the same button.
    const free = await new Promise<number>((resolve) => { const srv = createServer(); srv.listen(0, '127.0.0.1', () => { const p = (srv.address() as AddressInfo).port; srv.close(() => resolve(p)) }) })
    await panel.getByTestId('judge-url').fill(`http://127.0.0.1:${free}/v1`)
    await panel.getByTestId('judge-model').fill('judge')
    await panel.getByTestId('judge-save').click()
    await panel.getByTestId('judge-saved').waitFor()
    await panel.getByTestId('judge-run').click()
    await msg.waitFor({ state: 'detached' })
    await panel.locator('[data-testid="judge-job"][data-status="failed"]').waitFor()
    expect(await panel.getByTestId('judge-job').getByTestId('job-message').textContent()).toMatch(new RegExp(`^Cannot reach the judge endpoint http://127\\.0\\.0\\.1:${free}/v1.*nothing is listening at that address`))
    await page.screenshot({ path: join(artifacts, 'curation-judge-error.png'), fullPage: true })
  })

  it('the browser console stayed free of errors', () => {
    expect(consoleErrors).toEqual([])
  })
})
