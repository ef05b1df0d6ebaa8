import type { Command } from '../command'
import { serveCommand } from './serve'
import { runsCommand } from './runs'
import { importCommand } from './import'
import { analyzeCommand } from './analyze'
import { exportCommand } from './export'
import { sgCommand } from './sg'
import { errorsCommand } from './errors'
import { trainCommand } from './train'

/** Every `hicra` command; add a new one by listing it here. */
export const commands: Command[] = [serveCommand, runsCommand, importCommand, analyzeCommand, exportCommand, sgCommand, errorsCommand, trainCommand]
