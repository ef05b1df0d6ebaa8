import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { consoleErrors, hasBuild, hasChromium, launchChromium, projectRoot, startServe, type Served } from './browser'
import { tempDir } from '../helpers/tmp'
import { insertRollouts } from '../helpers/rollouts'
import { openStore } from '../../src/main/store'

// Every view at 1024×700 (a laptop with the window not maximised): no page scrolls sideways and no
// element sticks out of the page (the Train form, the runs table, the gram editor, rollout previews,
// Compare's pickers and table). A screenshot of each view goes to test-artifacts/layout-*.png.
const tmp = tempDir()
const artifacts = join(projectRoot, 'test-artifacts')
const db = join(tmp.dir, 'layout.db')
let served: Served
let browser: Browser
let page: Page
const runIds: number[] = []
let importRun = 0

const LONG = 'a-rather-long-unbroken-run-name-from-an-imported-folder-qwen2.5-7b-instruct-grpo-dapo-math-17k-step-0300'

interface Overflow { scrollWidth: number; clientWidth: number; wide: string[] }
/** The page's horizontal overflow and the elements whose right edge passes the viewport (outside scroll boxes). */
const overflow = () => page.evaluate((): Overflow => {
  const d = (globalThis as unknown as { document: any; getComputedStyle(e: unknown): { overflowX: string } }).document
  const g = globalThis as unknown as { getComputedStyle(e: unknown): { overflowX: string; display: string }; innerWidth: number }
  const vw = d.documentElement.clientWidth as number
  const wide: string[] = []
  for (const el of d.querySelectorAll('body *') as unknown as any[]) {
    const r = el.getBoundingClientRect()
    if (r.width === 0 || r.right <= vw + 1) continue
    // Inside a box that scrolls on its own (a wide table) is fine: the page itself does not move.
    let p = el.parentElement
    let scrolled = false
    while (p && p !== d.body) { const o = g.getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') { scrolled = true; break } p = p.parentElement }
    if (!scrolled) wide.push(`${el.tagName.toLowerCase()}${el.dataset?.testid ? `[${el.dataset.testid}]` : el.className ? `.${String(el.className).split(' ')[0]}` : ''} right=${Math.round(r.right)}`)
  }
  return { scrollWidth: d.documentElement.scrollWidth, clientWidth: vw, wide: wide.slice(0, 8) }
})

describe.skipIf(!hasChromium || !hasBuild)('layout at 1024×700 in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true })
    const store = openStore(db)
    for (let r = 0; r < 3; r++) {
      const run = store.runs.create({ name: r === 2 ? LONG : `hicra countdown seed ${r}`, kind: 'train', status: 'completed',
        tags: ['hicra', `seed-${r}`, 'a-long-tag-for-the-layout'], config: { algo: 'hicra', seed: r, alpha: 0.2, notes: LONG } })
      runIds.push(run.id)
      const pts = []
      for (let s = 0; s < 120; s++) {
        for (const [k, v] of [['accuracy', 0.3 + s / 400], ['length', 200 + s], ['semantic_entropy', 1.2 + r / 10], ['token_entropy_planning', 1 - s / 300],
          ['token_entropy_execution', 0.5], ['planning_ratio', 0.12], ['loss', Math.sin(s) / 10], [`a_very_long_metric_name_logged_by_some_trainer_${r}`, s]] as const) {
          pts.push({ step: s, key: k, value: v })
        }
      }
      store.metrics.append(run.id, pts)
    }
    importRun = store.runs.create({ name: LONG, kind: 'import', status: 'imported', config: { model: 'Qwen2.5-7B-Instruct', path: `/data/${LONG}/${LONG}` } }).id
    const unbroken = 'x'.repeat(400)
    insertRollouts(store.db, importRun, Array.from({ length: 12 }, (_, i) => ({
      step: i % 3, response: i % 2 ? `Wait, let me check ${unbroken} \\boxed{4}` : `We can use the fact that ${LONG} ${unbroken}`,
      correct: i % 3 === 0, gold: '4', answer: i % 2 ? '4' : null, prompt: `What is ${LONG}?`
    })))
    store.metrics.append(importRun, [0, 1, 2].map((s) => ({ step: s, key: 'accuracy', value: 0.3 })))
    store.sgSets.create('layout set', Array.from({ length: 200 }, (_, i) => ({ phrase: `let me think about case ${i} ${i % 7 ? '' : "z".repeat(90)}`.trim(), category: 'deduction', source: 'manual' })) as never)
    store.close()
    served = await startServe(db)
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1024, height: 700 } })
    await page.goto(served.url)
  })
  afterAll(async () => {
    await browser?.close()
    await served?.stop()
    tmp.cleanup()
  })

  const views: { name: string; hash: () => string; ready: string; then?: () => Promise<void> }[] = [
    { name: 'runs', hash: () => '#/runs', ready: '[data-testid="runs-table"]' },
    { name: 'run', hash: () => `#/runs/${runIds[0]}`, ready: '[data-testid="run-title"]' },
    { name: 'run-import', hash: () => `#/runs/${importRun}`, ready: '[data-testid="run-title"]' },
    { name: 'rollouts', hash: () => `#/runs/${importRun}/rollouts`, ready: '[data-testid^="rollout-row-"]' },
    // A rollout opened: its detail beside (or under) the list, with an unbroken 400-character word.
    { name: 'rollout-detail', hash: () => `#/runs/${importRun}/rollouts`, ready: '[data-testid^="rollout-row-"]',
      then: async () => { await page.locator('[data-testid^="rollout-row-"]').nth(1).click(); await page.waitForTimeout(500) } },
    { name: 'compare', hash: () => `#/compare?runs=${runIds.join(',')}&metrics=accuracy,length,a_very_long_metric_name_logged_by_some_trainer_2&group=config&baseline=${runIds[0]}`, ready: '[data-testid="delta-table"]' },
    { name: 'grams', hash: () => '#/grams', ready: '[data-testid="sg-editor"] [data-testid="sg-row-0"]' },
    // The coverage preview: sample responses (with a 400-character word) highlighted, per-step tables.
    { name: 'grams-coverage', hash: () => '#/grams', ready: '[data-testid="sg-editor"] [data-testid="sg-row-0"]',
      then: async () => {
        await page.getByTestId(`sg-run-${importRun}`).check()
        await page.getByTestId('sg-tab-coverage').click()
        await page.waitForTimeout(1500)
      } },
    { name: 'errors', hash: () => `#/errors?run=${importRun}`, ready: '[data-testid="label-queue"]' },
    { name: 'train', hash: () => '#/train', ready: 'form' },
    { name: 'settings', hash: () => '#/settings', ready: 'main' }
  ]

  for (const v of views) {
    it(`${v.name}: no sideways scroll, nothing past the window's edge`, async () => {
      await page.evaluate((h) => { (globalThis as unknown as { location: { hash: string } }).location.hash = h }, v.hash())
      await page.locator(v.ready).first().waitFor()
      await v.then?.()
      // Open what the view folds, so that it is measured too.
      const folded = page.locator('main details:not([open]) > summary')
      for (let i = 0; i < 20 && (await folded.count()) > 0; i++) await folded.first().click()
      await page.waitForTimeout(300)
      const o = await overflow()
      await page.screenshot({ path: join(artifacts, `layout-${v.name}.png`), fullPage: true })
      expect(o.wide, `elements past the right edge on ${v.name}`).toEqual([])
      expect(o.scrollWidth).toBeLessThanOrEqual(o.clientWidth)
    })
  }

  it('every section of the navigation has been visited', async () => {
    const nav = await page.locator('[data-testid^="nav-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!.slice(4)))
    const visited = new Set(views.map((v) => v.name))
    const others = nav.filter((n) => !visited.has(n))
    // A section added later (Experiments) is measured here, as it opens.
    for (const n of others) {
      await page.getByTestId(`nav-${n}`).click()
      await page.waitForTimeout(500)
      const o = await overflow()
      await page.screenshot({ path: join(artifacts, `layout-${n}.png`), fullPage: true })
      expect(o.wide, `elements past the right edge on ${n}`).toEqual([])
      expect(o.scrollWidth).toBeLessThanOrEqual(o.clientWidth)
    }
  })

  it('the browser console stayed free of errors', () => {
    expect(consoleErrors).toEqual([])
  })
})
