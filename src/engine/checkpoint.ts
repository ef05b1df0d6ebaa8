import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import path from 'node:path'
import type { Adam } from './adam'
import type { Policy } from './model'
import { tf } from './tf'

// Checkpoints: the policy's weights and Adam's state (step, m, v) as one Float32 file plus a JSON
// manifest (names, shapes, and whatever the trainer needs to resume exactly: step, RNG state,
// metric baselines). Written to a temporary folder and renamed, so a killed process never leaves a
// half-written checkpoint behind.

export interface CheckpointManifest<S = unknown> {
  format: 1
  step: number
  tensors: { name: string; shape: number[] }[]
  adamStep: number | null
  state: S
}

const WEIGHTS = 'weights.bin'
const MANIFEST = 'checkpoint.json'

export function stepDir(root: string, step: number): string {
  return path.join(root, `step-${String(step).padStart(7, '0')}`)
}

export async function saveCheckpoint<S>(dir: string, step: number, policy: Policy, adam: Adam | null, state: S): Promise<string> {
  const tensors = [...policy.params.map((p) => ({ name: p.name, t: p.v }))]
  if (adam) {
    policy.params.forEach((p, i) => tensors.push({ name: `${p.name}#m`, t: adam.m[i] }))
    policy.params.forEach((p, i) => tensors.push({ name: `${p.name}#v`, t: adam.v[i] }))
  }
  const total = tensors.reduce((n, x) => n + x.t.size, 0)
  const data = new Float32Array(total)
  let off = 0
  for (const x of tensors) {
    data.set((await x.t.data()) as Float32Array, off)
    off += x.t.size
  }
  const manifest: CheckpointManifest<S> = {
    format: 1,
    step,
    tensors: tensors.map((x) => ({ name: x.name, shape: x.t.shape })),
    adamStep: adam ? adam.step : null,
    state
  }
  const tmp = `${dir}.tmp-${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp, { recursive: true })
  writeFileSync(path.join(tmp, WEIGHTS), Buffer.from(data.buffer, data.byteOffset, data.byteLength))
  writeFileSync(path.join(tmp, MANIFEST), JSON.stringify(manifest))
  rmSync(dir, { recursive: true, force: true })
  renameSync(tmp, dir)
  return dir
}

export function readManifest<S>(dir: string): CheckpointManifest<S> {
  return JSON.parse(readFileSync(path.join(dir, MANIFEST), 'utf8')) as CheckpointManifest<S>
}

/** Loads weights (and Adam's state when `adam` is given and the checkpoint has it) in place. */
export function loadCheckpoint<S>(dir: string, policy: Policy, adam: Adam | null): CheckpointManifest<S> {
  const manifest = readManifest<S>(dir)
  const buf = readFileSync(path.join(dir, WEIGHTS))
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength))
  const byName = new Map<string, { off: number; shape: number[] }>()
  let off = 0
  for (const t of manifest.tensors) {
    byName.set(t.name, { off, shape: t.shape })
    off += t.shape.reduce((a, b) => a * b, 1)
  }
  if (off !== data.length) throw new Error(`checkpoint ${dir} is corrupt: ${data.length} values for ${off} expected`)
  const assign = (name: string, v: import('./tf').Variable) => {
    const e = byName.get(name)
    if (!e) throw new Error(`checkpoint ${dir} has no tensor '${name}'`)
    if (e.shape.join('x') !== v.shape.join('x')) {
      throw new Error(`checkpoint tensor '${name}' has shape ${e.shape.join('x')}, the model expects ${v.shape.join('x')}`)
    }
    v.assign(tf.tensor(data.subarray(e.off, e.off + v.size), v.shape))
  }
  tf.tidy(() => {
    policy.params.forEach((p) => assign(p.name, p.v))
    if (adam && manifest.adamStep !== null) {
      policy.params.forEach((p, i) => {
        assign(`${p.name}#m`, adam.m[i])
        assign(`${p.name}#v`, adam.v[i])
      })
      adam.step = manifest.adamStep
    }
  })
  return manifest
}

/** The newest complete checkpoint folder under `root`, or null. */
export function latestCheckpoint(root: string): string | null {
  if (!existsSync(root)) return null
  const dirs = readdirSync(root)
    .filter((d) => /^step-\d+$/.test(d) && existsSync(path.join(root, d, MANIFEST)))
    .sort()
  return dirs.length ? path.join(root, dirs[dirs.length - 1]) : null
}

/** Keeps the newest `keep` checkpoints under `root`. */
export function pruneCheckpoints(root: string, keep: number): void {
  if (!existsSync(root)) return
  const dirs = readdirSync(root).filter((d) => /^step-\d+$/.test(d)).sort()
  for (const d of dirs.slice(0, Math.max(0, dirs.length - keep))) rmSync(path.join(root, d), { recursive: true, force: true })
}
