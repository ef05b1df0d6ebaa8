import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { firstLines, hashFile, lineRanges, readLineChunks, readRawLineChunks } from '../../src/main/import/lineChunks'
import { tempDir } from '../helpers/tmp'

const tmp = tempDir()
afterAll(tmp.cleanup)

function write(name: string, content: string | Buffer): string {
  const p = join(tmp.dir, name)
  writeFileSync(p, content)
  return p
}

async function readAll(path: string, chunkBytes: number) {
  const lines: string[] = []
  const firsts: number[] = []
  let last = 0
  const hash = createHash('sha256')
  for await (const c of readLineChunks(path, { chunkBytes, hash })) {
    expect(c.firstLine).toBe(lines.length + 1)
    expect(c.bytesDone).toBeGreaterThanOrEqual(last)
    last = c.bytesDone
    firsts.push(c.firstLine)
    lines.push(...c.lines)
  }
  return { lines, chunks: firsts.length, bytesDone: last, hash: hash.digest('hex') }
}

describe('readLineChunks', () => {
  // Multi-byte characters (2, 3 and 4 bytes), a line far longer than the block, an empty line,
  // CRLF endings and no newline at the end: every block size must give back the same lines.
  const lines = ['{"a": "let’s try"}', '', 'x'.repeat(1000) + '€', '日本語のテキスト 🙂🙂', 'crlf line', 'last without newline']
  const content = lines.slice(0, 4).join('\n') + '\n' + lines[4] + '\r\n' + lines[5]
  const path = write('mixed.jsonl', content)
  const bytes = Buffer.byteLength(content)

  for (const chunkBytes of [1, 3, 7, 64, 1 << 20]) {
    it(`gives every line whole with ${chunkBytes}-byte reads`, async () => {
      const r = await readAll(path, chunkBytes)
      expect(r.lines).toEqual(lines)
      expect(r.bytesDone).toBe(bytes)
      expect(r.hash).toBe(createHash('sha256').update(content).digest('hex'))
      expect(r.hash).toBe(await hashFile(path))
    })
  }

  // The same content gzip-compressed (told by its first bytes, whatever its name).
  const gz = gzipSync(Buffer.from(content))
  const gzPath = write('mixed.jsonl.gz', gz)
  for (const chunkBytes of [1, 5, 64, 1 << 20]) {
    it(`reads a gzip file to the same lines with ${chunkBytes}-byte blocks; progress and hash are of the stored bytes`, async () => {
      const r = await readAll(gzPath, chunkBytes)
      expect(r.lines).toEqual(lines)
      expect(r.bytesDone).toBe(gz.length)
      expect(r.hash).toBe(createHash('sha256').update(gz).digest('hex'))
    })
  }

  it('ends a truncated or corrupt gzip file with the reason, after the whole lines before it', async () => {
    const all = Array.from({ length: 5000 }, (_, i) => `{"i": ${i}, "pad": "${'x'.repeat(i % 97)}"}`)
    const big = gzipSync(Buffer.from(all.join('\n')))
    for (const [name, bytes, why] of [
      ['cut.jsonl.gz', big.subarray(0, big.length >> 1), /^the gzip data is truncated/],
      ['corrupt.jsonl.gz', Buffer.from(big).fill(0x55, 20, 200), /^the gzip data is corrupt/]
    ] as const) {
      const path = write(name, bytes)
      const got: string[] = []
      let last: { broken?: string; firstLine: number; bytesDone: number } | null = null
      const hash = createHash('sha256')
      for await (const c of readLineChunks(path, { chunkBytes: 4096, hash })) {
        got.push(...c.lines)
        last = c
      }
      expect(last!.broken).toMatch(why)
      expect(last!.firstLine).toBe(got.length + 1)
      expect(last!.bytesDone).toBe(bytes.length)
      expect(got).toEqual(all.slice(0, got.length))
      expect(hash.digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'))
    }
  })

  it('drops a UTF-8 byte-order mark and reads an empty file as nothing', async () => {
    const bom = write('bom.jsonl', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"x": 1}\n{"x": 2}\n')]))
    expect((await readAll(bom, 4)).lines).toEqual(['{"x": 1}', '{"x": 2}'])
    const empty = write('empty.jsonl', '')
    expect(await readAll(empty, 8)).toMatchObject({ lines: [], chunks: 0 })
  })

  it('stops at an aborted signal and when the consumer leaves early', async () => {
    const many = write('many.jsonl', Array.from({ length: 2000 }, (_, i) => `{"i": ${i}}`).join('\n'))
    const ac = new AbortController()
    let seen = 0
    for await (const c of readLineChunks(many, { chunkBytes: 64, signal: ac.signal })) {
      seen += c.lines.length
      ac.abort()
    }
    expect(seen).toBeGreaterThan(0)
    expect(seen).toBeLessThan(100)
    expect(await firstLines(many, 3)).toEqual([
      { line: 1, text: '{"i": 0}' },
      { line: 2, text: '{"i": 1}' },
      { line: 3, text: '{"i": 2}' }
    ])
  })

  it('buffers kept from one file for the next: files one after another, two at once, and after one left early, each reads as itself', async () => {
    const file = (name: string, n: number) => {
      const lines = Array.from({ length: n }, (_, i) => `{"${name}": ${i}, "pad": "${name.repeat(i % 7)}"}`)
      return { path: write(`${name}.jsonl`, lines.join('\n') + '\n'), lines }
    }
    const a = file('a', 300)
    const b = file('b', 250)
    const c = file('c', 280)
    // Each chunk's lines copied out before the next is asked for, as the chunks' contract allows.
    const lines = async function* (path: string) {
      for await (const ch of readRawLineChunks(path, { chunkBytes: 512 })) {
        yield Array.from(ch.starts, (s, i) => ch.bytes.toString('utf8', s, ch.ends[i]))
      }
    }
    const all = async (path: string) => {
      const out: string[] = []
      for await (const ls of lines(path)) out.push(...ls)
      return out
    }
    expect(await all(a.path)).toEqual(a.lines)
    // Two files read at once on this thread: neither may be handed the other's buffers.
    const gb = lines(b.path)
    const gc = lines(c.path)
    const got = { b: [] as string[], c: [] as string[] }
    for (let doneB = false, doneC = false; !doneB || !doneC; ) {
      if (!doneB) {
        const r = await gb.next()
        if (r.done) doneB = true
        else got.b.push(...r.value)
      }
      if (!doneC) {
        const r = await gc.next()
        if (r.done) doneC = true
        else got.c.push(...r.value)
      }
    }
    expect(got.b).toEqual(b.lines)
    expect(got.c).toEqual(c.lines)
    // Left early, with the next block's read in flight: the next file still reads as itself.
    for await (const ls of lines(a.path)) {
      expect(ls.length).toBeGreaterThan(0)
      break
    }
    expect(await all(c.path)).toEqual(c.lines)
    expect(await all(b.path)).toEqual(b.lines)
  })

  it('cuts a file into line-aligned ranges whose lines, read apart, are the whole file\'s', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `{"i": ${i}, "t": "${'é'.repeat(i % 13)}${'x'.repeat((i * 7) % 50)}"}`)
    const text = '\ufeff' + rows.join('\n') + '\n'
    const path = write('ranges.jsonl', text)
    const size = Buffer.byteLength(text)
    for (const parts of [1, 2, 3, 7, 64]) {
      const ranges = await lineRanges(path, size, parts)
      expect(ranges[0]!.start).toBe(0)
      expect(ranges.at(-1)!.end).toBe(size)
      for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.start).toBe(ranges[i - 1]!.end)
      expect(ranges.length).toBe(parts)
      const got: string[] = []
      for (const range of ranges) {
        let n = 0
        for await (const c of readLineChunks(path, { chunkBytes: 1000, range })) {
          expect(c.firstLine).toBe(n + 1)
          n += c.lines.length
          got.push(...c.lines)
        }
      }
      expect(got).toEqual(rows)
    }
    // One long line: no cut can fall inside it.
    const long = write('long.jsonl', 'a'.repeat(300_000) + '\nb\n')
    expect(await lineRanges(long, 300_003, 4)).toEqual([{ start: 0, end: 300_001 }, { start: 300_001, end: 300_003 }])
  })
})
