import smoke from '../../../resources/experiments/smoke.json'
import paperMini from '../../../resources/experiments/paper-mini.json'
import alphaSweep from '../../../resources/experiments/alpha-sweep.json'
import weakBase from '../../../resources/experiments/weak-base.json'
import type { ExperimentPreset } from '../../shared/api/experiments'
import { expandGrid, parseSpec, type ExperimentSpec } from './spec'

// The built-in grids (resources/experiments/*.json), bundled like the task resources so the CLI
// bundle and the app need no files beside them.
const raw: Record<string, unknown> = { smoke, 'paper-mini': paperMini, 'alpha-sweep': alphaSweep, 'weak-base': weakBase }

export const PRESET_NAMES = Object.keys(raw)

export function presetSpec(name: string): ExperimentSpec | null {
  const r = Object.hasOwn(raw, name) ? raw[name] : undefined
  return r === undefined ? null : parseSpec(r, `resources/experiments/${name}.json`)
}

export function presetList(): ExperimentPreset[] {
  return PRESET_NAMES.map((name) => {
    const spec = presetSpec(name)!
    const cells = expandGrid(spec)
    return {
      name,
      description: spec.description,
      arms: [...new Set(cells.map((c) => c.arm))],
      seeds: spec.seeds,
      runs: cells.length,
      stepsPerRun: Math.max(...cells.map((c) => c.config.steps))
    }
  })
}
