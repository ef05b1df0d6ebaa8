import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import type { ApiResult } from '../shared/errors'
import type { PickRequest } from '../shared/pick'

/**
 * The renderer's only door to the back end: `window.api.invoke(channel, request)` and
 * `window.api.on(event, listener)`. Results come back as `ApiResult` values (errors are data, since
 * Error subclasses do not survive the context bridge); the renderer's client unwraps them.
 */
const api = {
  invoke(channel: string, req: unknown): Promise<ApiResult<unknown>> {
    return ipcRenderer.invoke('api:invoke', channel, req) as Promise<ApiResult<unknown>>
  },
  on(event: string, listener: (payload: unknown) => void): () => void {
    const wrapped = (_e: IpcRendererEvent, name: string, payload: unknown) => {
      if (name === event) listener(payload)
    }
    ipcRenderer.on('api:event', wrapped)
    return () => ipcRenderer.removeListener('api:event', wrapped)
  },
  /** The native open dialog: chosen absolute paths, [] when dismissed. */
  pickPaths(req: PickRequest): Promise<string[]> {
    return ipcRenderer.invoke('dialog:pick', req) as Promise<string[]>
  }
}

contextBridge.exposeInMainWorld('api', api)

export type PreloadApi = typeof api
