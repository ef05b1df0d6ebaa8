import type { Db } from './open'
import { ApiError } from '../../shared/errors'
import type { SgDiff, SgGram, SgSetDetail, SgSetSummary, SgVersionInfo } from '../../shared/api/sg'
import { normalizePhrase, validateGrams } from '../../core/strategicGrams'

interface SetRow {
  id: number
  name: string
  note: string
  created_at: number
  updated_at: number
  head_version: number
  gram_count: number
}

interface GramRow {
  phrase: string
  category: SgGram['category']
  source: SgGram['source']
  note: string | null
}

const SUMMARY_SELECT = `
SELECT s.*, (SELECT count(*) FROM sg_grams g WHERE g.set_id = s.id AND g.version = s.head_version) AS gram_count
FROM sg_sets s`

const toSummary = (r: SetRow): SgSetSummary => ({
  id: r.id,
  name: r.name,
  note: r.note,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  headVersion: r.head_version,
  gramCount: r.gram_count
})

/** The key two phrases are compared by (SPEC §2): their normalized words. */
export const phraseKey = (phrase: string): string => normalizePhrase(phrase).join(' ')

/**
 * Checks grams with the core's rules and throws one invalid_argument error listing every bad
 * entry with its index; `field` names the first one (e.g. `grams.3.phrase`).
 */
export function assertValidGrams(grams: readonly SgGram[], field = 'grams'): void {
  const { errors } = validateGrams(grams)
  if (errors.length === 0) return
  const lines = errors.slice(0, 20).map((e) => `entry ${e.index} "${e.phrase}": ${e.message}`)
  if (errors.length > 20) lines.push(`… and ${errors.length - 20} more`)
  throw new ApiError('invalid_argument', `${errors.length} bad Strategic Gram${errors.length === 1 ? '' : 's'}: ${lines.join('; ')}`,
    `${field}.${errors[0]!.index}.phrase`)
}

function cleanGram(g: SgGram): SgGram {
  const out: SgGram = { phrase: g.phrase.trim(), category: g.category, source: g.source }
  if (g.note !== undefined && g.note !== '') out.note = g.note
  return out
}

/**
 * Strategic Gram sets with full history: every save writes a new version (its grams and a message)
 * and moves the head; old versions stay for diff and revert. Rejected mining candidates are kept by
 * normalized phrase.
 */
export class SgSetsRepo {
  constructor(private readonly db: Db) {}

  list(): SgSetSummary[] {
    return (this.db.prepare(`${SUMMARY_SELECT} ORDER BY lower(s.name), s.id`).all() as SetRow[]).map(toSummary)
  }

  summary(id: number): SgSetSummary | null {
    const row = this.db.prepare(`${SUMMARY_SELECT} WHERE s.id = ?`).get(id) as SetRow | undefined
    return row ? toSummary(row) : null
  }

  byName(name: string): SgSetSummary | null {
    const row = this.db.prepare(`${SUMMARY_SELECT} WHERE s.name = ?`).get(name) as SetRow | undefined
    return row ? toSummary(row) : null
  }

  private must(id: number, field = 'id'): SgSetSummary {
    const s = this.summary(id)
    if (!s) throw new ApiError('not_found', `Strategic Gram set ${id} does not exist`, field)
    return s
  }

  private grams(id: number, version: number): SgGram[] {
    const rows = this.db.prepare('SELECT phrase, category, source, note FROM sg_grams WHERE set_id = ? AND version = ? ORDER BY ord')
      .all(id, version) as GramRow[]
    return rows.map((r) => (r.note === null ? { phrase: r.phrase, category: r.category, source: r.source }
      : { phrase: r.phrase, category: r.category, source: r.source, note: r.note }))
  }

  /** The set at `version` (default: its head). */
  get(id: number, version?: number): SgSetDetail {
    const s = this.must(id)
    const v = version ?? s.headVersion
    const row = this.db.prepare('SELECT message FROM sg_set_versions WHERE set_id = ? AND version = ?').get(id, v) as { message: string } | undefined
    if (!row) throw new ApiError('not_found', `set '${s.name}' has no version ${v} (head is ${s.headVersion})`, 'version')
    const grams = this.grams(id, v)
    return { ...s, version: v, message: row.message, grams, gramCount: grams.length }
  }

  private assertFreeName(name: string, except?: number): void {
    const other = this.byName(name)
    if (other && other.id !== except) throw new ApiError('conflict', `a Strategic Gram set named '${name}' already exists`, 'name')
  }

  private writeVersion(id: number, grams: readonly SgGram[], message: string): number {
    const now = Date.now()
    const { head } = this.db.prepare('SELECT head_version AS head FROM sg_sets WHERE id = ?').get(id) as { head: number }
    const version = head + 1
    this.db.prepare('INSERT INTO sg_set_versions (set_id, version, created_at, message) VALUES (?, ?, ?, ?)').run(id, version, now, message)
    const ins = this.db.prepare('INSERT INTO sg_grams (set_id, version, ord, phrase, category, source, note) VALUES (?, ?, ?, ?, ?, ?, ?)')
    grams.forEach((g, i) => ins.run(id, version, i, g.phrase, g.category, g.source, g.note ?? null))
    this.db.prepare('UPDATE sg_sets SET head_version = ?, updated_at = ? WHERE id = ?').run(version, now, id)
    return version
  }

  create(name: string, grams: readonly SgGram[] = [], opts: { note?: string; message?: string } = {}): SgSetDetail {
    const clean = grams.map(cleanGram)
    assertValidGrams(clean)
    const id = this.db.transaction(() => {
      this.assertFreeName(name)
      const now = Date.now()
      const info = this.db.prepare('INSERT INTO sg_sets (name, note, created_at, updated_at, head_version) VALUES (?, ?, ?, ?, 0)')
        .run(name, opts.note ?? '', now, now)
      const setId = Number(info.lastInsertRowid)
      this.writeVersion(setId, clean, opts.message ?? 'created')
      return setId
    })()
    return this.get(id)
  }

  /** A new version with these grams; `baseVersion` guards against overwriting a newer save. */
  save(id: number, grams: readonly SgGram[], message: string, baseVersion?: number): SgSetDetail {
    const clean = grams.map(cleanGram)
    assertValidGrams(clean)
    this.db.transaction(() => {
      const s = this.must(id)
      if (baseVersion !== undefined && baseVersion !== s.headVersion) {
        throw new ApiError('conflict', `set '${s.name}' was saved as version ${s.headVersion} since you opened version ${baseVersion}; reload it`, 'baseVersion')
      }
      this.writeVersion(id, clean, message)
    })()
    return this.get(id)
  }

  duplicate(id: number, name: string, version?: number): SgSetDetail {
    const src = this.get(id, version)
    return this.create(name, src.grams, { note: src.note, message: `duplicated from '${src.name}' version ${src.version}` })
  }

  rename(id: number, name: string): SgSetSummary {
    this.db.transaction(() => {
      this.must(id)
      this.assertFreeName(name, id)
      this.db.prepare('UPDATE sg_sets SET name = ?, updated_at = ? WHERE id = ?').run(name, Date.now(), id)
    })()
    return this.summary(id)!
  }

  delete(id: number): void {
    this.must(id)
    this.db.transaction(() => {
      // sg_grams cascade from sg_set_versions, which cascade from sg_sets.
      this.db.prepare('DELETE FROM sg_grams WHERE set_id = ?').run(id)
      this.db.prepare('DELETE FROM sg_set_versions WHERE set_id = ?').run(id)
      this.db.prepare('DELETE FROM sg_sets WHERE id = ?').run(id)
    })()
  }

  versions(id: number): SgVersionInfo[] {
    this.must(id)
    const rows = this.db.prepare(`SELECT v.version, v.created_at, v.message,
        (SELECT count(*) FROM sg_grams g WHERE g.set_id = v.set_id AND g.version = v.version) AS gram_count
      FROM sg_set_versions v WHERE v.set_id = ? ORDER BY v.version DESC`).all(id) as
      { version: number; created_at: number; message: string; gram_count: number }[]
    return rows.map((r) => ({ version: r.version, createdAt: r.created_at, message: r.message, gramCount: r.gram_count }))
  }

  diff(id: number, from: number, to: number): SgDiff {
    const a = this.get(id, from).grams
    const b = this.get(id, to).grams
    const ma = new Map(a.map((g) => [phraseKey(g.phrase), g]))
    const mb = new Map(b.map((g) => [phraseKey(g.phrase), g]))
    const added = b.filter((g) => !ma.has(phraseKey(g.phrase)))
    const removed = a.filter((g) => !mb.has(phraseKey(g.phrase)))
    const changed: SgDiff['changed'] = []
    for (const g of b) {
      const old = ma.get(phraseKey(g.phrase))
      if (old && (old.phrase !== g.phrase || old.category !== g.category || old.source !== g.source || (old.note ?? '') !== (g.note ?? ''))) {
        changed.push({ from: old, to: g })
      }
    }
    return { from, to, added, removed, changed }
  }

  /** Revert = a new version equal to an old one; history is never rewritten. */
  revert(id: number, version: number, message?: string): SgSetDetail {
    const old = this.get(id, version)
    return this.save(id, old.grams, message ?? `reverted to version ${version}`)
  }

  reject(phrases: readonly string[]): string[] {
    const keys = [...new Set(phrases.map(phraseKey).filter((k) => k !== ''))]
    const ins = this.db.prepare('INSERT OR IGNORE INTO sg_rejected (phrase_norm, created_at) VALUES (?, ?)')
    const now = Date.now()
    this.db.transaction(() => { for (const k of keys) ins.run(k, now) })()
    return keys
  }

  unreject(phrases: readonly string[]): string[] {
    const keys = [...new Set(phrases.map(phraseKey))]
    const del = this.db.prepare('DELETE FROM sg_rejected WHERE phrase_norm = ?')
    this.db.transaction(() => { for (const k of keys) del.run(k) })()
    return keys
  }

  rejected(): string[] {
    return this.db.prepare('SELECT phrase_norm FROM sg_rejected ORDER BY phrase_norm').pluck().all() as string[]
  }
}
