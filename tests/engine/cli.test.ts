import { afterAll, describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { tempDir } from '../helpers/tmp'

const root = resolve(__dirname, '..', '..')
const bin = join(root, 'bin', 'hicra.mjs')
const tmp = tempDir('hicra-train-cli-')
afterAll(() => tmp.cleanup())
const run = promisify(execFile)

describe('hicra train', () => {
  it('trains and prints one JSON line per step; bad flags are usage errors', async () => {
    const cfg = join(tmp.dir, 'cfg.json')
    writeFileSync(cfg, JSON.stringify({
      model: { layers: 1, dModel: 16, heads: 2, context: 80, ffMult: 2 }, warmup: { steps: 2, batchSize: 4 },
      batchPrompts: 2, groupSize: 2, eval: { every: 2, problems: 2, samples: 2, passK: 2 }
    }))
    const db = join(tmp.dir, 'w.db')
    const { stdout, stderr } = await run(process.execPath, [bin, 'train', '--task', 'countdown', '--algo', 'highent', '--steps', '2',
      '--seed', '7', '--backend', 'wasm', '--db', db, '--config', cfg, '--json'], { cwd: root, maxBuffer: 64 << 20 })
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { step: number; metrics: Record<string, number> })
    expect(lines.map((l) => l.step)).toEqual([1, 2])
    expect(lines[1].metrics.test_pass_at_1).toBeTypeOf('number')
    expect(stderr).toMatch(/backend wasm/)
    expect(stderr).toMatch(/completed at step 2 on wasm/)
    await expect(run(process.execPath, [bin, 'train', '--algo', 'ppo', '--db', db], { cwd: root })).rejects.toMatchObject({ code: 2 })
  })
})
