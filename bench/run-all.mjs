#!/usr/bin/env node
// `npm run bench`: every benchmark in turn, each printing its measured figures and its ratio
// against a reference timed in the same run. Benchmarks are never part of `npm test`.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const benches = ['core', 'train', 'import', 'ui']
let failed = 0
for (const name of benches) {
  const file = join(here, `${name}.bench.ts`)
  if (!existsSync(file)) continue
  console.log(`\n=== bench:${name} ===`)
  const r = spawnSync(process.execPath, ['--import', 'tsx', file, ...process.argv.slice(2)], { stdio: 'inherit' })
  if (r.status !== 0) {
    console.error(`bench:${name} exited with ${r.status}`)
    failed++
  }
}
process.exit(failed ? 1 : 0)
