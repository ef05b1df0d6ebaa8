import type { PickRequest } from '../../../shared/pick'

/** Whether a native file dialog exists: the desktop app has one, a browser tab does not. */
export const canPick = (): boolean => typeof window.api?.pickPaths === 'function'

/** Chosen absolute paths ([] when dismissed or without a native dialog). */
export async function pickPaths(req: PickRequest): Promise<string[]> {
  return canPick() ? await window.api!.pickPaths!(req) : []
}
