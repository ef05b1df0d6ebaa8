import { afterAll, describe, expect, it, vi } from 'vitest'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { createBackend } from '../../src/main/backend'
import { openStore, StoreError } from '../../src/main/store'
import { main } from '../../src/cli/main'
import { tempDir } from '../helpers/tmp'

// #16: the workspace file and what --db may be (modes, directories, devices, read-only files),
// and `hicra serve` on a busy port.
const tmp = tempDir('hicra-hardening-store-')
afterAll(tmp.cleanup)
const root = resolve(__dirname, '..', '..')
const mode = (p: string) => statSync(p).mode & 0o777

/** Runs `hicra` in process; what it printed to stdout and stderr, and its exit code. */
async function hicra(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')))
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')))
  try {
    const code = await main(argv)
    return { code, out: out.join('\n'), err: err.join('\n') }
  } finally {
    log.mockRestore()
    error.mockRestore()
  }
}

describe.skipIf(process.platform === 'win32')('the workspace file is its owner\'s only', () => {
  it('a new workspace and its -wal and -shm are mode 0600, its new folder 0700', () => {
    const dir = join(tmp.dir, 'fresh', 'nested')
    const db = join(dir, 'w.db')
    const store = openStore(db)
    store.runs.create({ name: 'x', kind: 'import' })
    for (const p of [db, `${db}-wal`, `${db}-shm`]) expect(mode(p), p).toBe(0o600)
    expect(mode(dir)).toBe(0o700)
    store.close()
  })

  it('a workspace an older version left 0644 is narrowed to 0600 when opened for writing', () => {
    const db = join(tmp.dir, 'old.db')
    openStore(db).close()
    chmodSync(db, 0o644)
    const store = openStore(db)
    store.runs.create({ name: 'x', kind: 'import' })
    expect(mode(db)).toBe(0o600)
    expect(mode(`${db}-wal`)).toBe(0o600)
    store.close()
  })
})

describe('--db that is no workspace file', () => {
  it('a directory: a message naming it, no stack, nothing written', async () => {
    const dir = join(tmp.dir, 'a-folder')
    mkdirSync(dir)
    expect(() => openStore(dir)).toThrow(StoreError)
    const r = await hicra('runs', 'list', '--db', dir)
    expect(r.code).toBe(1)
    expect(r.err).toContain(`${dir} is a directory, not a workspace database file`)
    expect(r.err).not.toMatch(/\n\s+at /)
    expect(existsSync(`${dir}-journal`) || existsSync(`${dir}-wal`)).toBe(false)
  })

  it.skipIf(!existsSync('/dev/null'))('a device (/dev/null): refused before SQLite sees it, no /dev/null-journal left behind', async () => {
    const before = existsSync('/dev/null-journal') || existsSync('/dev/null-wal')
    const r = await hicra('runs', 'list', '--db', '/dev/null')
    expect(r.code).toBe(1)
    expect(r.err).toContain('/dev/null is a device, not a workspace database file')
    if (!before) expect(existsSync('/dev/null-journal') || existsSync('/dev/null-wal')).toBe(false)
  })
})

describe.skipIf(process.platform === 'win32')('a read-only workspace', () => {
  it('read-only commands work on it; a change is refused with a message, not a stack', () => {
    const dir = join(tmp.dir, 'ro')
    mkdirSync(dir)
    const db = join(dir, 'w.db')
    const store = openStore(db)
    store.runs.create({ name: 'kept', kind: 'import', status: 'importing' })
    store.close()
    // As root, file modes do not bind: the commands then run as nobody, who may read the file
    // (0444) in a folder anyone may write (for its -shm), like a shared workspace.
    chmodSync(db, 0o444)
    chmodSync(dir, 0o777)
    chmodSync(tmp.dir, 0o755)
    const asRoot = process.getuid?.() === 0
    const run = (...argv: string[]) => spawnSync(process.execPath, [join(root, 'bin', 'hicra.mjs'), ...argv, '--db', db],
      { cwd: root, encoding: 'utf8', ...(asRoot ? { uid: 65534, gid: 65534 } : {}), env: { ...process.env, HOME: dir } })
    const list = run('runs', 'list', '--json')
    expect(list.stderr).toBe('')
    expect(list.status).toBe(0)
    // Shown as it is: a read-only open does not mark the run interrupted.
    expect(JSON.parse(list.stdout)).toMatchObject([{ name: 'kept', status: 'importing' }])
    const rename = run('runs', 'rename', '1', 'changed')
    expect(rename.status).toBe(1)
    expect(rename.stderr).toContain('read-only')
    expect(rename.stderr).not.toMatch(/\n\s+at /)
    const again = openStore(db, { readonly: true })
    expect(again.runs.get(1)!.name).toBe('kept')
    again.close()
  }, 60_000)
})

describe('hicra serve --port with the port taken', () => {
  it('says the port is taken and how to pick another', async () => {
    const blocker = createServer()
    const port = await new Promise<number>((r) => blocker.listen(0, '127.0.0.1', () => r((blocker.address() as { port: number }).port)))
    try {
      const r = await hicra('serve', '--db', join(tmp.dir, 'serve.db'), '--port', String(port))
      expect(r.code).toBe(1)
      expect(r.err).toContain(`port ${port} is taken`)
      expect(r.err).toContain('--port')
      expect(r.err).not.toMatch(/\n\s+at |EADDRINUSE/)
      // The workspace was closed again: it opens for writing at once.
      const b = createBackend(join(tmp.dir, 'serve.db'), { transport: 'cli' })
      b.close()
    } finally {
      blocker.close()
    }
  })

  it('warns when run as root', async () => {
    if (process.getuid?.() !== 0) return
    const blocker = createServer()
    const port = await new Promise<number>((r) => blocker.listen(0, '127.0.0.1', () => r((blocker.address() as { port: number }).port)))
    try {
      const r = await hicra('serve', '--db', join(tmp.dir, 'serve.db'), '--port', String(port))
      expect(r.err).toMatch(/runs as root.*read any file/)
    } finally {
      blocker.close()
    }
  })
})
