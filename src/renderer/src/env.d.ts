/// <reference types="vite/client" />
import type { ApiResult } from '../../shared/errors'
import type { PickRequest } from '../../shared/pick'

declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}

declare global {
  interface Window {
    /** Present only in the desktop app (preload); the browser build talks HTTP instead. */
    api?: {
      invoke(channel: string, req: unknown): Promise<ApiResult<unknown>>
      on(event: string, listener: (payload: unknown) => void): () => void
      /** The native open dialog (chosen paths; [] when dismissed). */
      pickPaths?(req: PickRequest): Promise<string[]>
    }
  }
}
