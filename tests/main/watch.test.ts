import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { createBackend, type Backend } from '../../src/main/backend'
import { WorkspaceWatcher } from '../../src/main/watch'
import type { EventMap, EventName } from '../../src/shared/events'
import { tempDir } from '../helpers/tmp'

// Two connections to one workspace file, as `hicra serve` and a `hicra train` in a terminal have:
// what the other one commits comes out of this one's watcher as the usual events.
const tmp = tempDir()
let viewer: Backend
let writer: Backend
let watcher: WorkspaceWatcher
const got: { event: EventName; payload: EventMap[EventName] }[] = []
const alive = new Set<number>()

beforeAll(() => {
  const db = join(tmp.dir, 'watch.db')
  viewer = createBackend(db, { transport: 'cli' })
  writer = createBackend(db, { transport: 'cli' })
  watcher = new WorkspaceWatcher(viewer.ctx.store, viewer.ctx.events, viewer.ctx.jobs, { reapMs: 0, staleMs: 1000, isAlive: (pid) => alive.has(pid) })
  viewer.ctx.events.onAny((event, payload) => got.push({ event, payload }))
  watcher.start()
})
afterAll(() => {
  watcher.stop()
  viewer.close()
  writer.close()
  tmp.cleanup()
})

function take(): { event: EventName; payload: EventMap[EventName] }[] {
  return got.splice(0, got.length)
}

describe('the workspace watcher', () => {
  let runId = 0
  it('says nothing when nobody else wrote', () => {
    watcher.poll()
    watcher.poll()
    expect(take()).toEqual([])
  })

  it('turns a run created elsewhere into runs/changed', () => {
    runId = writer.ctx.store.runs.create({ name: 'elsewhere', kind: 'train', status: 'running' }).id
    watcher.poll()
    expect(take()).toEqual([{ event: 'runs/changed', payload: { runId, change: 'created' } }])
  })

  it('turns steps stored elsewhere into metrics/appended and train/step with that step\'s metrics', () => {
    writer.ctx.store.metrics.append(runId, [
      { step: 1, key: 'accuracy', value: 0.25 }, { step: 1, key: 'loss', value: 2 },
      { step: 2, key: 'accuracy', value: 0.5 }, { step: 2, key: 'loss', value: 1.5 }
    ])
    watcher.poll()
    expect(take()).toEqual([
      { event: 'metrics/appended', payload: { runId, steps: [1, 2] } },
      { event: 'train/step', payload: { runId, step: 2, metrics: { accuracy: 0.5, loss: 1.5 } } }
    ])
    writer.ctx.store.metrics.append(runId, [{ step: 3, key: 'accuracy', value: 0.75 }])
    watcher.poll()
    expect(take().map((e) => e.payload)).toEqual([{ runId, steps: [3] }, { runId, step: 3, metrics: { accuracy: 0.75 } }])
  })

  it('turns a status change into runs/changed, and a deleted run into a deletion', () => {
    writer.ctx.store.runs.update(runId, { status: 'completed' })
    watcher.poll()
    expect(take()).toEqual([{ event: 'runs/changed', payload: { runId, change: 'updated' } }])
    const other = writer.ctx.store.runs.create({ name: 'gone soon', kind: 'import' }).id
    watcher.poll()
    take()
    writer.ctx.store.runs.delete(other)
    watcher.poll()
    expect(take()).toEqual([{ event: 'runs/changed', payload: { runId: other, change: 'deleted' } }])
  })

  it('sends the progress of another process\'s job with a rate and an ETA', () => {
    const job = writer.ctx.store.jobs.create('train', { runId, unit: 'steps', total: 100 })
    // Rows carry their own update times; the rate comes from two of them. (The writer is another
    // process in real use; here it shares ours, so its pid is set to another one.)
    writer.ctx.store.db.prepare('UPDATE jobs SET done = 10, updated_at = ?, owner_pid = ? WHERE id = ?').run(job.updatedAt + 1000, process.pid + 1, job.id)
    watcher.poll()
    const first = take().filter((e) => e.event === 'jobs/progress')
    expect(first.at(-1)!.payload).toMatchObject({ jobId: job.id, runId, status: 'running', done: 10, total: 100, unit: 'steps' })
    writer.ctx.store.db.prepare('UPDATE jobs SET done = 30, updated_at = ? WHERE id = ?').run(job.updatedAt + 3000, job.id)
    watcher.poll()
    const p = take().find((e) => e.event === 'jobs/progress')!.payload as EventMap['jobs/progress']
    expect(p.done).toBe(30)
    // 20 steps in 2 s after 10 in the first second: the smoothed rate lies between the two.
    expect(p.rate).toBeGreaterThan(9.9)
    expect(p.rate).toBeLessThan(10.1)
    expect(p.etaSeconds).toBeCloseTo(70 / p.rate!, 6)
    writer.ctx.store.jobs.finish(job.id, 'completed')
    writer.ctx.store.db.prepare('UPDATE jobs SET updated_at = ? WHERE id = ?').run(job.updatedAt + 4000, job.id)
    watcher.poll()
    const end = take().find((e) => e.event === 'jobs/progress')!.payload as EventMap['jobs/progress']
    expect(end).toMatchObject({ status: 'completed', etaSeconds: null })
  })

  it('marks a live run of a process that died interrupted once it has been quiet, and says so', () => {
    const pid = 999_999
    alive.add(pid)
    const id = writer.ctx.store.runs.create({ name: 'killed', kind: 'train', status: 'running' }).id
    writer.ctx.store.runs.claim(id, pid)
    watcher.poll()
    take()
    alive.delete(pid)
    // Not yet quiet for staleMs: a process between its two first writes is never caught.
    watcher.poll()
    expect(viewer.ctx.store.runs.get(id)!.status).toBe('running')
    watcher.poll(Date.now() + 5000)
    expect(viewer.ctx.store.runs.get(id)!.status).toBe('interrupted')
    expect(take()).toContainEqual({ event: 'runs/changed', payload: { runId: id, change: 'updated' } })
  })

  it('does not announce this process\'s own live runs (their jobs do)', () => {
    const id = writer.ctx.store.runs.create({ name: 'ours', kind: 'train', status: 'running' }).id
    writer.ctx.store.runs.claim(id, process.pid)
    watcher.poll()
    take()
    writer.ctx.store.metrics.append(id, [{ step: 1, key: 'accuracy', value: 1 }])
    watcher.poll()
    expect(take()).toEqual([])
  })
})

describe('control of a run another process trains', () => {
  it('is requested through the workspace, read once by the trainer, and refused for a run nobody trains', async () => {
    const { requestControl, takeControl, trainerElsewhere } = await import('../../src/main/train/remote')
    const id = writer.ctx.store.runs.create({ name: 'terminal run', kind: 'train', status: 'running' }).id
    expect(trainerElsewhere(viewer.ctx.store.db, id, () => true)).toBeNull()
    writer.ctx.store.runs.claim(id, 424242)
    expect(trainerElsewhere(viewer.ctx.store.db, id, (pid) => pid === 424242)).toBe(424242)
    expect(trainerElsewhere(viewer.ctx.store.db, id, () => false)).toBeNull()
    requestControl(viewer.ctx.store.db, id, 'pause')
    requestControl(viewer.ctx.store.db, id, 'stop')
    // The latest request wins, and it is taken once.
    expect(takeControl(writer.ctx.store.db, id)).toBe('stop')
    expect(takeControl(writer.ctx.store.db, id)).toBeNull()
    writer.ctx.store.runs.update(id, { status: 'completed' })
    expect(trainerElsewhere(viewer.ctx.store.db, id, () => true)).toBeNull()
  })
})
