/**
 * The desktop app's native file dialog (Electron only: a browser page cannot learn the server's
 * paths). What to pick, and the file filters offered; the answer is the chosen absolute paths,
 * empty when the dialog was dismissed.
 */
export type PickKind = 'files' | 'folders' | 'file'

export interface PickRequest {
  kind: PickKind
  title?: string
  /** e.g. [{ name: 'JSON Lines', extensions: ['jsonl'] }] */
  filters?: { name: string; extensions: string[] }[]
}

const KINDS: readonly PickKind[] = ['files', 'folders', 'file']

/** Checks a request that crossed the IPC boundary; names the bad part. */
export function checkPickRequest(v: unknown): PickRequest {
  if (v === null || typeof v !== 'object') throw new Error('pick: the request must be an object')
  const r = v as Record<string, unknown>
  if (!KINDS.includes(r.kind as PickKind)) throw new Error(`pick: kind must be one of ${KINDS.join(', ')}`)
  if (r.title !== undefined && (typeof r.title !== 'string' || r.title.length > 200)) throw new Error('pick: title must be a short string')
  if (r.filters !== undefined) {
    if (!Array.isArray(r.filters) || r.filters.length > 10) throw new Error('pick: filters must be a list of at most 10')
    for (const f of r.filters as unknown[]) {
      const ff = f as Record<string, unknown> | null
      if (!ff || typeof ff.name !== 'string' || !Array.isArray(ff.extensions) || !ff.extensions.every((e) => typeof e === 'string' && /^[\w*.-]{1,20}$/.test(e))) {
        throw new Error('pick: each filter is {name, extensions: [string]}')
      }
    }
  }
  return { kind: r.kind as PickKind, title: r.title as string | undefined, filters: r.filters as PickRequest['filters'] }
}

/** Electron's showOpenDialog properties for a kind. */
export function dialogProperties(kind: PickKind): ('openFile' | 'openDirectory' | 'multiSelections')[] {
  return kind === 'files' ? ['openFile', 'multiSelections'] : kind === 'folders' ? ['openDirectory', 'multiSelections'] : ['openFile']
}
