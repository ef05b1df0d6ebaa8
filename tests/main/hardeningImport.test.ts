import { describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createBackend } from '../../src/main/backend'
import { importResult, startImport, type ImportSummary } from '../../src/main/import/importer'
import { hashFile, readLineChunks } from '../../src/main/import/lineChunks'
import { NotRegularFile } from '../../src/main/import/regularFiles'
import { listSources } from '../../src/main/import/sources'
import { RecordExtractor, RecordError, type RolloutRec } from '../../src/main/import/records'
import { testBackend } from '../helpers/backend'

// #16, the importer's bad-input suite: special files (a FIFO, /dev/zero), symbolic link loops,
// over-long lines, numbers out of range, invalid UTF-8, two imports of one dump at once.
const FIX = resolve(__dirname, '..', 'fixtures', 'import')
const SG = join(FIX, 'sg.json')
const t = testBackend('hard.db', 'hicra-hardening-')
const { ok } = t
const count = (sql: string, ...p: unknown[]) => t.backend.ctx.store.db.prepare(sql).pluck().get(...p) as number

async function importAll(req: Record<string, unknown>): Promise<ImportSummary> {
  const { jobId } = await ok<{ jobId: number }>('import/start', req)
  return importResult(jobId)!
}

/**
 * A folder holding a good verl step file (its content made unique, so no other test's import
 * holds it already) and whatever `extra` adds beside it.
 */
function dump(name: string, extra: (dir: string) => void): string {
  const dir = join(t.dir, name)
  mkdirSync(dir)
  writeFileSync(join(dir, '1.jsonl'), readFileSync(join(FIX, 'verl', '1.jsonl'), 'utf8').trimEnd() + `\n{"input":"${name}","output":"unique","score":0}\n`)
  extra(dir)
  return dir
}
const goodRollouts = readFileSync(join(FIX, 'verl', '1.jsonl'), 'utf8').split('\n').filter((l) => {
  try {
    const r = JSON.parse(l)
    return typeof r.output === 'string' && typeof r.score === 'number'
  } catch {
    return false
  }
}).length + 1

const line = (step: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ input: 'p1', output: 'We can use the fact that 2 + 2 = 4.', score: 1, step, ...extra })

describe('import: only regular files are read', () => {
  it.skipIf(process.platform === 'win32')('a FIFO in the folder is named and left out, never opened; the other files are imported', async () => {
    const dir = dump('fifo', (d) => execFileSync('mkfifo', [join(d, '2.jsonl')]))
    const s = await importAll({ paths: [dir], sg: SG })
    expect(s.rollouts).toBe(goodRollouts)
    expect(s.files.map((f) => f.path)).toEqual([join(dir, '1.jsonl')])
    expect(s.notes.join('\n')).toContain('left out 2.jsonl: a named pipe (FIFO)')
  }, 20_000)

  it.skipIf(!existsSync('/dev/zero'))('a symbolic link to /dev/zero is left out as a device (no endless read)', async () => {
    const dir = dump('zero', (d) => symlinkSync('/dev/zero', join(d, '2.jsonl')))
    const s = await importAll({ paths: [dir], sg: SG })
    expect(s.rollouts).toBe(goodRollouts)
    expect(s.notes.join('\n')).toContain('left out 2.jsonl: a character device')
    // Given by itself, it is named too, not read.
    await expect(listSources([join(dir, '2.jsonl')], undefined)).rejects.toThrow(/2\.jsonl: a character device, not a regular file/)
  }, 20_000)

  it.skipIf(process.platform === 'win32')('a file swapped for a FIFO after it was listed is refused when opened, never waited on', async () => {
    const d = join(t.dir, 'swapped')
    mkdirSync(d)
    execFileSync('mkfifo', [join(d, 'x.jsonl')])
    const read = async () => {
      for await (const c of readLineChunks(join(d, 'x.jsonl'))) void c
    }
    await expect(read()).rejects.toThrow(/x\.jsonl is a named pipe \(FIFO\), not a regular file/)
    await expect(hashFile(join(d, 'x.jsonl'))).rejects.toThrow(NotRegularFile)
  }, 20_000)

  it('symbolic link loops are per-file: named, left out, the good file beside them imported', async () => {
    const dir = dump('loops', (d) => {
      symlinkSync('self.jsonl', join(d, 'self.jsonl'))
      symlinkSync('b.jsonl', join(d, 'a.jsonl'))
      symlinkSync('a.jsonl', join(d, 'b.jsonl'))
      symlinkSync('nowhere.jsonl', join(d, 'dangling.jsonl'))
    })
    const s = await importAll({ paths: [dir], sg: SG })
    expect(s.rollouts).toBe(goodRollouts)
    const notes = s.notes.join('\n')
    expect(notes).toContain('left out self.jsonl: a symbolic link to itself')
    expect(notes).toMatch(/left out a\.jsonl: a symbolic link loop/)
    expect(notes).toContain('left out dangling.jsonl: a symbolic link to nowhere.jsonl, which does not exist')
    expect(notes).not.toMatch(/ELOOP|at .*\.ts/)
  })

  it('a self-referencing symbolic link given as the path says what it is, not "does not exist"', async () => {
    const p = join(t.dir, 'me.jsonl')
    symlinkSync('me.jsonl', p)
    const e = await t.fails('import/start', { paths: [p] })
    expect(e.message).toContain('a symbolic link to itself')
    expect(e.message).not.toContain('does not exist')
    expect(count("SELECT count(*) FROM runs WHERE kind = 'import' AND name LIKE 'me%'")).toBe(0)
  })
})

describe('import: the line cap', () => {
  it('a line over --max-line-mb is a bad line with file:line; the lines around it are imported', async () => {
    const dir = join(t.dir, 'long')
    mkdirSync(dir)
    const huge = JSON.stringify({ input: 'p1', output: 'x'.repeat(3 << 20), score: 1 })
    writeFileSync(join(dir, 'long.jsonl'), [line(1), huge, line(1)].join('\n') + '\n')
    const s = await importAll({ paths: [join(dir, 'long.jsonl')], sg: SG, maxLineMb: 1 })
    expect(s.rollouts).toBe(2)
    expect(s.bad.map((b) => `${b.file}:${b.line}:${b.kind}`)).toEqual(['long.jsonl:2:line too long'])
    expect(s.bad[0]!.message).toMatch(/holds 3\.0 MB, over the 1\.0 MB a line may hold/)
    // Under the default cap (64 MB) it is read.
    writeFileSync(join(dir, 'long2.jsonl'), [line(2), huge, line(2)].join('\n') + '\n')
    const again = await importAll({ paths: [join(dir, 'long2.jsonl')], sg: SG })
    expect(again.bad).toEqual([])
    expect(again.rollouts).toBe(3)
  })

  it('one huge line without a newline is skipped in bounded memory', async () => {
    const p = join(t.dir, 'oneline.jsonl')
    writeFileSync(p, Buffer.alloc(48 << 20, 0x61))
    const base = process.memoryUsage().arrayBuffers
    let peak = 0
    const chunks = []
    for await (const c of readLineChunks(p, { maxLineBytes: 1 << 20 })) {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - base)
      chunks.push(c)
    }
    expect(chunks).toHaveLength(1)
    expect(chunks[0]!.lines).toEqual([''])
    expect(chunks[0]!.overlong).toEqual([{ line: 1, bytes: 48 << 20 }])
    // Two 1 MB blocks and a line buffer of at most the cap plus a block; the file is 48 MB.
    expect(peak).toBeLessThan(16 << 20)
  })

  it('lines longer than the cap inside one block are caught too, with their numbers', async () => {
    const p = join(t.dir, 'mixed.jsonl')
    writeFileSync(p, ['short', 'y'.repeat(5000), 'short again', 'z'.repeat(5000)].join('\n'))
    const got: { lines: string[]; overlong?: { line: number; bytes: number }[] }[] = []
    for await (const c of readLineChunks(p, { maxLineBytes: 1000, chunkBytes: 1 << 12 })) got.push(c)
    expect(got.flatMap((c) => c.lines)).toEqual(['short', '', 'short again', ''])
    expect(got.flatMap((c) => c.overlong ?? [])).toEqual([{ line: 2, bytes: 5000 }, { line: 4, bytes: 5000 }])
  })
})

describe('import: the cap on one record of a JSON document', () => {
  it('a record over --max-line-mb in a JSON array is a bad line with its line; the records around it are imported', async () => {
    const dir = join(t.dir, 'longjson')
    mkdirSync(dir)
    const rec = (o: string) => JSON.stringify({ input: 'pj', output: o, score: 1 })
    writeFileSync(join(dir, 'arr.json'), '[\n' + [rec('one a b'), rec('x'.repeat(3 << 20)), rec('three c d')].join(',\n') + '\n]\n')
    const s = await importAll({ paths: [join(dir, 'arr.json')], sg: SG, maxLineMb: 1 })
    expect(s.rollouts).toBe(2)
    expect(s.bad.map((b) => `${b.file}:${b.line}:${b.kind}`)).toEqual(['arr.json:3:line too long'])
    expect(s.bad[0]!.message).toMatch(/record holds 3\.0 MB, over the 1\.0 MB a record may hold/)
  })

  it('one huge record is never held whole: the splitter keeps memory bounded', async () => {
    const { readJsonElements } = await import('../../src/main/import/jsonElements')
    const p = join(t.dir, 'huge.json')
    writeFileSync(p, '[{"output": "' + 'a'.repeat(48 << 20) + '"}, {"output": "small"}]')
    const base = process.memoryUsage().arrayBuffers
    let peak = 0
    const texts: string[] = []
    const over: { line: number; bytes: number }[] = []
    for await (const c of readJsonElements(p, { maxElementBytes: 1 << 20 })) {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - base)
      texts.push(...c.texts)
      over.push(...(c.overlong ?? []))
    }
    expect(texts).toEqual(['{"output": "small"}'])
    expect(over).toEqual([{ line: 1, bytes: (48 << 20) + 14 }])
    expect(peak).toBeLessThan(16 << 20)
  })
})

describe('import: numbers, one rule for every field', () => {
  const ex = new RecordExtractor({})
  const one = (rec: unknown): RolloutRec | RecordError => {
    const out: RolloutRec[] = []
    try {
      ex.extract(rec, null, out, () => undefined)
    } catch (e) {
      return e as RecordError
    }
    return out[0]!
  }
  it('steps are integers from 0 to 2^53 − 1: 1e300 is out of range', () => {
    const e = one({ output: 'a', score: 1, step: 1e300 }) as RecordError
    expect(e.kind).toBe('out of range')
    expect(e.message).toContain('2^53 − 1')
    expect((one({ output: 'a', score: 1, step: 2 ** 53 }) as RecordError).kind).toBe('out of range')
    expect((one({ output: 'a', score: 1, step: Number.MAX_SAFE_INTEGER }) as RolloutRec).step).toBe(Number.MAX_SAFE_INTEGER)
    expect((one({ output: 'a', score: 1, step: 2.5 }) as RecordError).kind).toBe('wrong type')
  })
  it('"step": "2" and "score": "1" are read alike; text that is no number is refused alike', () => {
    const r = one({ output: 'a', score: '1', step: '2', correct: '1' }) as RolloutRec
    expect([r.step, r.score, r.correct]).toEqual([2, 1, true])
    expect((one({ output: 'a', score: 0.5, logprobs: ['-0.5', -1] }) as RolloutRec).logprobs).toEqual([-0.5, -1])
    const bad = one({ output: 'a', score: 'high' }) as RecordError
    expect(bad.kind).toBe('wrong type')
    expect((one({ output: 'a', score: 1, step: 'two' }) as RecordError).kind).toBe('wrong type')
  })
  it('1e400 is out of range, not "must be a number, got number"', () => {
    const e = one(JSON.parse('{"output": "a", "score": 1e400}')) as RecordError
    expect(e.kind).toBe('out of range')
    expect(e.message).not.toContain('got number')
    expect(e.message).toContain('too large for a 64-bit float')
    expect((one(JSON.parse('{"output": "a", "score": 1, "entropies": [0.1, 1e400]}')) as RecordError).kind).toBe('out of range')
  })
  it('in an import, such lines are bad lines with file:line', async () => {
    const p = join(t.dir, 'numbers.jsonl')
    writeFileSync(p, [line(1), line(1e300), line('2', { score: '1' }), '{"input":"p1","output":"a","score":1e400,"step":1}'].join('\n') + '\n')
    const s = await importAll({ paths: [p], sg: SG })
    expect(s.rollouts).toBe(2)
    expect(s.bad.map((b) => `${b.line}:${b.kind}`)).toEqual(['2:out of range', '4:out of range'])
    expect(s.steps).toBe(2)
  })
})

describe('import: invalid UTF-8', () => {
  it('is kept (as U+FFFD) and the lines affected are counted and reported', async () => {
    const p = join(t.dir, 'latin1.jsonl')
    const bad = Buffer.concat([Buffer.from('{"input":"p1","output":"caf'), Buffer.from([0xe9]), Buffer.from('","score":1,"step":1}')])
    const genuine = JSON.stringify({ input: 'p1', output: 'a real \uFFFD here', score: 1, step: 1 })
    writeFileSync(p, Buffer.concat([Buffer.from(line(1) + '\n'), bad, Buffer.from('\n' + genuine + '\n'), bad, Buffer.from('\n')]))
    const s = await importAll({ paths: [p], sg: SG })
    expect(s.rollouts).toBe(4)
    expect(s.notes.join('\n')).toContain('latin1.jsonl: 2 lines hold bytes that are not UTF-8 (the first at line 2)')
    const texts = t.backend.ctx.store.db.prepare('SELECT response FROM rollouts WHERE run_id = ? ORDER BY id').pluck().all(s.runId) as string[]
    expect(texts[1]).toBe('caf\uFFFD')
  })
})

describe('import: the same dump imported twice at once ends as one run', () => {
  it('two imports racing on one connection', async () => {
    const dir = dump('race1', (d) => writeFileSync(join(d, '2.jsonl'), readFileSync(join(FIX, 'verl', '2.jsonl'))))
    const [a, b] = await Promise.all([importAll({ paths: [dir], sg: SG }), importAll({ paths: [dir], sg: SG })])
    const runs = count("SELECT count(*) FROM runs WHERE kind = 'import' AND source LIKE ?", `%${dir}%`)
    expect(runs).toBe(1)
    expect(count('SELECT count(*) FROM import_files f JOIN runs r ON r.id = f.run_id WHERE r.source LIKE ?', `%${dir}%`)).toBe(2)
    expect([a.alreadyImported, b.alreadyImported].filter((x) => x !== null)).toHaveLength(1)
    expect(new Set([a.runId, b.runId]).size).toBe(1)
  })

  it('two processes (two connections to one workspace file)', async () => {
    const dir = dump('race2', (d) => writeFileSync(join(d, '2.jsonl'), readFileSync(join(FIX, 'verl', '2.jsonl'), 'utf8') + '{"input":"r2","output":"x","score":1}\n'))
    const other = createBackend(t.backend.ctx.store.path, { transport: 'cli' })
    try {
      const [x, y] = await Promise.all([startImport(t.backend.ctx, { paths: [dir], sg: SG }), startImport(other.ctx, { paths: [dir], sg: SG })])
      const [a, b] = await Promise.all([x.done, y.done])
      expect(count("SELECT count(*) FROM runs WHERE kind = 'import' AND source LIKE ?", `%${dir}%`)).toBe(1)
      const hashes = t.backend.ctx.store.db.prepare('SELECT content_hash FROM import_files f JOIN runs r ON r.id = f.run_id WHERE r.source LIKE ?').pluck().all(`%${dir}%`)
      expect(hashes).toHaveLength(2)
      expect(new Set(hashes).size).toBe(2)
      expect(a.runId).toBe(b.runId)
      const kept = t.backend.ctx.store.runs.get(a.runId!)!
      expect(kept.status).toBe('imported')
      expect(kept.rollouts).toBe(a.alreadyImported === null ? a.rollouts : b.rollouts)
    } finally {
      other.close()
    }
  })
})

describe('import: telling JSON Lines from a JSON document past the first 64 KB', () => {
  // The format probe reads 64 KB first and the first 1 MB only where that cannot decide.
  let n = 0
  const tmpDir = () => {
    const d = join(t.dir, `probe-${n++}`)
    mkdirSync(d)
    return d
  }
  const rec = (i: number, words: number) => JSON.stringify({ prompt: `p${i}`, response: 'wait let me check '.repeat(words), score: 1 })
  it('a .json file of JSON Lines whose first line is 200 KB long is read as lines', async () => {
    const dir = tmpDir()
    writeFileSync(join(dir, 'long.json'), [rec(0, 11_000), rec(1, 3), rec(2, 3)].join('\n') + '\n')
    const src = await listSources([join(dir, 'long.json')], undefined)
    expect(src.files[0]!.container).toBe('lines')
    expect(src.layout).toBe('JSON Lines')
  })
  it('a .json document of one object over 200 KB on its first line, with more after it, is one document', async () => {
    const dir = tmpDir()
    writeFileSync(join(dir, 'doc.json'), `{"rollouts": [${rec(0, 11_000)},\n${rec(1, 3)}]}\n`)
    const src = await listSources([join(dir, 'doc.json')], undefined)
    expect(src.files[0]!.container).toBe('json')
  })
  it('a .json file of JSON Lines whose second line starts just past 64 KB is read as lines', async () => {
    const dir = tmpDir()
    // The first line ends a few bytes short of 64 KB: the line after it lies past the first probe.
    let first = rec(0, 1)
    first = JSON.stringify({ prompt: 'p0', response: 'x'.repeat((64 << 10) - 40 - first.length), score: 1 })
    writeFileSync(join(dir, 'edge.json'), [first, rec(1, 3)].join('\n') + '\n')
    const src = await listSources([join(dir, 'edge.json')], undefined)
    expect(src.files[0]!.container).toBe('lines')
  })
})
