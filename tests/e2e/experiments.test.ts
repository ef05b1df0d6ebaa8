import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { apiCall, hasBuild, hasChromium, openApp, projectRoot, startServe, type Served } from './browser'
import { tempDir } from '../helpers/tmp'

// The Experiments view in Chromium against the real `hicra serve`: start the `smoke` preset, watch
// its four runs finish, read its Table 1, and open its comparison with the arms grouped.
const tmp = tempDir()
const artifacts = join(projectRoot, 'test-artifacts')
let served: Served
let browser: Browser
let page: Page

type Win = { __charts?: Record<string, { getOption(): { series: ({ id: string; data: unknown[] } | null)[] } }> }

describe.skipIf(!hasChromium || !hasBuild)('experiments in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true })
    served = await startServe(join(tmp.dir, 'exp.db'))
    ;({ browser, page } = await openApp(served, { viewport: { width: 1280, height: 900 } }))
  })
  afterAll(async () => {
    await browser?.close()
    await served?.stop()
    tmp.cleanup()
  })

  it('starts smoke, shows its runs and Table 1, and opens Compare with the arms grouped', async () => {
    await page.getByTestId('nav-experiments').click()
    await page.getByTestId('experiments-empty').waitFor()
    await page.getByTestId('start-preset-smoke').click()
    await page.getByTestId('experiment-detail').waitFor()
    await page.getByTestId('cell-3').waitFor()
    // Four tiny runs; under load on two shared cores this takes up to a couple of minutes.
    await page.locator('[data-testid="experiment-status"]', { hasText: 'completed' }).waitFor({ timeout: 240_000 })
    const stats = await apiCall<{ arms: { arm: string; completedSeeds: number[]; finalTestPass1: { mean: number } }[] }>(served, 'experiments/stats', { id: 1 })
    expect(stats.arms.map((a) => a.arm)).toEqual(['grpo', 'hicra'])
    expect(stats.arms.every((a) => a.completedSeeds.length === 2)).toBe(true)
    const row = page.getByTestId('arm-hicra')
    await row.waitFor()
    expect(await row.textContent()).toContain(stats.arms[1]!.finalTestPass1.mean.toFixed(3))
    expect(await page.getByTestId('experiments-list').textContent()).toMatch(/smoke\s*completed\s*4\/4/)
    await page.screenshot({ path: join(artifacts, 'experiments.png'), fullPage: true })

    await page.getByTestId('open-compare').click()
    await page.waitForURL(/#\/compare\?/)
    expect(decodeURIComponent(page.url())).toMatch(/arms=\[\{"label":"grpo","runIds":\[\d+,\d+\]\}/)
    await page.locator('[data-testid="compare-test_pass_at_1"][data-has-data="1"]').waitFor()
    // Each arm is one group: its mean over the two seeds with a band, and nothing else.
    const ids = () => page.evaluate(() => ((globalThis as unknown as Win).__charts?.['compare-test_pass_at_1']?.getOption()?.series ?? [])
      .filter((s) => s).map((s) => s!.id))
    let got = await ids()
    for (let i = 0; i < 300 && got.filter((id) => id.endsWith('|band')).length !== 2; i++) {
      await page.waitForTimeout(100)
      got = await ids()
    }
    await page.screenshot({ path: join(artifacts, 'experiments-compare.png'), fullPage: true })
    const mains = got.filter((id) => !id.includes('|'))
    expect(mains).toHaveLength(2)
    for (const m of mains) expect(got).toContain(`${m}|band`)
  }, 300_000)
})
