/**
 * Field mapping: which record field holds each part of a rollout. Each field has default names that
 * catch the common conventions (verl, OpenRLHF, TRL, evaluation harnesses); `--map field=path`
 * overrides one (a dotted path reaches into nested objects).
 */
export const MAP_FIELDS = [
  'step', 'prompt', 'prompt_id', 'response', 'score', 'correct', 'answer', 'gold',
  'tokens', 'token_offsets', 'logprobs', 'entropies', 'error_type', 'rollouts', 'entry', 'timestamp'
] as const
export type MapField = (typeof MAP_FIELDS)[number]
export type FieldMapping = Partial<Record<MapField, string>> & {
  /**
   * Only the rollouts whose kept field has this value, as JSON `[field, value]` (one run of an
   * import split by a field, `--split temperature`): set by the importer, not a field to map.
   */
  only?: string
}

export const DEFAULT_NAMES: Record<MapField, readonly string[]> = {
  step: ['step', 'global_step', 'training_step', 'iteration'],
  prompt: ['prompt', 'input', 'question', 'query', 'problem', 'instruction'],
  prompt_id: ['prompt_id', 'qid', 'idx', 'question_id', 'problem_id', 'uid', 'id'],
  response: ['response', 'output', 'completion', 'text', 'generation', 'responses', 'outputs', 'completions'],
  score: ['score', 'reward', 'scores', 'rewards'],
  correct: ['correct', 'acc', 'is_correct'],
  // `answer` last: evaluation files often use it for the gold answer beside a `pred` list.
  answer: ['pred', 'prediction', 'pred_token', 'extracted_answer', 'model_answer', 'answer'],
  gold: ['gold', 'gts', 'gt', 'ground_truth', 'gold_answer', 'target', 'reference'],
  tokens: ['tokens', 'response_tokens', 'token_strs'],
  token_offsets: ['token_offsets', 'offsets', 'offset_mapping'],
  logprobs: ['logprobs', 'log_probs', 'token_logprobs', 'old_log_probs'],
  entropies: ['entropies', 'entropy', 'token_entropies'],
  error_type: ['error_type', 'errorType'],
  rollouts: ['rollouts', 'samples', 'generations'],
  // One model's answer among several in a record: only ever named (--map entry=NAME, --each).
  entry: [],
  // When the record was written (timestamps.ts): the step's wall time is its latest record's. Not
  // `time`: loggers often write a duration there (seconds a generation took), which would make
  // every record a bad line; --map timestamp=time reads it where it is a point in time.
  timestamp: ['timestamp', '_timestamp', 'wall_time', 'created_at', 'datetime']
}

/**
 * Tells a JSON object that is one record (its first key a rollout field: a default name, or one
 * the mapping gives) from an object keyed by problem id.
 */
export function recordKeyTest(mapping: FieldMapping): (key: string) => boolean {
  const names = new Set<string>(Object.values(DEFAULT_NAMES).flat())
  for (const [k, v] of Object.entries(mapping)) if (v && k !== 'only') names.add(v.split('.')[0]!)
  return (k) => names.has(k)
}

/** Parses `--map k=v` pairs, naming the bad one. */
export function parseMapArgs(pairs: readonly string[]): FieldMapping {
  const out: FieldMapping = {}
  for (const p of pairs) {
    const eq = p.indexOf('=')
    if (eq <= 0 || eq === p.length - 1) throw new Error(`--map '${p}': expected FIELD=NAME, e.g. response=completion`)
    const k = p.slice(0, eq).trim().replace(/-/g, '_')
    if (!(MAP_FIELDS as readonly string[]).includes(k)) throw new Error(`--map '${p}': unknown field '${k}' (fields: ${MAP_FIELDS.join(', ')})`)
    out[k as MapField] = p.slice(eq + 1).trim()
  }
  return out
}

/** Validates a mapping object from the API (keys are fields, values field names or dotted paths). */
export function checkMapping(m: Record<string, string>): FieldMapping {
  for (const [k, v] of Object.entries(m)) {
    if (!(MAP_FIELDS as readonly string[]).includes(k)) throw new Error(`unknown mapping field '${k}' (fields: ${MAP_FIELDS.join(', ')})`)
    if (typeof v !== 'string' || v.trim() === '') throw new Error(`mapping '${k}' must name a field`)
  }
  return m as FieldMapping
}

type Rec = Record<string, unknown>

export function getPath(rec: Rec, path: string): unknown {
  if (path.indexOf('.') < 0) return rec[path]
  let cur: unknown = rec
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Rec)[part]
  }
  return cur
}

/**
 * Resolves fields lazily: a user path is used as given; a default is fixed at the first record that
 * has one of its names, so optional fields that only some records carry (error_type on failures)
 * are still found, and a resolved field costs one property read per record.
 */
export class FieldResolver {
  private readonly fixed = new Map<MapField, string>()
  private readonly open: MapField[]
  /** Every default name of the fields still open (see openNamesNow). */
  private openNames: Set<string>
  // Whether the last record asked about holds any open field's name. Most records hold none
  // (a verl line leaves eight fields open, over thirty names): one pass over the record's own
  // keys then answers every open field, instead of a missed property read per name.
  private lastRec: Rec | null = null
  private lastHasOpen = false
  // Whether the last record holds any of `watched` (found by the same pass over its keys).
  private lastHasWatched = false
  private readonly watched: ReadonlySet<string>
  private readonly names: Record<MapField, readonly string[]>
  /**
   * `more`: default names added at the end of some fields' lists (inside a model's entry, `solution` is its answer).
   * `watched`: names whose presence holdsWatched answers (the kept fields: most records hold none).
   */
  constructor(readonly user: FieldMapping, fields: readonly MapField[] = MAP_FIELDS, more: Partial<Record<MapField, readonly string[]>> = {}, watched: readonly string[] = []) {
    this.watched = new Set(watched)
    this.names = { ...DEFAULT_NAMES }
    for (const [f, extra] of Object.entries(more) as [MapField, readonly string[]][]) this.names[f] = [...DEFAULT_NAMES[f], ...extra]
    this.open = []
    for (const f of fields) {
      const u = user[f]
      if (u !== undefined) this.fixed.set(f, u)
      else this.open.push(f)
    }
    this.openNames = this.openNamesNow()
  }

  private openNamesNow(): Set<string> {
    return new Set(this.open.flatMap((f) => this.names[f]))
  }

  get(rec: Rec, field: MapField): unknown {
    const path = this.fixed.get(field)
    if (path !== undefined) return getPath(rec, path)
    if (rec !== this.lastRec) this.scan(rec)
    if (!this.lastHasOpen || !this.open.includes(field)) return undefined
    for (const name of this.names[field]) {
      if (rec[name] !== undefined) {
        this.fixed.set(field, name)
        this.open.splice(this.open.indexOf(field), 1)
        this.openNames = this.openNamesNow()
        return rec[name]
      }
    }
    return undefined
  }

  /** Whether `rec` holds any of the watched names. */
  holdsWatched(rec: Rec): boolean {
    if (rec !== this.lastRec) this.scan(rec)
    return this.lastHasWatched
  }

  // One pass over the record's own keys answers both questions; the flags are stored whatever they
  // are (a store reached only at a unit's first record had no feedback in V8's optimized code).
  private scan(rec: Rec): void {
    this.lastRec = rec
    let open = false
    let watched = false
    for (const k in rec) {
      if (this.openNames.has(k)) open = true
      if (this.watched.has(k)) watched = true
    }
    this.lastHasOpen = open
    this.lastHasWatched = watched
  }

  /** The mapping in effect so far (user paths and the defaults found). */
  resolved(): FieldMapping {
    return Object.fromEntries(this.fixed) as FieldMapping
  }
}
