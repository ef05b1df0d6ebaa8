import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { apiCall, hasBuild, hasChromium, launchChromium, projectRoot, startServe, type Served } from './browser'
import { tempDir } from '../helpers/tmp'

// The Import dialog of the Runs view in Chromium against `hicra serve`: preview, import, summary.
const tmp = tempDir()
afterAll(() => tmp.cleanup())
const FIX = join(projectRoot, 'tests', 'fixtures', 'import')
let served: Served
let browser: Browser
let page: Page

describe.skipIf(!hasChromium || !hasBuild)('import dialog in Chromium', () => {
  beforeAll(async () => {
    served = await startServe(join(tmp.dir, 'import-e2e.db'))
    browser = await launchChromium()
    page = await browser.newPage()
  })
  afterAll(async () => {
    await browser?.close()
    await served?.stop()
  })

  it('previews a verl folder, imports it with progress, and lists the skipped lines', async () => {
    await page.goto(served.url)
    await page.getByTestId('import-open').click()
    await page.getByTestId('import-paths').fill(join(FIX, 'verl'))
    await page.getByTestId('import-sg').fill(join(FIX, 'sg.json'))
    await page.getByTestId('import-preview').click()
    const preview = page.getByTestId('import-preview-result')
    await preview.waitFor()
    expect(await preview.textContent()).toContain('verl')
    expect(await preview.textContent()).toContain('response=output')
    await page.getByTestId('import-start').click()
    const summary = page.getByTestId('import-summary')
    await summary.waitFor()
    const text = (await summary.textContent()) ?? ''
    expect(text).toContain('Imported 6 rollouts over 2 steps')
    expect(text).toContain('1.jsonl:3: malformed JSON')
    expect(await page.getByTestId('import-token-note').textContent()).toMatch(/No token data: length counts words/)
    await page.locator('[data-testid^="run-row-"]').first().waitFor()
    expect(await page.getByTestId('run-name').first().textContent()).toBe('verl')
  })

  it('importing the same folder again imports nothing and says where it is', async () => {
    await page.getByTestId('import-start').click()
    await page.getByTestId('import-summary').filter({ hasText: 'Nothing imported' }).waitFor()
    expect(await page.locator('[data-testid^="run-row-"]').count()).toBe(1)
  })

  it('a folder of per-checkpoint JSON objects keyed by problem id: the guess in the preview, one step per file', async () => {
    // Made here: two checkpoints of four problems each, a summary beside them.
    const dir = join(tmp.dir, 'rlvr')
    mkdirSync(dir)
    const ckpt = (step: number) => Object.fromEntries([0, 1, 2, 3].map((i) => [`test/algebra/${i}.json`, { problem: `P${i}?`, response: `Answer ${i + step}.`, correct: (i + step / 100) % 2 === 0 }]))
    writeFileSync(join(dir, 'rlvr_step_100_responses.json'), JSON.stringify(ckpt(100)))
    writeFileSync(join(dir, 'rlvr_step_200_responses.json'), JSON.stringify(ckpt(200), null, 2))
    writeFileSync(join(dir, 'summary.json'), JSON.stringify({ step_100: { accuracy: 0.5 } }))
    await page.getByTestId('import-paths').fill(dir)
    await page.getByTestId('import-preview').click()
    const preview = page.getByTestId('import-preview-result')
    await preview.filter({ hasText: 'JSON object keyed by problem id' }).waitFor()
    expect(await page.getByTestId('import-preview-format').textContent()).toBe('checkpoints')
    expect(await preview.textContent()).toContain('left out summary.json')
    expect(await preview.textContent()).toContain('test/algebra/0.json')
    await page.getByTestId('import-start').click()
    const summary = page.getByTestId('import-summary').filter({ hasText: 'Imported 8 rollouts over 2 steps' })
    await summary.waitFor()
    expect(await summary.textContent()).toContain('left out summary.json: its records hold no rollouts')
    // accuracy per step as the test computes it
    const runs = await apiCall<{ id: number; name: string }[]>(served, 'runs/list', {})
    const run = runs.find((r) => r.name === 'rlvr')!
    const acc = (await apiCall<{ series: { step: number[]; last: number[] }[] }>(served, 'metrics/series', { runIds: [run.id], keys: ['accuracy'] })).series[0]!
    const want = [100, 200].map((st) => Object.values(ckpt(st)).filter((r) => r.correct).length / 4)
    expect(acc.step).toEqual([100, 200])
    expect(acc.last).toEqual(want)
  })

  it('one run per entry of records holding several models\' answers', async () => {
    const file = join(tmp.dir, 'models.json')
    const recs = [0, 1, 2, 3, 4].map((i) => ({ question: `Q${i}?`, small: { solution: `s${i}`, is_correct: i < 1 }, large: { solution: `l${i}`, is_correct: i < 4 } }))
    writeFileSync(file, JSON.stringify(recs))
    await page.getByTestId('import-paths').fill(file)
    await page.getByTestId('import-each').fill('small, large')
    await page.getByTestId('import-start').click()
    await page.getByTestId('import-summary').filter({ hasText: 'Imported 5 rollouts over 1 steps' }).waitFor()
    expect(await page.getByTestId('import-also').textContent()).toMatch(/Also importing run \d+ 'models · large'/)
    await page.getByTestId('import-each').fill('')
    const runs = await apiCall<{ id: number; name: string }[]>(served, 'runs/list', {})
    for (const [name, want] of [['models · small', 1 / 5], ['models · large', 4 / 5]] as const) {
      const run = runs.find((r) => r.name === name)!
      await expect.poll(async () => (await apiCall<{ series: { last: number[] }[] }>(served, 'metrics/series', { runIds: [run.id], keys: ['accuracy'] })).series[0]?.last[0]).toBe(want)
    }
  })

  it('an import that stores nothing shows its reason and leaves no run', async () => {
    const bad = join(tmp.dir, 'nothing.jsonl')
    writeFileSync(bad, JSON.stringify({ prompt: 'p', score: 1 }) + '\n')
    const before = (await apiCall<unknown[]>(served, 'runs/list', {})).length
    await page.getByTestId('import-paths').fill(bad)
    await page.getByTestId('import-start').click()
    await page.getByTestId('import-error').filter({ hasText: 'nothing imported' }).waitFor()
    expect(await page.getByTestId('import-error').textContent()).toContain('missing field "response"')
    expect((await apiCall<unknown[]>(served, 'runs/list', {})).length).toBe(before)
  })

  it('names a missing path in the error', async () => {
    await page.getByTestId('import-paths').fill(join(tmp.dir, 'no-such-folder'))
    await page.getByTestId('import-start').click()
    await page.getByTestId('import-error').waitFor()
    expect(await page.getByTestId('import-error').textContent()).toContain('does not exist')
  })
})

// The desktop app's path: the renderer talks to `window.api` (the preload's bridge) instead of
// HTTP, and the import dialog offers the native file dialog. Electron cannot run here, so the page
// gets a stand-in bridge before its scripts load: calls go to the same served API, pushed events
// come from its event stream, and pickPaths answers as the native dialog would.
describe.skipIf(!hasChromium || !hasBuild)('import dialog with the desktop bridge (window.api)', () => {
  let server: Served
  let chromium: Browser
  let bridged: Page
  let plain: Page
  beforeAll(async () => {
    server = await startServe(join(tmp.dir, 'bridge-e2e.db'))
    chromium = await launchChromium()
    plain = await chromium.newPage()
    bridged = await chromium.newPage()
    await bridged.addInitScript(({ answers }) => {
      // Runs in the page (tests are type-checked without the DOM library, hence globalThis).
      const w = globalThis as unknown as { api: unknown; picks: unknown[]; location: { search: string } }
      const token = new URLSearchParams(w.location.search).get('token') ?? ''
      let events: EventSource | null = null
      w.picks = []
      w.api = {
        async invoke(channel: string, req: unknown) {
          const res = await fetch(`/api/${channel}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(req ?? {}) })
          return res.json()
        },
        on(event: string, listener: (p: unknown) => void) {
          events ??= new EventSource(`/api/events?token=${token}`)
          const h = (e: Event) => listener(JSON.parse((e as unknown as { data: string }).data))
          events.addEventListener(event, h)
          return () => events!.removeEventListener(event, h)
        },
        async pickPaths(req: { kind: string }) {
          w.picks.push(req)
          return (answers as Record<string, string[]>)[req.kind] ?? []
        }
      }
    }, { answers: { folders: [join(FIX, 'checkpoints')], file: [join(FIX, 'sg.json')], files: [] } })
  })
  afterAll(async () => {
    await chromium?.close()
    await server?.stop()
  })

  it('fills paths and the SG file from the native dialog and imports through the bridge', async () => {
    await bridged.goto(server.url)
    await bridged.getByTestId('import-open').click()
    await bridged.getByTestId('import-add-folders').click()
    await expect.poll(() => bridged.getByTestId('import-paths').inputValue()).toBe(join(FIX, 'checkpoints'))
    // Picking the same folder again does not list it twice; a dismissed dialog changes nothing.
    await bridged.getByTestId('import-add-folders').click()
    await bridged.getByTestId('import-add-files').click()
    await bridged.getByTestId('import-pick-sg').click()
    await expect.poll(() => bridged.getByTestId('import-sg').inputValue()).toBe(join(FIX, 'sg.json'))
    expect(await bridged.getByTestId('import-paths').inputValue()).toBe(join(FIX, 'checkpoints'))
    const picks = await bridged.evaluate(() => (globalThis as unknown as { picks: { kind: string }[] }).picks.map((p) => p.kind))
    expect(picks).toEqual(['folders', 'folders', 'files', 'file'])
    await bridged.getByTestId('import-start').click()
    const summary = bridged.getByTestId('import-summary')
    await summary.waitFor()
    expect(await summary.textContent()).toMatch(/Imported \d+ rollouts over 3 steps/)
  })

  it('Strategic Grams → Evaluate adds folders from the native dialog', async () => {
    await bridged.goto(server.url + '#/grams')
    await bridged.getByTestId('sg-tab-eval').click()
    await bridged.getByTestId('sg-eval-add-folders').click()
    await expect.poll(() => bridged.getByTestId('sg-eval-dirs').inputValue()).toBe(join(FIX, 'checkpoints'))
  })

  it('a browser tab (no bridge) shows no Browse buttons', async () => {
    await plain.goto(server.url)
    await plain.getByTestId('import-open').click()
    await plain.getByTestId('import-paths').waitFor()
    expect(await plain.getByTestId('import-add-files').count()).toBe(0)
    expect(await plain.getByTestId('import-pick-sg').count()).toBe(0)
  })
})
