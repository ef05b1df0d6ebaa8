import { describe, expect, it } from 'vitest'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { JsonSplitter, readJsonElements, type Elements } from '../../src/main/import/jsonElements'
import { tempDir } from '../helpers/tmp'

function split(text: string, block: number, isField = (k: string) => k === 'response') {
  const sp = new JsonSplitter(isField)
  const out: Elements = { texts: [], lines: [], keys: [] }
  const buf = Buffer.from(text)
  for (let i = 0; i < buf.length; i += block) sp.feed(buf.subarray(i, i + block), out)
  sp.end(out)
  return { shape: sp.shape, error: sp.error, ...out }
}

describe('JsonSplitter', () => {
  // Strings with escaped quotes, brackets and backslashes, non-ASCII text, nesting, scalars.
  const arr = [{ a: 'x"]}', b: [1, 2, { c: '\\' }] }, 3, 'é"\\n', null, { response: 'ü\u2028', d: { e: [[], {}] } }]
  const arrText = '[\n' + arr.map((x) => JSON.stringify(x)).join(',\n  ') + '\n]\n'
  const dict = { 'test/algebra/661.json': { problem: 'p', response: 'r', correct: true }, p2: { response: '{"[', correct: false } }
  const dictText = '\ufeff' + JSON.stringify(dict, null, 2)

  it('cuts arrays and keyed objects into the elements JSON.parse gives, whatever the block size', () => {
    for (const block of [1, 2, 3, 5, 64, 1 << 20]) {
      const a = split(arrText, block)
      expect(a.error).toBeNull()
      expect(a.shape).toBe('array')
      expect(a.texts.map((t) => JSON.parse(t))).toEqual(arr)
      // each element's first line in the file
      expect(a.lines).toEqual([2, 3, 4, 5, 6])
      const d = split(dictText, block)
      expect(d.shape).toBe('object')
      expect(d.keys).toEqual(Object.keys(dict))
      expect(d.texts.map((t) => JSON.parse(t))).toEqual(Object.values(dict))
      expect(d.lines).toEqual([2, 7])
    }
  })

  it('reads an object whose first key is a rollout field, or whose first value is not an object, as one record', () => {
    const one = { response: 'r', meta: { x: 1 } }
    expect(split(JSON.stringify(one), 4)).toMatchObject({ shape: 'record', texts: [JSON.stringify(one)], keys: [null], error: null })
    const two = { n: 1, metrics: { acc: 0.5 } }
    expect(split(JSON.stringify(two), 3)).toMatchObject({ shape: 'record', texts: [JSON.stringify(two)] })
  })

  it('names what is wrong and where: truncated, trailing text, not JSON; blank input has no shape', () => {
    const t = split('[{"a":1},\n{"b":', 4)
    expect(t.texts).toEqual(['{"a":1}'])
    expect(t.error).toMatch(/ends before its closing \] \(truncated\?\).*line 2/)
    expect(split('[1] x', 2).error).toMatch(/text after the end/)
    expect(split('hello', 2).error).toMatch(/not a JSON array or object/)
    expect(split(' \n\t', 2)).toMatchObject({ shape: null, error: null, texts: [] })
  })
})

describe('readJsonElements', () => {
  it('streams a plain or gzip file in blocks smaller than one element', async () => {
    const tmp = tempDir('hicra-json-')
    try {
      const recs = Array.from({ length: 50 }, (_, i) => ({ id: i, response: 'x'.repeat(i * 37) + 'ø' }))
      const text = JSON.stringify(recs)
      const plain = join(tmp.dir, 'a.json')
      const gz = join(tmp.dir, 'a.json.gz')
      writeFileSync(plain, text)
      writeFileSync(gz, gzipSync(text))
      for (const p of [plain, gz]) {
        const got: unknown[] = []
        for await (const c of readJsonElements(p, { chunkBytes: 100 })) {
          expect(c.broken).toBeUndefined()
          for (const t of c.texts) got.push(JSON.parse(t))
        }
        expect(got).toEqual(recs)
      }
    } finally {
      tmp.cleanup()
    }
  })
})
