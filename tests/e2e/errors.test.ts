import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { apiCall, hasBuild, hasChromium, launchChromium, projectRoot, startServe, type Served } from './browser'
import { tempDir } from '../helpers/tmp'
import { insertRollouts } from '../helpers/rollouts'
import { openStore } from '../../src/main/store'

// Errors (Figure 3) and the rollout explorer in Chromium against `hicra serve`, on a run whose
// rollouts are written to the store before the server starts.
const tmp = tempDir()
const artifacts = join(projectRoot, 'test-artifacts')
const db = join(tmp.dir, 'errors-e2e.db')
let served: Served
let browser: Browser
let page: Page
let runId: number
let tokenRollout: number
let correctRollout: number

const SG = ['wait let me check', "let's try a different approach", 'we can use the fact']

/** Whitespace tokens of `text` with their spans; planning where an SG phrase covers them. */
function tokensOf(text: string, entropy: (i: number) => number) {
  const starts: number[] = [], ends: number[] = []
  for (const m of text.matchAll(/\S+/g)) { starts.push(m.index!); ends.push(m.index! + m[0].length) }
  const lower = text.toLowerCase().replace(/’/g, "'")
  const spans = SG.flatMap((p) => [...lower.matchAll(new RegExp(p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '[ ,]+'), 'g'))]
    .map((m) => [m.index!, m.index! + m[0].length] as const))
  const planning = starts.map((s, i) => (spans.some(([a, b]) => s < b && a < ends[i]!) ? 1 : 0))
  return { starts, ends, planning, entropies: starts.map((_, i) => entropy(i)), logprobs: starts.map((_, i) => -entropy(i) / 2) }
}

describe.skipIf(!hasChromium || !hasBuild)('errors and rollout explorer in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true })
    const store = openStore(db)
    const set = store.sgSets.create('e2e set', SG.map((phrase) => ({ phrase, category: 'deduction', source: 'manual' })) as never)
    runId = store.runs.create({ name: 'hicra failures', kind: 'import', status: 'imported' }).id
    store.db.prepare('UPDATE runs SET sg_set_id = ?, sg_set_version = ? WHERE id = ?').run(set.id, set.version, runId)
    const slip = "Wait, let me check: 12 × 4 = 46, so the total is 46 + 2 = 48. Let's try a different approach to be sure. #### 48"
    const ids = insertRollouts(store.db, runId, [
      { step: 1, response: 'We can use the fact that 6 × 7 = 42. \\boxed{42}', correct: true, gold: '42', answer: '42' },
      { step: 1, response: "Let's try a different approach. Perhaps the sum is 41. \\boxed{41}", correct: false, gold: '42', answer: '41', prompt: 'What is 6 × 7?' },
      { step: 1, response: 'I am not sure where to start with this one', correct: false, gold: '50' },
      { step: 2, response: slip, correct: false, gold: '50', answer: '48', tokens: tokensOf(slip, (i) => (i % 5 === 0 ? 2.5 : 0.1 + i / 100)) },
      { step: 2, response: 'So the answer is \\boxed{4', correct: false, gold: '50' },
      { step: 2, response: 'We can use the fact that x is odd. Hence \\boxed{51}.', correct: false, gold: '50', answer: '51' }
    ])
    tokenRollout = ids[3]!
    correctRollout = ids[0]!
    store.metrics.append(runId, [
      { step: 1, key: 'high_entropy_planning_share', value: 0.25 }, { step: 1, key: 'planning_high_entropy_share', value: 0.4 },
      { step: 2, key: 'high_entropy_planning_share', value: 0.375 }, { step: 2, key: 'planning_high_entropy_share', value: 0.5 }
    ])
    store.close()
    served = await startServe(db)
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
    await page.goto(served.url)
    await page.evaluate(() => (globalThis as any).localStorage.setItem('hicra.exposeCharts', '1'))
  })
  afterAll(async () => {
    await browser?.close()
    await served?.stop()
    tmp.cleanup()
  })

  const total = (type: string) => page.getByTestId(`count-${type}`).getByTestId('count-value')
  // Browser-side functions reach the page through globalThis: these tests are type-checked without
  // the DOM library, and the page's CSP forbids evaluating strings.
  const drawn = (name: string) => page.evaluate((n) => {
    const charts = (globalThis as any).__charts as Record<string, { getOption(): { series: { name: string; data: number[] }[] } }>
    // null until the chart holds that series (it redraws after the counts it is read beside).
    return charts['errors-chart']?.getOption()?.series?.find((s) => s.name === n)?.data ?? null
  }, name)
  const countIs = (type: string, n: number) =>
    page.getByTestId(`count-${type}`).getByTestId('count-value').filter({ hasText: new RegExp(`^${n}$`) }).waitFor()

  it('draws failures by type over steps and labels one with the keyboard; the chart follows', async () => {
    await page.goto(`${served.url}#/errors?run=${runId}`)
    await page.getByTestId('errors-chart').waitFor()
    expect(await total('unlabelled').textContent()).toBe('5')
    await expect.poll(() => drawn('unlabelled')).toEqual([2, 3])
    // No failure is labelled yet: gaps, not zeros (no label is not "no errors").
    await expect.poll(() => drawn('planning')).toEqual([null, null])

    const queue = page.getByTestId('label-queue')
    await queue.getByTestId('queue-position').filter({ hasText: '1 / 5' }).waitFor()
    expect(await queue.getByTestId('queue-gold').textContent()).toBe('42')
    expect(await queue.getByTestId('queue-answer').textContent()).toBe('41')
    expect(await queue.getByTestId('planning-span').first().textContent()).toBe("Let's try a different approach")

    await queue.focus()
    await page.keyboard.press('1')
    await countIs('planning', 1)
    await expect.poll(() => drawn('planning')).toEqual([1, null])
    await expect.poll(() => drawn('Planning & Strategy')).toEqual([1, null])
    await expect.poll(() => drawn('unlabelled')).toEqual([1, 3])
    await queue.getByTestId('queue-position').filter({ hasText: '2 / 5' }).waitFor()

    // u undoes the label, k goes back, 4 labels it format instead.
    await page.keyboard.press('u')
    await countIs('planning', 0)
    await queue.getByTestId('queue-position').filter({ hasText: '1 / 5' }).waitFor()
    await page.keyboard.press('4')
    await countIs('format', 1)
    await expect.poll(() => drawn('format')).toEqual([1, null])
    const stored = await apiCall<{ series: Record<string, number[]> }>(served, 'errors/counts', { runId, source: 'manual' })
    expect(stored.series.format).toEqual([1, 0])
    await page.screenshot({ path: join(artifacts, 'errors.png'), fullPage: true })
  })

  it('pre-labels with rules and accepts a suggestion with a key', async () => {
    await page.getByTestId('rules-run').click()
    await page.locator('[data-testid="rules-job"][data-status="completed"]').waitFor()
    const queue = page.getByTestId('label-queue')
    await queue.getByTestId('queue-suggestion').first().waitFor()
    // Rule source only: the slip, the unfinished box and the response with no final answer.
    await page.getByTestId('errors-source').selectOption('rule')
    // 2 unlabelled only under the rule source (the effective count has 1: one failure is manual).
    await countIs('unlabelled', 2)
    await expect.poll(() => drawn('calculation')).toEqual([0, 1])
    await expect.poll(() => drawn('format')).toEqual([1, 1])
    await page.getByTestId('errors-source').selectOption('effective')
    // Move to the arithmetic slip and accept the rule's suggestion with 'a'.
    await queue.focus()
    const suggestion = queue.getByTestId('queue-suggestion')
    for (let i = 0; i < 5; i++) {
      if ((await suggestion.count()) > 0 && (await suggestion.textContent())!.includes('calculation')) break
      await page.keyboard.press('j')
    }
    expect(await suggestion.textContent()).toContain('12 × 4 = 46')
    await page.keyboard.press('a')
    // Accepting moves on; one step back shows the accepted label as the manual one.
    await page.keyboard.press('k')
    await queue.getByTestId('queue-manual').filter({ hasText: 'calculation' }).waitFor()
    const manual = await apiCall<{ series: Record<string, number[]> }>(served, 'errors/counts', { runId, source: 'manual' })
    expect(manual.series.calculation).toEqual([0, 1])
    await page.screenshot({ path: join(artifacts, 'errors-rules.png'), fullPage: true })
  })

  it('runs the LLM judge configured in the form against an OpenAI-compatible endpoint, with progress', async () => {
    // The judge: says "calculation" when the response shows an equation, "planning" otherwise.
    const seen: { auth?: string; model: string }[] = []
    const judge: Server = createServer((req, res) => {
      let raw = ''
      req.on('data', (d) => (raw += d))
      req.on('end', () => {
        const body = JSON.parse(raw) as { model: string; messages: { content: string }[] }
        seen.push({ auth: req.headers.authorization, model: body.model })
        const response = body.messages[0]!.content.split("The model's response:")[1] ?? ''
        const type = /\d\s*[×+]\s*\d/.test(response) ? 'calculation' : 'planning'
        res.writeHead(200, { 'Content-Type': 'application/json' })
        res.end(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: `{"error_type": "${type}"}` } }] }))
      })
    })
    const port = await new Promise<number>((r) => judge.listen(0, '127.0.0.1', () => r((judge.address() as AddressInfo).port)))
    try {
      const panel = page.getByTestId('judge-panel')
      await panel.getByTestId('judge-url').fill(`http://127.0.0.1:${port}/v1`)
      await panel.getByTestId('judge-model').fill('tiny-judge')
      await panel.getByTestId('judge-key').fill('sk-e2e')
      await panel.getByTestId('judge-save').click()
      await panel.getByTestId('judge-saved').waitFor()
      expect(await panel.getByTestId('judge-key').getAttribute('placeholder')).toContain('stored')
      await panel.getByTestId('judge-run').click()
      await page.locator('[data-testid="judge-job"][data-status="completed"]').waitFor()
      await panel.getByTestId('judge-report').filter({ hasText: '5 of 5 labelled' }).waitFor()
      expect(seen).toHaveLength(5)
      expect(seen.every((r) => r.auth === 'Bearer sk-e2e' && r.model === 'tiny-judge')).toBe(true)
      await page.getByTestId('errors-source').selectOption('judge')
      // 4 planning only by the judge's labels (the effective count has 3: two failures carry manual ones).
      await countIs('planning', 4)
      await expect.poll(() => drawn('planning')).toEqual([2, 2])
      await expect.poll(() => drawn('calculation')).toEqual([0, 1])
      await page.getByTestId('errors-source').selectOption('effective')
      await page.screenshot({ path: join(artifacts, 'errors-judge.png'), fullPage: true })
    } finally {
      await new Promise<void>((r) => judge.close(() => r()))
    }
  })

  it('re-counts while a run grows (a new step with a failure arrives)', async () => {
    await page.getByTestId('errors-source').selectOption('effective')
    await countIs('unlabelled', 0)
    // What an importer or trainer does: rows written by another connection, then the step's metrics.
    const store = openStore(db)
    insertRollouts(store.db, runId, [{ step: 3, response: 'No idea.', correct: false, gold: '1' }])
    store.close()
    await apiCall(served, 'metrics/append', { runId, points: [{ step: 3, key: 'accuracy', value: 0 }] })
    await countIs('unlabelled', 1)
    await expect.poll(() => drawn('unlabelled')).toEqual([0, 0, 1])
  })

  it('explores rollouts: filters, planning highlights, the entropy strip and the step shares', async () => {
    await page.getByTestId('errors-explore').click()
    await page.getByTestId('rollouts-table').waitFor()
    await page.getByTestId('rollouts-range').filter({ hasText: 'of 6' }).waitFor()
    // The step filter offers the run's steps (a select).
    await page.getByTestId('filter-step').selectOption('2')
    await page.getByTestId('rollouts-range').filter({ hasText: 'of 3' }).waitFor()
    await page.getByTestId('filter-text').fill('12 × 4')
    await page.getByTestId('rollouts-range').filter({ hasText: '1–1 of 1' }).waitFor()
    await page.getByTestId(`rollout-row-${tokenRollout}`).click()
    const detail = page.getByTestId('rollout-detail')
    await detail.waitFor()
    const strip = detail.getByTestId('entropy-strip')
    expect(Number(await strip.getAttribute('data-tokens'))).toBeGreaterThan(10)
    expect(await detail.getByTestId('planning-token').count()).toBeGreaterThan(3)
    await expect.poll(() => detail.getByTestId('share-step-hep').textContent()).toBe('37.5%')
    await expect.poll(() => detail.getByTestId('share-step-phe').textContent()).toBe('50.0%')
    // Some canvas pixels are drawn in the heat colours.
    const painted = await strip.evaluate((c: any) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data as Uint8ClampedArray
      let n = 0
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++
      return n
    })
    expect(painted).toBeGreaterThan(100)
    await page.screenshot({ path: join(artifacts, 'rollouts.png'), fullPage: true })

    // Correct ones only, any step: the one success, whose text shows its planning span.
    await page.getByTestId('filter-text').fill('')
    await page.getByTestId('filter-step').selectOption('')
    await page.getByTestId('filter-correct').selectOption('true')
    // The previous filter also showed one row: wait for the success itself.
    await page.getByTestId(`rollout-row-${correctRollout}`).click()
    expect(await page.getByTestId('rollouts-range').textContent()).toBe('1–1 of 1')
    await detail.getByTestId('no-entropy').waitFor()
    expect(await detail.getByTestId('planning-span').first().textContent()).toBe('We can use the fact')
  })
})
