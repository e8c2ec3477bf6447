import { z } from 'zod'
import { configSection } from './config-section.ts'

/**
 * The one description of `elt.config.ts`: it validates a loaded config (see `parseConfig`)
 * and gives both TypeScript types, `EltConfig` (what a person writes, every key optional)
 * and `ResolvedConfig` (after validation: defaults filled in, paths absolute).
 * Every object is strict, so a misspelt key is an error, never silently ignored.
 * New top-level keys (`sources`, `stage`, …) are one more entry of the top-level section.
 */

/** A PostgreSQL schema name as written: quoted when used, so any text of 1 to 63 bytes. */
const schemaName = (expected: string) =>
  z.string({ error: expected }).refine((name) => name.length > 0 && Buffer.byteLength(name) <= 63, { error: expected })

const nonEmptyText = (expected: string) => z.string({ error: expected }).min(1, { error: expected })

const tablePatterns = z.array(nonEmptyText('a table pattern such as "films", "public.film_*" or "sales.*"'), {
  error: 'a list of table patterns such as ["films", "public.film_*"]',
})

export const replicateSection = configSection(
  {
    /** Source schemas to copy (default `['public']`). `public` lands in `targetSchema`, any other `s` in `<targetSchema>_s`. */
    schemas: z
      .array(schemaName('a schema name (text of 1 to 63 bytes)'), { error: 'a list of schema names such as ["public"]' })
      .min(1, { error: 'a list of at least one schema name such as ["public"]' })
      .optional(),
    /** Only tables matching one of these patterns (`films`, `public.film_*`, `sales.*`). Default: all. */
    include: tablePatterns.optional(),
    /** Tables matching any of these patterns are skipped. */
    exclude: tablePatterns.optional(),
    /** Destination schema for `public` (default `raw`). */
    targetSchema: schemaName('a schema name (text of 1 to 63 bytes)').optional(),
    /** Tables copied in parallel (default: number of CPU cores). */
    jobs: z.int({ error: 'a whole number ≥ 1' }).min(1, { error: 'a whole number ≥ 1' }).optional(),
  },
  'the replication settings { schemas, include, exclude, targetSchema, jobs }',
)

export const modelsSection = configSection(
  {
    /** Module exporting the project's models, relative to the config file (default `packages/models/src/index.ts`). */
    project: nonEmptyText('a path to the module exporting the models').default('packages/models/src/index.ts'),
  },
  'the models settings { project }',
)

const targetSection = configSection(
  { schema: schemaName('a schema name (text of 1 to 63 bytes; {user} is replaced by the OS user name)') },
  'a target such as { schema: "analytics" }',
)

/** Targets when the config names none. */
export const defaultTargets: Record<string, { schema: string }> = {
  prod: { schema: 'analytics' },
  dev: { schema: 'analytics_{user}' },
}

export const eltConfigSchema = configSection(
  {
    replicate: replicateSection.prefault({}),
    models: modelsSection.prefault({}),
    /** Named targets; `{user}` in a schema is replaced by the OS user name. */
    targets: z
      .record(nonEmptyText('a target name (non-empty text)'), targetSection, { error: 'a map of target names to targets such as { prod: { schema: "analytics" } }' })
      .default(() => structuredClone(defaultTargets)),
    /** Target used without `--target` (default `prod`). */
    defaultTarget: nonEmptyText('the name of a target').optional(),
  },
  'a config object such as { replicate: { … }, targets: { … } }',
).superRefine((config, context) => {
  if (config.defaultTarget === undefined || Object.hasOwn(config.targets, config.defaultTarget)) return
  context.addIssue({ code: 'custom', path: ['defaultTarget'], input: config.defaultTarget, message: `one of the targets (${Object.keys(config.targets).join(', ')})` })
}, {
  // also when other keys have problems, so that every problem is reported at once; not when the object itself or its targets are unusable
  when: (payload) =>
    payload.issues.every((issue) => (issue.path?.length ? issue.path[0] !== 'targets' && issue.path[0] !== 'defaultTarget' : issue.code === 'unrecognized_keys')),
})

/**
 * What a person writes in `elt.config.ts` (or a `.mjs`/`.js`/`.json` config): every key optional.
 *
 * ```ts
 * const config: EltConfig = { replicate: { schemas: ['public'], jobs: 4 }, defaultTarget: 'dev' }
 * ```
 */
export type EltConfig = z.input<typeof eltConfigSchema>

/** A validated config: `replicate` and `models` always present, `models.project` an absolute path, `targets` filled in. */
export type ResolvedConfig = z.output<typeof eltConfigSchema>
