import { z } from 'zod'
import { configSection } from './config-section.ts'
import { nonEmptyText, wholeNumber } from './config-values.ts'

/**
 * `stage`: the local folder of the two-step daily pipeline. `pnpm elt extract --date D` writes
 * every selected source's tables to `<dir>/<source>/<table>/<D>/` (data files + `_manifest.json`);
 * `pnpm elt load --date D` loads a day from there, without the source.
 *
 * ```ts
 * stage: { dir: 'data/stage', keepDays: 30, compression: 'gzip' }
 * ```
 */
export const stageSection = configSection(
  {
    /** The stage folder, relative to the config file. */
    dir: nonEmptyText('a folder path such as "data/stage"'),
    /** Day folders older than this many days are pruned after a successful extract (default: keep all). */
    keepDays: wholeNumber(1).optional(),
    /** Data files written as plain CSV (`none`, default) or gzip-compressed CSV (`gzip`). */
    compression: z.enum(['none', 'gzip'], { error: '"none" or "gzip"' }).default('none'),
  },
  'the stage settings { dir, keepDays?, compression? }',
)

export type StageConfig = z.output<typeof stageSection>
