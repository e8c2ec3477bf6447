import { z } from 'zod'
import { configSection } from './config-section.ts'
import { nonEmptyText, schemaName, seconds, wholeNumber } from './config-values.ts'
import { alertsSection } from './alerts-section.ts'
import { schedulesSection } from './schedules-section.ts'
import { sourcesSection } from './sources-section.ts'
import { stageSection } from './stage-section.ts'
import { openLineageSection } from './openlineage-section.ts'
import { postgresSelectionFields } from './postgres-selection-fields.ts'
import { cdcSection } from './cdc-section.ts'
import { timeZone } from './time-zone.ts'

/**
 * The one description of `elt.config.ts`: it validates a loaded config (see `parseConfig`)
 * and gives both TypeScript types, `EltConfig` (what a person writes, every key optional)
 * and `ResolvedConfig` (after validation: defaults filled in, paths absolute).
 * Every object is strict, so a misspelt key is an error, never silently ignored.
 * New top-level keys (`sources`, `stage`, …) are one more entry of the top-level section.
 */

export const replicateSection = configSection(
  {
    ...postgresSelectionFields,
    /** Tables copied in parallel (default: number of CPU cores). */
    jobs: wholeNumber(1).optional(),
  },
  'the replication settings { schemas, include, exclude, targetSchema, jobs, tables }',
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

const eltConfigSchemaBase = configSection(
  {
    replicate: replicateSection.prefault({}),
    models: modelsSection.prefault({}),
    /** Named targets; `{user}` in a schema is replaced by the OS user name. */
    targets: z
      .record(nonEmptyText('a target name (non-empty text)'), targetSection, { error: 'a map of target names to targets such as { prod: { schema: "analytics" } }' })
      .default(() => structuredClone(defaultTargets)),
    /** Target used without `--target` (default `prod`). */
    defaultTarget: nonEmptyText('the name of a target').optional(),
    /** Named sources (default: one PostgreSQL source named `postgres`, from `SOURCE_DATABASE_URL`, with the `replicate` settings). */
    sources: sourcesSection.optional(),
    /** The local stage of `extract` / `load --date`. */
    stage: stageSection.optional(),
    /** Time zone of `--date` defaults ("today") and of schedules without their own (default `UTC`). */
    timezone: timeZone.default('UTC'),
    /** What `pnpm elt serve` runs, when. */
    schedules: schedulesSection.default([]),
    /** Where `pnpm elt serve` reports incidents. */
    alerts: alertsSection.default([]),
    /** Where each run sends OpenLineage events with column lineage (none when absent). */
    openlineage: openLineageSection.optional(),
    /** Change data capture (tables with `strategy: 'cdc'`): when a slot's retained WAL is worth a warning. */
    cdc: cdcSection.prefault({}),
    /** `pnpm elt serve` settings. */
    serve: configSection(
      {
        /** On SIGTERM/SIGINT, how long the running run may go on before it is cancelled (default 60 s). */
        gracePeriodSeconds: seconds.default(60),
        /** The dashboard's address as people reach it, for links in alerts (default `http://127.0.0.1:<port>`). */
        publicUrl: nonEmptyText('a URL such as "https://elt.example.com"').optional(),
      },
      'the service settings { gracePeriodSeconds?, publicUrl? }',
    ).prefault({}),
  },
  'a config object such as { replicate: { … }, targets: { … } }',
)

export const eltConfigSchema = eltConfigSchemaBase.superRefine((config, context) => {
  if (config.defaultTarget === undefined || Object.hasOwn(config.targets, config.defaultTarget)) return
  context.addIssue({ code: 'custom', path: ['defaultTarget'], input: config.defaultTarget, message: `one of the targets (${Object.keys(config.targets).join(', ')})` })
}, {
  // also when other keys have problems, so that every problem is reported at once; not when the object itself or its targets are unusable
  when: (payload) =>
    payload.issues.every((issue) => (issue.path?.length ? issue.path[0] !== 'targets' && issue.path[0] !== 'defaultTarget' : issue.code === 'unrecognized_keys')),
}).superRefine(crossCheckSources, {
  when: (payload) => payload.issues.every((issue) => (issue.path?.length ? !['replicate', 'sources', 'stage', 'schedules'].includes(String(issue.path[0])) : issue.code === 'unrecognized_keys')),
})

/**
 * What one key cannot say alone: `replicate.schemas` (and include, exclude, targetSchema) belong to a
 * postgres source once `sources` exists; two sources never write one table; schedule names are unique;
 * `extract`/`load` schedules need a stage.
 */
function crossCheckSources(config: z.output<typeof eltConfigSchemaBase>, context: z.core.$RefinementCtx): void {
  const sources = config.sources
  if (sources !== undefined) {
    for (const key of ['schemas', 'include', 'exclude', 'targetSchema', 'tables'] as const) {
      if (config.replicate[key] === undefined) continue
      context.addIssue({ code: 'custom', path: ['replicate', key], input: config.replicate[key], message: `nothing here once "sources" is set: put ${key} on the postgres source in "sources"` })
    }
    const writers = new Map<string, string>()
    for (const [name, source] of Object.entries(sources)) {
      if (source.kind !== 'csv') continue
      const target = `${source.targetSchema ?? 'raw'}.${source.table}`
      const other = writers.get(target)
      if (other !== undefined) {
        context.addIssue({ code: 'custom', path: ['sources', name, 'table'], input: source.table, message: `a table no other source writes (sources.${other} writes ${target} too)` })
      } else writers.set(target, name)
    }
  }
  const names = new Set<string>()
  config.schedules.forEach((schedule, i) => {
    if (names.has(schedule.name)) context.addIssue({ code: 'custom', path: ['schedules', i, 'name'], input: schedule.name, message: 'a name no other schedule has' })
    names.add(schedule.name)
    if ((schedule.command === 'extract' || schedule.command === 'load') && config.stage === undefined) {
      context.addIssue({ code: 'custom', path: ['schedules', i, 'command'], input: schedule.command, message: 'a command that needs no stage, or a "stage" setting in the config' })
    }
  })
}

/**
 * What a person writes in `elt.config.ts` (or a `.mjs`/`.js`/`.json` config): every key optional.
 *
 * ```ts
 * const config: EltConfig = { replicate: { schemas: ['public'], jobs: 4 }, defaultTarget: 'dev' }
 * ```
 */
export type EltConfig = z.input<typeof eltConfigSchema>

type ParsedConfig = z.output<typeof eltConfigSchema>

/** A source after validation: `targetSchema` filled in, a CSV `path` absolute. */
export type SourceConfig = NonNullable<ParsedConfig['sources']>[string] & { targetSchema: string }

/**
 * A validated config: defaults filled in, paths absolute (`models.project`, CSV `path`, `stage.dir`),
 * and `sources` always present — without a `sources` key, one PostgreSQL source named `postgres`
 * with the `replicate` settings (today's behaviour).
 */
export type ResolvedConfig = Omit<ParsedConfig, 'sources'> & { sources: Record<string, SourceConfig> }
