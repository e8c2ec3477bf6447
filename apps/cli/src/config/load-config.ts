import { existsSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { EltError, ExitCode } from '@elt/core'
import type { EltConfig } from './elt-config.ts'

/** Loads `elt.config.ts` (or `--config <file>`) from `cwd`; no file means all defaults. */
export async function loadConfig(cwd: string, file?: string): Promise<{ config: EltConfig; projectDir: string }> {
  const explicit = file !== undefined
  const configPath = path.resolve(cwd, file ?? 'elt.config.ts')
  if (!existsSync(configPath)) {
    if (explicit) throw new EltError(`Config file ${configPath} does not exist.`, { exitCode: ExitCode.usage })
    return { config: {}, projectDir: cwd }
  }
  try {
    const mod = (await import(pathToFileURL(configPath).href)) as { default?: EltConfig }
    return { config: mod.default ?? {}, projectDir: path.dirname(configPath) }
  } catch (error) {
    throw new EltError(`Could not load ${configPath}: ${error instanceof Error ? error.message : String(error)}`, {
      hint: 'Fix the error in the config file.',
      exitCode: ExitCode.usage,
      cause: error,
    })
  }
}
