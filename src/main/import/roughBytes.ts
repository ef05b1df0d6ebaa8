import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * The bytes of the paths and of the files directly in the folders among them, counted up to
 * `enough`: a cheap first look, before the sources are listed, at whether worker threads will be
 * wanted (they take ~130 ms to boot, so they start meanwhile). Errors count nothing: the listing
 * names the problem.
 */
export async function roughBytes(paths: readonly string[], enough: number): Promise<{ bytes: number; files: number }> {
  let bytes = 0
  let files = 0
  for (const p of paths) {
    try {
      const st = await stat(p)
      if (st.isFile()) {
        bytes += st.size
        files++
      } else if (st.isDirectory()) {
        for (const e of await readdir(p, { withFileTypes: true })) {
          if (!e.isFile()) continue
          bytes += (await stat(join(p, e.name))).size
          files++
          if (bytes > enough && files > 1) break
        }
      }
    } catch {
      // listSources names the problem.
    }
    if (bytes > enough && files > 1) break
  }
  return { bytes, files }
}
