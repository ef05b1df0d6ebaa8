import { open } from 'node:fs/promises'
import { createHash, type Hash } from 'node:crypto'

/** A run of whole lines read from one file. */
export interface LineChunk {
  lines: string[]
  /** 1-based line number of lines[0] in the file. */
  firstLine: number
  /** Bytes of the file consumed so far (through the end of this chunk's last line). */
  bytesDone: number
}

export interface ReadOptions {
  chunkBytes?: number
  signal?: AbortSignal
  /** Fed every byte of the file in order (content hash while streaming). */
  hash?: Hash
}

const DEFAULT_CHUNK = 1 << 20

/**
 * Streams a file as chunks of whole lines in constant memory. The next block of the file is read
 * while the consumer works on the lines just yielded (on one thread, waiting for each read cost
 * about 5% of an analysis), into a block buffer of `chunkBytes`; its bytes join the partial line
 * left over in the line buffer (grown only for a single line longer than what it holds). Lines
 * are cut at newline bytes, so a UTF-8 character never straddles two decodes. `\r\n` endings are
 * accepted.
 */
export async function* readLineChunks(path: string, opts: ReadOptions = {}): AsyncGenerator<LineChunk> {
  const fh = await open(path, 'r')
  try {
    const block = Buffer.allocUnsafe(opts.chunkBytes ?? DEFAULT_CHUNK)
    let buf = Buffer.allocUnsafe(block.length * 2)
    let filled = 0
    let position = 0
    let consumed = 0
    let lineNo = 1
    let eof = false
    // Closing the handle (finally) waits for a read still in flight.
    let pending = fh.read(block, 0, block.length, 0)
    while (!eof) {
      if (opts.signal?.aborted) return
      const { bytesRead } = await pending
      if (bytesRead === 0) eof = true
      else {
        if (filled + bytesRead > buf.length) {
          // A line longer than the buffer holds: grow it (the only growth there is).
          const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, filled + bytesRead))
          buf.copy(bigger, 0, 0, filled)
          buf = bigger
        }
        block.copy(buf, filled, 0, bytesRead)
        opts.hash?.update(buf.subarray(filled, filled + bytesRead))
        filled += bytesRead
        position += bytesRead
        pending = fh.read(block, 0, block.length, position)
      }
      const end = eof ? filled : buf.lastIndexOf(10, filled - 1) + 1
      if (end === 0 && !eof) continue
      if (eof && filled === 0) break
      // Each line is decoded on its own: one non-ASCII character in a chunk decoded whole would
      // make every line of it a two-byte string, slowing JSON.parse and every scan after it.
      const lines: string[] = []
      let pos = 0
      // A UTF-8 byte-order mark (editors on Windows write one) is not part of the first line.
      if (consumed === 0 && end >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3
      while (pos < end) {
        let nl = buf.indexOf(10, pos)
        if (nl < 0 || nl >= end) nl = end
        const stop = nl > pos && buf[nl - 1] === 13 ? nl - 1 : nl
        lines.push(buf.toString('utf8', pos, stop))
        pos = nl + 1
      }
      consumed += end
      yield { lines, firstLine: lineNo, bytesDone: consumed }
      lineNo += lines.length
      buf.copy(buf, 0, end, filled)
      filled -= end
    }
  } finally {
    await fh.close()
  }
}

/** SHA-256 of a file, streamed. */
export async function hashFile(path: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256')
  const fh = await open(path, 'r')
  try {
    const buf = Buffer.allocUnsafe(DEFAULT_CHUNK)
    for (;;) {
      if (signal?.aborted) throw new Error('cancelled')
      const { bytesRead } = await fh.read(buf, 0, buf.length, null)
      if (bytesRead === 0) break
      h.update(buf.subarray(0, bytesRead))
    }
  } finally {
    await fh.close()
  }
  return h.digest('hex')
}

/** The first `n` non-empty lines of a file (reads at most `maxBytes`). */
export async function firstLines(path: string, n: number, maxBytes = 8 << 20): Promise<{ line: number; text: string }[]> {
  const out: { line: number; text: string }[] = []
  let read = 0
  for await (const chunk of readLineChunks(path, { chunkBytes: 1 << 20 })) {
    for (let i = 0; i < chunk.lines.length && out.length < n; i++) {
      if (chunk.lines[i].trim() !== '') out.push({ line: chunk.firstLine + i, text: chunk.lines[i] })
    }
    read = chunk.bytesDone
    if (out.length >= n || read >= maxBytes) break
  }
  return out
}
