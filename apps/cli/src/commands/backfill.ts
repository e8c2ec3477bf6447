import { EltError, ExitCode, withWatchedClient } from '@elt/core'
import type { Command } from '../command.ts'
import { configFileOption, serviceCli } from './serve.ts'

/** `pnpm elt backfill --schedule nightly --from 2026-11-01 --to 2026-11-30` */
export const backfillCommand: Command = {
  name: 'backfill',
  summary: "Run a schedule's command once per day of a date range (--date D), one day at a time, in order.",
  options: {
    schedule: { type: 'string', valueName: 'name', description: 'the schedule (in elt.config.ts) whose command, selection and target to run' },
    from: { type: 'string', valueName: 'YYYY-MM-DD', description: 'first day' },
    to: { type: 'string', valueName: 'YYYY-MM-DD', description: 'last day (default: --from)' },
  },
  async run(context, parsed) {
    const { backfill, backfillDays, completeRunRecord, RunQueue } = await import('@elt/service')
    const name = parsed.values.schedule
    const schedules = context.config.schedules
    if (typeof name !== 'string') throw new EltError('backfill needs --schedule <name>.', { hint: `Schedules: ${schedules.map((s) => s.name).join(', ') || 'none (add schedules to the config)'}.`, exitCode: ExitCode.usage })
    const schedule = schedules.find((s) => s.name === name)
    if (!schedule) throw new EltError(`No schedule is named "${name}".`, { hint: `Schedules: ${schedules.map((s) => s.name).join(', ') || 'none (add schedules to the config)'}.`, exitCode: ExitCode.usage })
    if (typeof parsed.values.from !== 'string') throw new EltError('backfill needs --from <YYYY-MM-DD>.', { exitCode: ExitCode.usage })
    const days = backfillDays(parsed.values.from, typeof parsed.values.to === 'string' ? parsed.values.to : parsed.values.from)
    const databases = await context.databases()
    const queue = new RunQueue({
      cli: serviceCli(),
      cwd: context.io.cwd,
      env: { ...context.io.env, SOURCE_DATABASE_URL: databases.source.url, DESTINATION_DATABASE_URL: databases.destination.url },
      configFile: configFileOption(parsed.values.config, context.io.invokedFrom ?? context.io.cwd),
      complete: (run) =>
        withWatchedClient(
          databases.destination,
          { waitSeconds: 5, applicationName: 'elt backfill' },
          { what: `recording the run of ${run.command}`, seconds: context.env.stallSeconds, hint: 'Its run stays as its own process left it (a run left running is shown abandoned).' },
          (client) => completeRunRecord(client, { runId: run.runId, command: run.command, target: run.target, status: run.outcome ?? 'error', startedAt: run.startedAt!, pid: run.pid, startedBy: run.startedBy, message: run.message }),
        ),
    })
    const onAbort = () => void queue.close(0)
    context.signal.addEventListener('abort', onAbort, { once: true })
    try {
      const results = await backfill(queue, schedule, days, (day, run) => {
        if (!context.json) context.logger.info(`${day}: ${run.outcome} (run ${run.runId})${run.outcome === 'success' ? '' : `: ${run.message ?? ''}`}`)
      })
      const failed = results.filter((r) => r.run.outcome !== 'success')
      const notRun = days.slice(results.length)
      const json = { schedule: schedule.name, command: schedule.command, days: results.map(({ day, run }) => ({ day, runId: run.runId, status: run.outcome, ...(run.message ? { message: run.message } : {}) })), notRun }
      const text = failed.length || notRun.length
        ? `Backfill of ${schedule.name}: ${results.length - failed.length} of ${days.length} day(s) succeeded; failed: ${failed.map((f) => `${f.day} (run ${f.run.runId})`).join(', ') || 'none'}${notRun.length ? `; not run: ${notRun.join(', ')}` : ''}.`
        : `Backfill of ${schedule.name}: ${days.length} day(s) succeeded (${days[0]} to ${days.at(-1)}).`
      context.output({ json, text })
      return failed.length || notRun.length ? ExitCode.failure : ExitCode.success
    } finally {
      context.signal.removeEventListener('abort', onAbort)
    }
  },
}
