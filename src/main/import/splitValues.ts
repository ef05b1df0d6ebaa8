import { RecordExtractor } from './records'
import { scanFiles } from './scan'
import { listSources, SourceError, type ImportFormat, type ListOptions } from './sources'
import type { FieldMapping } from './mapping'

export type SplitValue = string | number | boolean | null

/**
 * The values a field takes over the rollouts of some files (`temperature` of records sampled at
 * several), for an import split into one run per value: a first reading that keeps only the
 * field. In order (numbers ascending, then strings, then rollouts without it).
 */
export async function splitValues(paths: readonly string[], format: ImportFormat | undefined, mapping: FieldMapping, field: string,
  opts: ListOptions = {}, signal?: AbortSignal): Promise<SplitValue[]> {
  const src = await listSources(paths, format, mapping, opts)
  const seen = new Map<string, SplitValue>()
  for await (const ev of scanFiles(src.files, { extractor: new RecordExtractor(mapping, [field]), signal })) {
    if (ev.type !== 'batch') continue
    for (const r of ev.rows) {
      const v = r.rec.extra?.[field] ?? null
      const k = JSON.stringify(v)
      if (!seen.has(k)) seen.set(k, v)
    }
  }
  const values = [...seen.values()]
  if (values.length === 0) throw new SourceError(`--split ${field}: no rollout could be read to split`, 'split')
  if (values.length === 1 && values[0] === null) throw new SourceError(`--split ${field}: no rollout has a field "${field}" (a number, string or boolean)`, 'split')
  const rank = (v: SplitValue) => (typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : typeof v === 'boolean' ? 2 : 3)
  return values.sort((a, b) => rank(a) - rank(b) || (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))))
}
