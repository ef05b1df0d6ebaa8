import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import type { SgCoverage, SgDiff, SgEvalResult, SgGram, SgSetDetail, SgSetSummary, SgVersionInfo } from '../../../shared/api/sg'
import type { RunSummary } from '../../../shared/api/runs'
import { normalizePhrase, validateGrams, type SgCategory, type SgSource } from '../../../core/strategicGrams'
import { invoke } from '../api/client'
import { ApiError } from '../../../shared/errors'

/** The name a set file gives itself: its "name" field, else the file name (as the core's parser does). */
function fileSetName(json: string, fileName?: string): string {
  try {
    const data = JSON.parse(json) as { name?: unknown }
    if (data && typeof data === 'object' && typeof data.name === 'string') return data.name
  } catch {
    // the server reports bad JSON; this is only a name guess
  }
  return (fileName ?? 'imported').replace(/^.*[\\/]/, '').replace(/\.json$/i, '')
}

/** One editor row; `key` keeps Vue's row identity stable while phrases are edited. */
export interface GramRow {
  key: number
  phrase: string
  category: SgCategory
  source: SgSource
  note?: string
}

let nextKey = 1
const toRow = (g: SgGram): GramRow => ({ key: nextKey++, ...g })
export const phraseKey = (p: string): string => normalizePhrase(p).join(' ')

/** A category guess for a pasted or mined phrase, from its opening words; the user can change it. */
export function guessCategory(phrase: string): SgCategory {
  const w = normalizePhrase(phrase)
  const has = (...xs: string[]) => xs.some((x) => w.includes(x))
  if (has('wait', 'hold', 'check', 'verify', 'mistake', 'wrong', 'confirm', 'recheck', 'actually')) return 'backtracing'
  if (has('alternatively', 'maybe', 'perhaps', 'another', 'instead', 'try', 'different', 'suppose')) return 'branching'
  return 'deduction'
}

/** Unsaved edits of a set, kept per set across navigation and restarts until saved or discarded. */
interface Draft {
  baseVersion: number
  grams: SgGram[]
}
const DRAFTS_KEY = 'hicra.sgDrafts'

function loadDrafts(): Record<string, Draft> {
  try {
    const v = JSON.parse(localStorage.getItem(DRAFTS_KEY) ?? '{}') as unknown
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, Draft>) : {}
  } catch {
    return {}
  }
}

export const useGramsStore = defineStore('grams', () => {
  const sets = ref<SgSetSummary[]>([])
  const loaded = ref(false)
  const detail = ref<SgSetDetail | null>(null)
  const rows = ref<GramRow[]>([])
  const versions = ref<SgVersionInfo[]>([])
  const diff = ref<SgDiff | null>(null)
  const runs = ref<RunSummary[]>([])
  const runIds = ref<number[]>([])
  const stepMin = ref<number | null>(null)
  const stepMax = ref<number | null>(null)
  const coverage = ref<SgCoverage | null>(null)
  const coverageBusy = ref(false)
  const evalResult = ref<SgEvalResult | null>(null)
  const error = ref<string | null>(null)
  const notice = ref<string | null>(null)

  const rowErrors = computed(() => {
    const map = new Map<number, string>()
    for (const e of validateGrams(rows.value.map(({ phrase, category, source }) => ({ phrase, category, source }))).errors) {
      // The core counts entries from 0; the editor numbers rows from 1.
      if (!map.has(e.index)) map.set(e.index, e.message.replace(/entry (\d+)/, (_m, n: string) => `row ${Number(n) + 1}`))
    }
    return map
  })
  const savedGrams = computed(() => detail.value?.grams ?? [])
  const dirty = computed(() => {
    const a = rows.value
    const b = savedGrams.value
    return a.length !== b.length || a.some((r, i) => r.phrase !== b[i]!.phrase || r.category !== b[i]!.category || r.source !== b[i]!.source ||
      (r.note ?? '') !== (b[i]!.note ?? ''))
  })
  const gramStats = computed(() => new Map((coverage.value?.gramStats ?? []).map((s) => [phraseKey(s.phrase), s])))
  const steps = computed(() => ({
    ...(stepMin.value !== null ? { stepMin: stepMin.value } : {}),
    ...(stepMax.value !== null ? { stepMax: stepMax.value } : {})
  }))

  async function guard<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      error.value = null
      return await fn()
    } catch (e) {
      error.value = (e as Error).message
      return undefined
    }
  }

  async function refresh() {
    await guard(async () => {
      sets.value = await invoke('sg/list', {})
      loaded.value = true
    })
  }

  async function loadRuns() {
    await guard(async () => { runs.value = await invoke('runs/list', {}) })
  }

  // Accepted or typed grams not yet saved: kept per set (switching sets, renaming, leaving the view,
  // closing the app lose nothing) until the draft is saved or discarded.
  const drafts = ref<Record<string, Draft>>(loadDrafts())
  const gramsOfRows = () => rows.value.map(({ phrase, category, source, note }) => (note ? { phrase, category, source, note } : { phrase, category, source }))
  function persistDrafts() {
    try { localStorage.setItem(DRAFTS_KEY, JSON.stringify(drafts.value)) } catch { /* storage full or off: the draft stays in memory */ }
  }
  watch([rows, dirty], () => {
    const d = detail.value
    if (!d) return
    const key = String(d.id)
    if (dirty.value) drafts.value = { ...drafts.value, [key]: { baseVersion: d.version, grams: gramsOfRows() } }
    else if (drafts.value[key]) { const { [key]: _gone, ...rest } = drafts.value; drafts.value = rest }
    else return
    persistDrafts()
  }, { deep: true })
  const unsavedSets = computed(() => Object.keys(drafts.value).map(Number))

  function dropDraft(id: number) {
    if (!drafts.value[String(id)]) return
    const { [String(id)]: _gone, ...rest } = drafts.value
    drafts.value = rest
    persistDrafts()
  }

  function show(d: SgSetDetail, opts: { keepDraft?: boolean } = {}) {
    const draft = opts.keepDraft === false ? undefined : drafts.value[String(d.id)]
    detail.value = d
    rows.value = (draft ? draft.grams : d.grams).map(toRow)
    diff.value = null
    if (draft) {
      notice.value = draft.baseVersion === d.version
        ? `restored your unsaved changes to '${d.name}' (${draft.grams.length} grams) — save the set to keep them`
        : `restored your unsaved changes to '${d.name}', made on version ${draft.baseVersion}; saving makes version ${d.version + 1} from them`
    }
  }

  async function open(id: number, opts: { keepDraft?: boolean } = {}) {
    await guard(async () => {
      show(await invoke('sg/get', { id }), opts)
      versions.value = await invoke('sg/versions', { id })
    })
  }

  async function afterWrite(d: SgSetDetail, message: string, opts: { keepDraft?: boolean } = {}) {
    show(d, opts)
    versions.value = await invoke('sg/versions', { id: d.id })
    sets.value = await invoke('sg/list', {})
    notice.value = message
  }

  const create = (name: string, grams: SgGram[] = []) => guard(async () => {
    const d = await invoke('sg/create', { name, grams })
    await afterWrite(d, `created '${d.name}'`)
  })
  const addDefault = () => guard(async () => {
    const def = await invoke('sg/default', {})
    const taken = new Set(sets.value.map((s) => s.name))
    let name = def.name
    for (let i = 2; taken.has(name); i++) name = `${def.name} ${i}`
    const d = await invoke('sg/create', { name, grams: def.grams, message: 'built-in default set' })
    await afterWrite(d, `added the built-in set as '${d.name}'`)
  })
  const duplicate = (name: string) => guard(async () => {
    if (!detail.value) return
    const d = await invoke('sg/duplicate', { id: detail.value.id, name })
    await afterWrite(d, `duplicated as '${d.name}'`)
  })
  const rename = (name: string) => guard(async () => {
    if (!detail.value) return
    await invoke('sg/rename', { id: detail.value.id, name })
    await open(detail.value.id)
    sets.value = await invoke('sg/list', {})
  })
  const remove = () => guard(async () => {
    if (!detail.value) return
    await invoke('sg/delete', { id: detail.value.id })
    dropDraft(detail.value.id)
    detail.value = null
    rows.value = []
    versions.value = []
    coverage.value = null
    sets.value = await invoke('sg/list', {})
  })
  const save = (message: string) => guard(async () => {
    if (!detail.value) return
    const grams = rows.value.map(({ phrase, category, source, note }) => (note ? { phrase, category, source, note } : { phrase, category, source }))
    const d = await invoke('sg/save', { id: detail.value.id, grams, message, baseVersion: detail.value.version })
    dropDraft(d.id)
    await afterWrite(d, `saved version ${d.version}`, { keepDraft: false })
  })
  const revert = (version: number) => guard(async () => {
    if (!detail.value) return
    const d = await invoke('sg/revert', { id: detail.value.id, version })
    dropDraft(d.id)
    await afterWrite(d, `reverted to version ${version} as version ${d.version}`, { keepDraft: false })
  })
  const showDiff = (from: number, to: number) => guard(async () => {
    if (!detail.value) return
    diff.value = await invoke('sg/diff', { id: detail.value.id, from, to })
  })
  /** Imports a set file; when its name is taken, imports it as "<name> 2", "<name> 3", … instead. */
  const importJson = (json: string, fileName?: string, name?: string) => guard(async () => {
    const req = { json, ...(fileName ? { fileName } : {}) }
    let d: SgSetDetail
    try {
      d = await invoke('sg/import', { ...req, ...(name ? { name } : {}) })
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 'conflict' && e.field === 'name')) throw e
      const base = name ?? fileSetName(json, fileName)
      const taken = new Set(sets.value.map((s) => s.name))
      let n = 2
      while (taken.has(`${base} ${n}`)) n++
      d = await invoke('sg/import', { ...req, name: `${base} ${n}` })
    }
    await afterWrite(d, `imported '${d.name}' (${d.gramCount} grams)`)
  })
  const exportJson = () => guard(async () => {
    if (!detail.value) return null
    return invoke('sg/export', { id: detail.value.id })
  })

  /** Summary of the draft against the saved version, used as the default save message. */
  function changeSummary(): string {
    const before = new Map(savedGrams.value.map((g) => [phraseKey(g.phrase), g]))
    const after = new Map(rows.value.map((g) => [phraseKey(g.phrase), g]))
    const added = [...after.keys()].filter((k) => !before.has(k))
    const removed = [...before.keys()].filter((k) => !after.has(k))
    const parts: string[] = []
    if (added.length) parts.push(`added ${added.slice(0, 3).map((k) => `"${k}"`).join(', ')}${added.length > 3 ? ` and ${added.length - 3} more` : ''}`)
    if (removed.length) parts.push(`removed ${removed.slice(0, 3).map((k) => `"${k}"`).join(', ')}${removed.length > 3 ? ` and ${removed.length - 3} more` : ''}`)
    return parts.length ? parts.join('; ') : 'edited grams'
  }

  function addRows(list: { phrase: string; category?: SgCategory; source?: SgSource }[], at?: number) {
    const made = list.map((g) => ({ key: nextKey++, phrase: g.phrase, category: g.category ?? guessCategory(g.phrase), source: g.source ?? 'manual' }))
    rows.value.splice(at ?? rows.value.length, 0, ...made)
    return made
  }

  /** Bulk paste: one phrase a line, optionally `phrase<TAB>category`. */
  function paste(text: string): number {
    const cats = new Set(['deduction', 'branching', 'backtracing', 'other'])
    const list = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '').map((line) => {
      const [phrase, cat] = line.split('\t')
      const c = cat?.trim().toLowerCase()
      return { phrase: phrase!.trim(), ...(c && cats.has(c) ? { category: c as SgCategory } : {}) }
    })
    addRows(list)
    return list.length
  }

  /** The saved grams the coverage preview compares the draft with: the head, or the previous version when nothing is unsaved. */
  async function baselinePhrases(): Promise<string[] | undefined> {
    const d = detail.value
    if (!d) return undefined
    if (dirty.value) return d.grams.map((g) => g.phrase)
    if (d.version > 1) return (await invoke('sg/get', { id: d.id, version: d.version - 1 })).grams.map((g) => g.phrase)
    return undefined
  }

  let coverageSeq = 0
  async function refreshCoverage() {
    if (runIds.value.length === 0 || !detail.value) {
      coverage.value = null
      return
    }
    const seq = ++coverageSeq
    coverageBusy.value = true
    try {
      const baseline = await baselinePhrases()
      const res = await invoke('sg/coverage', {
        phrases: rows.value.map((r) => r.phrase), ...(baseline ? { baseline } : {}), runIds: runIds.value, ...steps.value, samples: 6
      })
      if (seq === coverageSeq) {
        coverage.value = res
        error.value = null
      }
    } catch (e) {
      if (seq === coverageSeq) error.value = (e as Error).message
    } finally {
      if (seq === coverageSeq) coverageBusy.value = false
    }
  }

  /** Throws the unsaved changes of the open set away and shows its saved version. */
  const discard = () => guard(async () => {
    if (!detail.value) return
    const id = detail.value.id
    dropDraft(id)
    await open(id, { keepDraft: false })
    notice.value = 'discarded the unsaved changes'
  })

  const evaluate = (dirs: string[], useDraft: boolean) => guard(async () => {
    if (!detail.value) return
    evalResult.value = useDraft
      ? await invoke('sg/eval', { grams: rows.value.map((r) => r.phrase), dirs })
      : await invoke('sg/eval', { id: detail.value.id, dirs })
  })

  return {
    sets, loaded, detail, rows, versions, diff, runs, runIds, stepMin, stepMax, steps, coverage, coverageBusy, evalResult, error, notice,
    rowErrors, dirty, gramStats, unsavedSets, discard, refresh, loadRuns, open, create, addDefault, duplicate, rename, remove, save, revert, showDiff,
    importJson, exportJson, changeSummary, addRows, paste, refreshCoverage, evaluate, guard
  }
})
