#!/usr/bin/env node
// `hicra` runs the bundle in out/cli (npm run build) while it is newer than every source file,
// and otherwise the TypeScript sources through tsx, so it always matches the code in src/: the
// bundle only saves the half second tsx spends compiling on every start (and in every worker).
// HICRA_FROM_SOURCE=1 forces the sources.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bundle = join(root, 'out', 'cli', 'main.mjs')

function bundleIsFresh() {
  if (process.env.HICRA_FROM_SOURCE === '1' || !existsSync(bundle)) return false
  const built = statSync(bundle).mtimeMs
  if (statSync(join(root, 'package.json')).mtimeMs > built) return false
  for (const dir of ['src', 'resources']) {
    for (const f of readdirSync(join(root, dir), { recursive: true })) {
      if (statSync(join(root, dir, String(f))).mtimeMs > built) return false
    }
  }
  return true
}

// \`hicra export RUN | head\`: the reader closing the pipe ends the command quietly, as it does
// for Unix tools, instead of with an unhandled EPIPE stack trace.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0)
  throw e
})

let main
if (bundleIsFresh()) ({ main } = await import(pathToFileURL(bundle).href))
else {
  const { register } = await import('tsx/esm/api')
  register()
  ;({ main } = await import('../src/cli/main.ts'))
}
process.exitCode = await main(process.argv.slice(2))
