import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { apiCall, hasBuild, hasChromium, launchChromium, projectRoot, startServe, until as waitFor, type Served } from './browser'
import { tempDir } from '../helpers/tmp'

// The Strategic Gram curation flow in a real browser against `hicra serve`: create a set, paste
// grams (one a duplicate), mine an imported fixture run, accept two candidates, see them highlighted
// in responses, export the set and import it back.
const tmp = tempDir()
const artifacts = join(projectRoot, 'test-artifacts')
const fixture = join(projectRoot, 'tests', 'fixtures', 'sg', 'e2e-run.jsonl')
let served: Served
let browser: Browser
let page: Page
let runId: number

describe.skipIf(!hasChromium || !hasBuild)('Strategic Gram curation in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true })
    served = await startServe(join(tmp.dir, 'grams.db'))
    browser = await launchChromium()
    page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1400, height: 1000 } })
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
    await served?.stop()
    tmp.cleanup()
  })

  it('creates a set and shows a validation error for a duplicate pasted gram', async () => {
    await page.goto(served.url + '#/grams')
    await page.getByTestId('grams-empty').waitFor()
    await page.getByTestId('sg-new-name').fill('curated')
    await page.getByTestId('sg-create').click()
    await page.getByTestId('sg-title').getByText('curated').waitFor()

    await page.getByTestId('sg-paste').fill('wait let me double check\nlet me double check\tbacktracing\nWait, let me double-check')
    await page.getByTestId('sg-paste-add').click()
    const rowError = page.getByTestId('sg-row-2').getByTestId('sg-row-error')
    await rowError.waitFor()
    expect(await rowError.textContent()).toContain('duplicates row 1')
    expect(await page.getByTestId('sg-save').isDisabled()).toBe(true)
    await page.screenshot({ path: join(artifacts, 'grams-duplicate.png') })

    await page.getByTestId('sg-row-2').getByRole('button', { name: /Remove/ }).click()
    await page.getByTestId('sg-error-count').waitFor({ state: 'detached' })
    await page.getByTestId('sg-save-message').fill('first grams')
    await page.getByTestId('sg-save').click()
    await page.getByTestId('sg-title').getByText('v2').waitFor()
  })

  it('mines the imported run, accepts two candidates by keyboard and shows them highlighted', async () => {
    // The fixture run arrives the way a user's does: through the importer.
    const started = await apiCall<{ jobId: number; runId: number }>(served, 'import/start', { paths: [fixture], format: 'jsonl', name: 'fixture run' })
    runId = started.runId
    await waitFor('the import', async () => {
      const run = await apiCall<{ status: string; rollouts: number }>(served, 'runs/get', { id: runId })
      if (run.status === 'failed') throw new Error('fixture import failed')
      return run.status === 'imported' && run.rollouts === 20
    })
    await page.getByTestId('sg-runs-reload').click()
    await page.getByTestId(`sg-run-${runId}`).check()
    await page.getByTestId('sg-tab-mining').click()
    await page.getByTestId('sg-mine').click()
    const list = page.getByTestId('sg-candidates')
    await list.waitFor()
    await page.getByTestId('sg-sort-lift').click()

    await page.getByTestId('sg-cand-let us check the units').click()
    await list.press('3') // backtracing
    await list.press('a')
    await page.getByTestId('sg-cand-first we isolate the variable').click()
    await list.press('1') // deduction
    await list.press('a')
    await page.getByTestId('sg-cand-let us check the units').waitFor({ state: 'detached' })
    await page.screenshot({ path: join(artifacts, 'grams-mining.png') })

    await page.getByTestId('sg-tab-editor').click()
    await page.locator('input[aria-label="Phrase"]').nth(2).waitFor()
    const phrases = await page.locator('input[aria-label="Phrase"]').evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value))
    expect(phrases).toEqual(['wait let me double check', 'let me double check', 'let us check the units', 'first we isolate the variable'])
    expect(await page.getByTestId('sg-row-2').locator('select[aria-label="Category"]').inputValue()).toBe('backtracing')

    await page.getByTestId('sg-tab-coverage').click()
    const spans = page.getByTestId('sg-planning-span')
    await waitFor('the accepted grams highlighted', async () => {
      const texts = await spans.allTextContents()
      return texts.some((t) => t.includes('Let us check the units')) && texts.some((t) => t.includes('First we isolate the variable'))
    })
    expect(await page.getByTestId('sg-coverage-changes').textContent()).toContain('added "let us check the units", "first we isolate the variable"')
    await page.screenshot({ path: join(artifacts, 'grams-coverage.png'), fullPage: true })

    await page.getByTestId('sg-tab-editor').click()
    await page.getByTestId('sg-save').click()
    await page.getByTestId('sg-title').getByText('v3').waitFor()
  })

  it('shows the history and a diff between versions', async () => {
    await page.getByTestId('sg-tab-history').click()
    await page.getByTestId('sg-version-3').waitFor()
    await page.getByTestId('sg-diff').click()
    const diff = await page.getByTestId('sg-diff-result').textContent()
    expect(diff).toContain('+ let us check the units')
    expect(diff).toContain('+ first we isolate the variable')
    // Revert writes a new version equal to the old one; then back again to keep the mined grams.
    await page.getByTestId('sg-revert-2').click()
    await page.getByTestId('sg-title').getByText('v4').waitFor()
    await page.getByTestId('sg-revert-3').click()
    await page.getByTestId('sg-title').getByText('v5').waitFor()
    expect((await apiCall<{ grams: unknown[] }>(served, 'sg/get', { name: 'curated', version: 4 })).grams).toHaveLength(2)
  })

  it('moves between editor rows with the keyboard', async () => {
    await page.getByTestId('sg-tab-editor').click()
    const first = page.locator('input[aria-label="Phrase"]').nth(0)
    await first.focus()
    await first.press('ArrowDown')
    await first.page().keyboard.press('ArrowDown')
    expect(await page.locator(':focus').inputValue()).toBe('let us check the units')
    await page.keyboard.press('Control+Enter')
    await page.keyboard.type('on second thought')
    expect(await page.locator('input[aria-label="Phrase"]').nth(3).inputValue()).toBe('on second thought')
    await page.keyboard.press('Control+Delete')
    expect(await page.locator('input[aria-label="Phrase"]').count()).toBe(4)
    await page.getByTestId('sg-save').waitFor({ state: 'detached' })
  })

  it('evaluates the set on a labelled folder typed in by the user', async () => {
    await page.getByTestId('sg-tab-eval').click()
    await page.getByTestId('sg-eval-dirs').fill(join(projectRoot, 'tests', 'fixtures', 'sg', 'labelled'))
    await page.getByTestId('sg-eval-run').click()
    const table = page.getByTestId('sg-eval-table')
    await table.waitFor()
    // 9 chunks, 4 of them planning; of the set's grams only "let me double check" could fire, and it does not.
    expect(await table.locator('tr.overall').textContent()).toMatch(/planning \(overall\)\s*4\s*0\s*0/)
    await page.screenshot({ path: join(artifacts, 'grams-eval.png') })
  })

  it('exports the set as JSON and imports it back', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('sg-export').click()])
    const file = join(tmp.dir, 'curated.json')
    await download.saveAs(file)
    const exported = JSON.parse(readFileSync(file, 'utf8')) as { name: string; grams: { phrase: string; category: string; source: string }[] }
    expect(exported.name).toBe('curated')
    expect(exported.grams.map((g) => g.phrase)).toEqual(['wait let me double check', 'let me double check', 'let us check the units', 'first we isolate the variable'])
    expect(exported.grams[3]).toEqual({ phrase: 'first we isolate the variable', category: 'deduction', source: 'mined' })

    await page.getByTestId('sg-import-file').setInputFiles(file)
    await page.getByTestId('sg-set-curated 2').waitFor()
    await page.getByTestId('sg-title').getByText('curated 2').waitFor()
    const sets = await apiCall<{ name: string; gramCount: number }[]>(served, 'sg/list', {})
    expect(sets.filter((s) => s.name.startsWith('curated')).map((s) => [s.name, s.gramCount])).toEqual([['curated', 4], ['curated 2', 4]])
    const reimported = await apiCall<{ grams: unknown[] }>(served, 'sg/get', { name: 'curated 2' })
    expect(reimported.grams).toEqual(exported.grams)
    await page.screenshot({ path: join(artifacts, 'grams-reimported.png') })
  })
})
