import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Command } from '../command'
import { parse, intOption } from '../args'
import { defaultDbPath } from '../paths'
import { createBackend } from '../../main/backend'
import { defaultRendererDir, startHttpServer } from '../../main/server/http'

// The folder with package.json above this file: three up from the source, two from the bundle.
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 5 && !existsSync(join(dir, 'package.json')); i++) dir = dirname(dir)
  return dir
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve the app and its API on 127.0.0.1 (for browsers, remote GPU boxes, machines without a display)',
  usage: `hicra serve [--db FILE] [--port N] [--backend NAME]

Serves the built app and the same API the desktop app uses on 127.0.0.1 only, guarded by a random
token. Open the printed URL (it carries the token). Stop with Ctrl-C.

  --db FILE       workspace database (default: ${defaultDbPath()})
  --port N        port to listen on (default: a free one)
  --backend NAME  force a tfjs backend for training: tensorflow-gpu, tensorflow, wasm, cpu`,
  async run(argv) {
    const { values } = parse(argv, { db: { type: 'string' }, port: { type: 'string' }, backend: { type: 'string' } }, false)
    if (values.help) {
      console.log(this.usage)
      return 0
    }
    const db = values.db ?? defaultDbPath()
    const backend = createBackend(db, { transport: 'http', forcedBackend: values.backend })
    const rendererDir = defaultRendererDir(projectRoot())
    const server = await startHttpServer(backend, { port: intOption(values.port, 'port', 0, 65535), rendererDir })
    if (!rendererDir) console.error('warning: the app is not built (out/renderer is missing): run `npm run build`; the API is served anyway')
    console.log(`HICRA Workbench serving ${db}`)
    console.log(server.url)
    await new Promise<void>((done) => {
      const stop = () => done()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
    await server.close()
    backend.close()
    return 0
  }
}
