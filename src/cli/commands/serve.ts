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

Whoever holds the token can use the app with the file access of the user running \`hicra serve\`
(the import dialog reads any file that user can read): run it as an ordinary user, never as root.

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
    const port = intOption(values.port, 'port', 0, 65535)
    if (process.getuid?.() === 0) {
      console.error('warning: hicra serve runs as root: whoever has the token can read any file on this machine through the app. ' +
        'Run it as an ordinary user.')
    }
    const backend = createBackend(db, { transport: 'http', forcedBackend: values.backend })
    const rendererDir = defaultRendererDir(projectRoot())
    let server
    try {
      server = await startHttpServer(backend, { port, rendererDir })
    } catch (err) {
      backend.close()
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EADDRINUSE') {
        console.error(`hicra serve: port ${port} is taken (another program listens on 127.0.0.1:${port}). ` +
          'Pick another with --port N, or leave --port out to get a free one.')
        return 1
      }
      if (code === 'EACCES') {
        console.error(`hicra serve: port ${port} needs privileges this user does not have; pick one above 1023 with --port N, or leave --port out.`)
        return 1
      }
      throw err
    }
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
