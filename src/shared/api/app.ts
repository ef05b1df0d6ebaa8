import { channel } from './define'
import { Empty } from './common'
import type { BackendDetail } from '../../engine/protocol'

export interface AppInfo {
  name: string
  version: string
  /** tfjs backend the trainer uses or would use (`tensorflow-gpu`, `webgpu`, `tensorflow`, `wasm`, `cpu`). */
  backend: string
  /** Its WebGPU adapter (vendor, architecture, description), why better backends are skipped, a note. */
  backendDetail: BackendDetail
  dbPath: string
  schemaVersion: number
  transport: 'ipc' | 'http'
  node: string
  platform: string
}

export const appChannels = {
  'app/info': channel<AppInfo>()(Empty)
}
