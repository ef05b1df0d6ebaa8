import type { HandlersOf } from './types'

export const appHandlers: HandlersOf<'app/info'> = {
  'app/info': (_req, ctx) => ({
    name: 'HICRA Workbench',
    version: ctx.version,
    backend: ctx.backend(),
    dbPath: ctx.store.path,
    schemaVersion: ctx.store.schemaVersion,
    transport: ctx.transport === 'ipc' ? 'ipc' : 'http',
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`
  })
}
