import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { hasBuild, hasChromium, launchChromium, projectRoot, startServe, type Served } from './browser'
import { tempDir } from '../helpers/tmp'

// The Import dialog of the Runs view in Chromium against `hicra serve`: preview, import, summary.
const tmp = tempDir()
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
    tmp.cleanup()
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

  it('names a missing path in the error', async () => {
    await page.getByTestId('import-paths').fill(join(tmp.dir, 'no-such-folder'))
    await page.getByTestId('import-start').click()
    await page.getByTestId('import-error').waitFor()
    expect(await page.getByTestId('import-error').textContent()).toContain('does not exist')
  })
})
