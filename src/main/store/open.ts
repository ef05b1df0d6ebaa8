import Database from 'better-sqlite3'
import { accessSync, chmodSync, closeSync, constants, existsSync, mkdirSync, openSync, readSync, statSync, type Stats } from 'node:fs'
import { dirname } from 'node:path'
import { LATEST_SCHEMA_VERSION, migrations, type Migration } from './migrations'
import { StoreError } from './errors'

export type Db = Database.Database

/** 'HICR' in ASCII: lets us tell our databases from other SQLite files before touching them. */
export const APPLICATION_ID = 0x48494352

export interface OpenOptions {
  /** Path of an Electron-ABI build of better-sqlite3 (the desktop app); the Node build otherwise. */
  nativeBinding?: string
  readonly?: boolean
  /** Stop migrating at this version (tests of upgrades); defaults to the latest. */
  targetVersion?: number
}

const SQLITE_HEADER = 'SQLite format 3\u0000'

/** What a path that exists but is no regular file is, in words. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory'
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device'
  if (st.isFIFO()) return 'a named pipe (FIFO)'
  if (st.isSocket()) return 'a socket'
  return 'not a regular file'
}

/**
 * A workspace is one regular file. A directory or a device given as --db is refused before SQLite
 * sees it (on /dev/null it would leave a /dev/null-journal behind).
 */
function checkRegular(path: string): boolean {
  let st
  try {
    st = statSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw new StoreError('io', path, `cannot open ${path}: ${(err as Error).message}`)
  }
  if (!st.isFile()) {
    throw new StoreError('io', path, `${path} is ${kindOf(st)}, not a workspace database file; it was left untouched. ` +
      'Give the path of a database file (an existing workspace, or a new name in a folder) with --db.')
  }
  return true
}

const writable = (p: string) => {
  try {
    accessSync(p, constants.W_OK)
    return true
  } catch {
    return false
  }
}

/**
 * The workspace holds the judge's API key and every imported response: readable by its owner only.
 * SQLite creates -wal and -shm with the main file's mode, so 0600 on the file covers them; files an
 * older version left 0644 are narrowed too (where we own them).
 */
function restrictMode(path: string): void {
  for (const p of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if ((statSync(p).mode & 0o077) !== 0) chmodSync(p, 0o600)
    } catch {
      // missing, or not ours to change: SQLite's own errors say more if it matters
    }
  }
}

function checkHeader(path: string): void {
  const size = statSync(path).size
  if (size === 0) return
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.alloc(16)
    const n = readSync(fd, buf, 0, 16, 0)
    if (n < 16 || buf.toString('latin1') !== SQLITE_HEADER) {
      throw new StoreError('corrupt', path,
        `${path} is not an SQLite database (bad file header); it was left untouched. ` +
        'Pick another file with --db, or restore it from a backup.')
    }
  } finally {
    closeSync(fd)
  }
}

function describeSqliteError(path: string, err: unknown): StoreError {
  const code = (err as { code?: string }).code ?? ''
  const msg = err instanceof Error ? err.message : String(err)
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return new StoreError('corrupt', path,
      `${path} is damaged (${msg}); it was left untouched. Restore it from a backup or open another file.`)
  }
  if (code === 'SQLITE_READONLY_DIRECTORY' || code === 'SQLITE_CANTOPEN') {
    return new StoreError('io', path, `cannot open ${path}: ${msg}. A workspace in WAL mode needs ${path}-shm beside it, ` +
      'so its folder must be writable (or that file must exist); copy the workspace to a writable folder to read it.')
  }
  return new StoreError('io', path, `cannot open ${path}: ${msg}`)
}

export function applyMigration(db: Db, m: Migration): void {
  db.transaction(() => {
    db.exec(m.sql)
    db.pragma(`user_version = ${m.version}`)
  })()
}

/** Page size of new workspaces (bytes). */
export const PAGE_SIZE = 16384

/**
 * Opens (creating if needed) a workspace database and brings its schema up to date. Refuses, without
 * writing a byte, a file that is not SQLite, is damaged, belongs to another application, or was
 * written by a newer version of the workbench.
 */
export function openDatabase(path: string, opts: OpenOptions = {}): Db {
  const isMemory = path === ':memory:'
  const existed = !isMemory && checkRegular(path)
  if (existed) {
    checkHeader(path)
    // A workspace we may not write (a read-only file, or a folder where the WAL cannot be made) is
    // opened for reading: listing and exporting work, changes are refused with a message.
    if (!opts.readonly && (!writable(path) || (!existsSync(`${path}-wal`) && !writable(dirname(path))))) {
      return openDatabase(path, { ...opts, readonly: true })
    }
    if (!opts.readonly) restrictMode(path)
  } else if (!isMemory && !opts.readonly) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    try {
      // Created empty with mode 0600 before SQLite opens it (an empty file is a new database).
      closeSync(openSync(path, 'wx', 0o600))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new StoreError('io', path, `cannot create ${path}: ${(err as Error).message}`)
    }
  }

  let db: Db
  try {
    db = new Database(path, {
      readonly: opts.readonly ?? false,
      fileMustExist: opts.readonly ?? false,
      ...(opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {})
    })
  } catch (err) {
    throw describeSqliteError(path, err)
  }

  try {
    let version: number
    let appId: number
    let tables: number
    try {
      version = db.pragma('user_version', { simple: true }) as number
      appId = db.pragma('application_id', { simple: true }) as number
      tables = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n
    } catch (err) {
      throw describeSqliteError(path, err)
    }
    if (appId !== APPLICATION_ID && (appId !== 0 || tables > 0)) {
      throw new StoreError('foreign', path,
        `${path} is an SQLite database of another application (no HICRA Workbench schema); it was left untouched.`)
    }
    if (version > LATEST_SCHEMA_VERSION) {
      throw new StoreError('newer_version', path,
        `${path} was written by a newer HICRA Workbench (schema version ${version}; this version knows up to ` +
        `${LATEST_SCHEMA_VERSION}). Upgrade the workbench to open it; the file was left untouched.`)
    }
    if (opts.readonly) {
      if (tables === 0) throw new StoreError('io', path, `${path} is read-only and holds no workspace yet: nothing to read. It was left untouched.`)
      if (version < LATEST_SCHEMA_VERSION) {
        throw new StoreError('io', path, `${path} is read-only and has an older schema (version ${version}; this version needs ` +
          `${LATEST_SCHEMA_VERSION}); make it writable once so it can be upgraded. It was left untouched.`)
      }
      return db
    }

    // A new workspace gets 16 KB pages (set before its first write; an existing one keeps its own):
    // a verl response of about 2 KB fills a 4 KB page alone as often as not, so with 4 KB pages
    // an import wrote ~25% more pages and its writer took ~30% more CPU (measured, docs/import.md).
    if (tables === 0 && version === 0) db.pragma(`page_size = ${PAGE_SIZE}`)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    db.pragma('busy_timeout = 5000')
    if (appId === 0) db.pragma(`application_id = ${APPLICATION_ID}`)
    const target = opts.targetVersion ?? LATEST_SCHEMA_VERSION
    for (const m of migrations) {
      if (m.version > version && m.version <= target) applyMigration(db, m)
    }
    return db
  } catch (err) {
    db.close()
    throw err
  }
}
