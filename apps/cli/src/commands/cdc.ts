import { EltError, ExitCode, connectClient, sessionOf, watchedEnds, watchedStep, type DatabaseTarget } from '@elt/core'
import type { Command } from '../command.ts'
import { cdcPipelines } from '../tasks/cdc-task.ts'

const usage = 'pnpm elt cdc status [--json] | pnpm elt cdc drop [--source <name>]'

/** Bytes as people read them (`12.3 MB`). */
const bytes = (n: number | null) => (n === null ? '-' : n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} kB` : n < 1024 ** 3 ? `${(n / 1024 ** 2).toFixed(1)} MB` : `${(n / 1024 ** 3).toFixed(2)} GB`)

/**
 * `pnpm elt cdc status`: per cdc pipeline (postgres source with `strategy: 'cdc'` tables) its
 * slot's lag (bytes, seconds), the WAL it retains on the source, and whether a `--follow` is
 * streaming. `pnpm elt cdc drop`: removes slot and publication (and the recorded position: the
 * next run copies the tables again).
 */
export const cdcCommand: Command = {
  name: 'cdc',
  summary: 'Change data capture slots: status (lag, retained WAL, active) or drop (slot and publication).',
  args: 'status|drop',
  options: {
    source: { type: 'string', multiple: true, valueName: 'name', description: 'only the pipeline of this postgres source (repeatable; default: every source with cdc tables)' },
  },
  async run(context, parsed) {
    const [action, ...rest] = parsed.positionals
    if ((action !== 'status' && action !== 'drop') || rest.length > 0) {
      throw new EltError(`\`pnpm elt cdc\` takes status or drop, got "${parsed.positionals.join(' ')}".`, { hint: usage, exitCode: ExitCode.usage })
    }
    const only = Array.isArray(parsed.values.source) ? parsed.values.source.filter((s): s is string => typeof s === 'string') : undefined
    const { cdcNames, cdcSlotStatus, dropSlotAndPublication, migrateCdcState, readCdcState, deleteCdcState } = await import('@elt/extract-load/cdc')
    const pipelines = await cdcPipelines(context, only)
    if (pipelines.length === 0) {
      throw new EltError(only ? `No source named ${only.join(', ')} has tables with strategy 'cdc'.` : "No source has tables with strategy 'cdc'.", {
        hint: "Give tables strategy 'cdc' in elt.config.ts: replicate: { tables: { 'public.accounts': { strategy: 'cdc' } } }.",
        exitCode: ExitCode.usage,
      })
    }
    const databases = await context.databases()
    const connect = { waitSeconds: context.env.connectWaitSeconds, logger: context.logger, applicationName: 'elt-cdc' }
    const destination = await connectClient(databases.destination, connect)
    // each step on the destination (and a pipeline's source) fails naming the silence instead of waiting for ever
    const watched = <T>(source: { client: typeof destination; target: DatabaseTarget } | undefined, step: () => Promise<T>) =>
      watchedStep(
        {
          what: action === 'drop' ? 'dropping the cdc slot and publication' : 'reading the cdc status',
          ends: watchedEnds({ destination: [sessionOf(destination, databases.destination)], source: [source && sessionOf(source.client, source.target)] }),
          seconds: context.env.stallSeconds,
          hint: `Its connections were closed. Run it again${action === 'drop' ? ': what was dropped stays dropped, the rest is dropped then' : ''}.`,
          onStall: () => {
            void destination.end().catch(() => {})
            void source?.client.end().catch(() => {})
          },
        },
        step,
      )
    try {
      await watched(undefined, () => migrateCdcState(destination))
      const results = []
      for (const p of pipelines) {
        const source = await connectClient(p.database, connect)
        try {
          results.push(
            await watched({ client: source, target: p.database }, async () => {
              const names = cdcNames(p.sourceName)
              if (action === 'drop') {
                const dropped = await dropSlotAndPublication(source, names)
                await deleteCdcState(destination, p.sourceName)
                return { source: p.sourceName, ...names, dropped }
              }
              const { rows } = await destination.query<{ at: Date | null }>('select applied_at as at from _elt.cdc_pipelines where pipeline = $1', [p.sourceName])
              const state = await readCdcState(destination, p.sourceName)
              const status = await cdcSlotStatus(source, names, rows[0]?.at ?? null)
              return { source: p.sourceName, tables: p.tables, appliedLsn: state?.appliedLsn ?? null, warnRetainedWalBytes: context.config.cdc.warnRetainedWalBytes, ...status }
            }),
          )
        } finally {
          await source.end().catch(() => {})
        }
      }
      const text = results
        .map((r) =>
          'dropped' in r
            ? `${r.source}: ${r.dropped.slot ? `slot ${r.slot} dropped` : `no slot ${r.slot}`}, ${r.dropped.publication ? `publication ${r.publication} dropped` : `no publication ${r.publication}`}; the next replicate copies its cdc tables again.`
            : !r.exists
              ? `${r.source}: no slot ${r.slot} (the next replicate creates it and copies ${r.tables.join(', ')}).`
              : `${r.source}: slot ${r.slot} ${r.active ? 'active (streaming)' : 'inactive'}, lag ${bytes(r.lagBytes)} / ${(r.lagSeconds ?? 0).toFixed(1)} s, retains ${bytes(r.retainedBytes)} of WAL${(r.retainedBytes ?? 0) > r.warnRetainedWalBytes ? ` — more than cdc.warnRetainedWalBytes (${bytes(r.warnRetainedWalBytes)}): run replicate, or cdc drop if unused` : ''}; applied ${r.appliedLsn ?? 'nothing yet'}, source at ${r.currentLsn}.`,
        )
        .join('\n')
      context.output({ json: { action, pipelines: results }, text })
      return ExitCode.success
    } finally {
      await destination.end().catch(() => {})
    }
  },
}
