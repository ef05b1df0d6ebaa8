import type { Command } from '../command'
import { serveCommand } from './serve'
import { runsCommand } from './runs'

/** Every `hicra` command; add a new one by listing it here. */
export const commands: Command[] = [serveCommand, runsCommand]
