import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/tmp'

const tmp = tempDir()
afterAll(tmp.cleanup)
const root = resolve(__dirname, '..', '..')

describe('readRawLineChunks, optimized', () => {
  // Every reader of lines loads a chunk's fields at each chunk: chunks of one hidden class keep
  // those loads fast and the readers' optimized code alive. Chunks made by spreading their parts
  // had a class of their own each once V8 had optimized the reader (issue #18).
  it('gives every chunk one hidden class, also after V8 has optimized it', () => {
    const path = join(tmp.dir, 'lines.jsonl')
    writeFileSync(path, Array.from({ length: 4000 }, (_, i) => `{"i": ${i}, "text": "${'word '.repeat(i % 40)}"}`).join('\n') + '\n')
    const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', join(__dirname, 'v8', 'chunkShape.mts'), path, '40'],
      { cwd: root, encoding: 'utf8' })
    const r = JSON.parse(out.trim().split('\n').pop()!) as { chunks: number; maps: number }
    expect(r.chunks).toBeGreaterThan(2000)
    expect(r.maps).toBe(1)
  }, 60_000)
})
