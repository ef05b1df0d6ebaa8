import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { apiCall, hasBuild, hasChromium, launchChromium, projectRoot, startServe, type Served } from './browser'
import { tempDir } from '../helpers/tmp'

// The app shell in a real browser against `hicra serve` on a temporary database.
const tmp = tempDir()
const artifacts = join(projectRoot, 'test-artifacts')
let served: Served
let browser: Browser
let page: Page

describe.skipIf(!hasChromium || !hasBuild)('app shell in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true })
    served = await startServe(join(tmp.dir, 'e2e.db'))
    browser = await launchChromium()
    page = await browser.newPage()
  })
  afterAll(async () => {
    await browser?.close()
    await served?.stop()
    tmp.cleanup()
  })

  it('opens from the printed URL and shows the empty state', async () => {
    await page.goto(served.url)
    await page.getByTestId('runs-empty').waitFor()
    expect(await page.getByTestId('runs-empty').textContent()).toContain('hicra import')
  })

  it('navigates every section', async () => {
    for (const [nav, marker] of [['compare', 'compare-empty'], ['grams', 'grams-empty'], ['errors', 'errors-empty'],
      ['train', 'train-form'], ['settings', 'about'], ['runs', 'runs-empty']] as const) {
      await page.getByTestId(`nav-${nav}`).click()
      await page.getByTestId(marker).waitFor()
      expect(page.url()).toContain(`#/${nav}`)
    }
    await page.getByTestId('nav-settings').click()
    await page.getByTestId('about-db').waitFor()
    expect(await page.getByTestId('about-db').textContent()).toContain('e2e.db')
    expect(await page.getByTestId('about-backend').textContent()).toMatch(/wasm|tensorflow|webgpu|cpu/)
    // Why each better backend is skipped (here at least tensorflow-gpu's binding is missing).
    if ((await page.getByTestId('about-backend').textContent()) === 'wasm') expect(await page.getByTestId('about-skipped').textContent()).toMatch(/tensorflow-gpu: .+webgpu: /)
    await page.screenshot({ path: join(artifacts, 'settings.png') })
  })

  it('shows a run inserted through the API, renames it and deletes it', async () => {
    const run = await apiCall<{ id: number }>(served, 'runs/create', { name: 'inserted by the test' })
    await apiCall(served, 'metrics/append', { runId: run.id, points: [{ step: 1, key: 'accuracy', value: 0.5 }] })
    await page.getByTestId('nav-runs').click()
    const row = page.getByTestId(`run-row-${run.id}`)
    await row.waitFor()
    expect(await row.getByTestId('run-name').textContent()).toBe('inserted by the test')
    await page.screenshot({ path: join(artifacts, 'runs.png') })

    await row.getByTestId('rename').click()
    await row.getByTestId('rename-input').fill('renamed in the browser')
    await row.getByTestId('rename-save').click()
    await row.getByTestId('run-name').filter({ hasText: 'renamed in the browser' }).waitFor()
    const listed = await apiCall<{ name: string }[]>(served, 'runs/list', {})
    expect(listed.map((r) => r.name)).toEqual(['renamed in the browser'])

    page.once('dialog', (d) => void d.accept())
    await row.getByTestId('delete').click()
    await page.getByTestId('runs-empty').waitFor()
    expect(await apiCall<unknown[]>(served, 'runs/list', {})).toEqual([])
  })

  it('refuses a request without the token (401)', async () => {
    const status = await page.evaluate(async (port) => {
      const res = await fetch(`http://127.0.0.1:${port}/api/runs/list`, { method: 'POST', body: '{}', credentials: 'omit' })
      return res.status
    }, served.port)
    expect(status).toBe(401)
    const res = await fetch(`http://127.0.0.1:${served.port}/api/runs/list`, { method: 'POST', body: '{}' })
    expect(res.status).toBe(401)
  })
})
