import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { EltError, ExitCode, importModule } from '@elt/core'
import type { ResolvedConfig } from './elt-config-schema.ts'
import { parseConfig } from './parse-config.ts'

/** File names looked for when no `--config` is given (see `loadConfig`), in this order. */
export const defaultConfigFiles = ['elt.config.ts', 'elt.config.mjs', 'elt.config.js', 'elt.config.json'] as const

const moduleExtensions = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']

export interface LoadedConfig {
  config: ResolvedConfig
  /** The config file's folder (the current folder when there is no file): `target/` and `.elt/` live here. */
  projectDir: string
  /** The config file read, if any. */
  file: string | undefined
}

/**
 * Reads and validates the project's config: `file` (`--config`, relative to `invokedFrom`, the
 * folder the command was typed in, which `pnpm elt` runs in the workspace root) or else the
 * first of `elt.config.{ts,mjs,js,json}` in `invokedFrom`, else in `cwd`; no file means every
 * default. A module's
 * default export (or a JSON file's content) is the config object; `defineConfig` is optional,
 * so a file outside the repository needs no import. Relative paths in it are relative to the file.
 * A missing `--config` file, an unreadable one or an invalid value is a usage error (exit 2).
 *
 * ```ts
 * const { config, projectDir } = await loadConfig(process.cwd(), '/etc/elt/prod.json')
 * config.models.project // → '/etc/elt/packages/models/src/index.ts' unless the file sets it
 * ```
 */
export async function loadConfig(cwd: string, file?: string, invokedFrom: string = cwd): Promise<LoadedConfig> {
  const configPath = file === undefined ? (findDefaultConfig(invokedFrom) ?? findDefaultConfig(cwd)) : path.resolve(invokedFrom, file)
  if (configPath === undefined) return { config: parseConfig({}, { dir: cwd }), projectDir: cwd, file: undefined }
  if (!existsSync(configPath)) throw new EltError(`Config file ${configPath} does not exist.`, { hint: 'Check the path given to --config.', exitCode: ExitCode.usage })
  const dir = path.dirname(configPath)
  return { config: parseConfig(await readConfigFile(configPath), { dir, file: configPath }), projectDir: dir, file: configPath }
}

function findDefaultConfig(cwd: string): string | undefined {
  const found = defaultConfigFiles.map((name) => path.join(cwd, name)).filter((candidate) => existsSync(candidate))
  if (found.length > 1) {
    throw new EltError(`Found ${found.length} config files in ${cwd}: ${found.map((f) => path.basename(f)).join(', ')}.`, {
      hint: 'Keep one, or choose with --config <file>.',
      exitCode: ExitCode.usage,
    })
  }
  return found[0]
}

/** The config object of a `.json` file or a module's default export, unvalidated. */
async function readConfigFile(configPath: string): Promise<unknown> {
  const extension = path.extname(configPath).toLowerCase()
  if (extension !== '.json' && !moduleExtensions.includes(extension)) {
    throw new EltError(`Config file ${configPath} has an unsupported extension "${extension}".`, {
      hint: 'Use a .ts, .mjs, .js or .json file whose default export (or content) is the config object.',
      exitCode: ExitCode.usage,
    })
  }
  let loaded: { default?: unknown }
  try {
    loaded = extension === '.json' ? { default: JSON.parse(await readFile(configPath, 'utf8')) } : ((await importModule(configPath)) as { default?: unknown })
  } catch (error) {
    throw new EltError(`Could not load ${configPath}: ${error instanceof Error ? error.message : String(error)}`, {
      hint: 'Fix the error in the config file.',
      exitCode: ExitCode.usage,
      cause: error,
    })
  }
  if (loaded.default === undefined) {
    throw new EltError(`Config file ${configPath} has no default export.`, { hint: 'Export the config object: `export default { replicate: { … } }`.', exitCode: ExitCode.usage })
  }
  return loaded.default
}
