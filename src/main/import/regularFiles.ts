import { lstat, readlink, stat } from 'node:fs/promises'
import { constants, type Stats } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { basename } from 'node:path'

// Imports read regular files only. A FIFO would block the reader forever (and with it every later
// file read of `hicra serve`), a device such as /dev/zero never ends, a symbolic link loop fails
// to open: each is named and left out, and the other files are imported.

/** What a path is, when it is not a regular file, in words for the summary. */
export function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder'
  if (st.isFIFO()) return 'a named pipe (FIFO)'
  if (st.isCharacterDevice()) return 'a character device'
  if (st.isBlockDevice()) return 'a block device'
  if (st.isSocket()) return 'a socket'
  return 'not a regular file'
}

export type Entry = { kind: 'file'; size: number } | { kind: 'dir' } | { kind: 'missing' } | { kind: 'other'; why: string }

/**
 * Looks at a path without opening it: a regular file (through symbolic links), a folder, nothing
 * there, or something else with a reason (`a named pipe (FIFO)`, `a symbolic link loop`, …).
 */
export async function classify(path: string): Promise<Entry> {
  let st: Stats
  try {
    st = await stat(path)
  } catch (err) {
    return describeStatError(path, err as NodeJS.ErrnoException)
  }
  if (st.isFile()) return { kind: 'file', size: st.size }
  if (st.isDirectory()) return { kind: 'dir' }
  return { kind: 'other', why: kindOf(st) }
}

async function describeStatError(path: string, err: NodeJS.ErrnoException): Promise<Entry> {
  if (err.code === 'ELOOP') {
    const target = await readlink(path).catch(() => null)
    const self = target !== null && basename(target) === basename(path)
    return { kind: 'other', why: self ? `a symbolic link to itself (${target})` : `a symbolic link loop${target ? ` (via ${target})` : ''}` }
  }
  if (err.code === 'ENOENT' || err.code === 'ENOTDIR') {
    // The path itself may exist as a link whose target does not.
    const l = await lstat(path).catch(() => null)
    if (l?.isSymbolicLink()) {
      const target = await readlink(path).catch(() => '?')
      return { kind: 'other', why: `a symbolic link to ${target}, which does not exist` }
    }
    return { kind: 'missing' }
  }
  if (err.code === 'EACCES' || err.code === 'EPERM') return { kind: 'other', why: 'not readable by this user (permission denied)' }
  return { kind: 'other', why: `unreadable (${err.code ?? err.message})` }
}

/** A file that turned out not to be a regular one when it was opened (it changed since it was listed). */
export class NotRegularFile extends Error {
  constructor(readonly path: string, readonly why: string) {
    super(`${path} is ${why}, not a regular file: only regular files are read`)
    this.name = 'NotRegularFile'
  }
}

/**
 * Opens a file for reading only if it is a regular file. O_NONBLOCK makes opening a FIFO return at
 * once instead of waiting for a writer, and the handle's own stat is checked before any read, so a
 * path swapped for a FIFO or a device after it was listed is refused, never read.
 */
export async function openRegular(path: string): Promise<FileHandle> {
  let fh: FileHandle
  try {
    fh = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  } catch (err) {
    const e = await describeStatError(path, err as NodeJS.ErrnoException)
    if (e.kind === 'other') throw new NotRegularFile(path, e.why)
    throw err
  }
  const st = await fh.stat()
  if (!st.isFile()) {
    await fh.close()
    throw new NotRegularFile(path, kindOf(st))
  }
  return fh
}

/** Why a regular file cannot be read (opened and closed at once), or null when it can. */
export async function unreadable(path: string): Promise<string | null> {
  try {
    await (await openRegular(path)).close()
    return null
  } catch (err) {
    if (err instanceof NotRegularFile) return err.why
    const e = err as NodeJS.ErrnoException
    return e.code === 'EACCES' || e.code === 'EPERM' ? 'not readable by this user (permission denied)' : `unreadable (${e.code ?? e.message})`
  }
}
