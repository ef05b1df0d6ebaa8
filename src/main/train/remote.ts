import type { Db } from '../store/open'
import { pidAlive } from '../store/pid'

// Pause, resume and stop of a run that another process trains (a `hicra train` in a terminal while
// the app has the workspace open). The request is written to the workspace (`settings`, key
// `train.control.<run>`); the process that trains the run reads it between steps, removes it and
// acts on it, the way it acts on its own Ctrl-C. Only one request per run is kept: the latest wins.

export type ControlAction = 'pause' | 'resume' | 'stop'
const ACTIONS: readonly string[] = ['pause', 'resume', 'stop']

const keyOf = (runId: number) => `train.control.${runId}`

/** The pid of the other live process that trains this run, or null (none, or this one). */
export function trainerElsewhere(db: Db, runId: number, isAlive: (pid: number) => boolean = pidAlive): number | null {
  const row = db.prepare("SELECT owner_pid FROM runs WHERE id = ? AND kind = 'train' AND status IN ('running', 'paused')").get(runId) as
    { owner_pid: number | null } | undefined
  const pid = row?.owner_pid ?? null
  return pid !== null && pid !== process.pid && isAlive(pid) ? pid : null
}

export function requestControl(db: Db, runId: number, action: ControlAction): void {
  db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(keyOf(runId), action)
}

/** The pending request for a run, removed as it is read; null when there is none. */
export function takeControl(db: Db, runId: number): ControlAction | null {
  const key = keyOf(runId)
  return db.transaction(() => {
    const v = db.prepare('SELECT value FROM settings WHERE key = ?').pluck().get(key) as string | undefined
    if (v === undefined) return null
    db.prepare('DELETE FROM settings WHERE key = ?').run(key)
    return ACTIONS.includes(v) ? (v as ControlAction) : null
  })()
}
