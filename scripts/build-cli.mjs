// Bundles the `hicra` CLI and the worker threads it starts into out/cli/ (npm run build). The
// CLI then starts in a fifth of the time it takes to compile the TypeScript sources through tsx
// on every run, and each worker thread likewise; bin/hicra.mjs uses the bundle only while it is
// newer than every source file, and tsx otherwise. Packages stay external (node_modules), so
// native modules and the tfjs backends load as they do from source.
import { build } from 'esbuild'
import { rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
// --outdir DIR (relative to the root, two levels down like out/cli so package.json is found the
// same way): bench:import bundles into its own folder, which a concurrent `npm run build` or
// source edit cannot swap under a running benchmark.
const at = process.argv.indexOf('--outdir')
const outdir = at >= 0 ? process.argv[at + 1] : 'out/cli'
// Chunk names change with their content: without a clean folder, old ones pile up.
rmSync(join(root, outdir), { recursive: true, force: true })
await build({
  absWorkingDir: root,
  entryPoints: {
    main: 'src/cli/main.ts',
    // Names the modules look for next to themselves (import.meta.url).
    analyzeWorker: 'src/main/import/analyzeWorkerMain.ts',
    importWorker: 'src/main/import/importWorkerMain.ts',
    checkpointWorker: 'src/main/store/checkpointWorkerMain.ts',
    worker: 'src/engine/worker.ts'
  },
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning'
})
