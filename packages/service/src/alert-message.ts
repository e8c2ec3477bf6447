import type { AlertEvent } from './incidents.ts'
import type { QueuedRun } from './run-queue.ts'

/** The JSON body of a webhook alert (and the text of an email). `text` makes it a Slack incoming-webhook message as is. */
export interface AlertMessage {
  event: AlertEvent
  text: string
  runId: string
  schedule: string | null
  command: string
  status: string
  startedBy: string
  attempt: number
  startedAt: string | null
  finishedAt: string | null
  message: string | null
  failed: { kind: string; name: string; status: string; message?: string }[]
  dashboardUrl: string
}

const headlines: Record<AlertEvent, string> = {
  failure: 'failed',
  test_failure: 'failed: data tests failed',
  freshness: 'failed: a freshness test failed',
  recovered: 'recovered',
}

/**
 * `alertMessage('failure', run, 'http://127.0.0.1:3000')` →
 * `{ event: 'failure', text: 'elt: schedule nightly failed (run 6f1c…, attempt 3): model film_ratings: …\nhttp://…/runs/6f1c…', … }`
 */
export function alertMessage(event: AlertEvent, run: QueuedRun, dashboardBase: string): AlertMessage {
  const dashboardUrl = `${dashboardBase.replace(/\/$/, '')}/runs/${run.runId}`
  const what = run.schedule ? `schedule ${run.schedule}` : `${run.command} (${run.startedBy})`
  const status = run.outcome ?? 'error'
  const failed = run.failed ?? []
  const details =
    event === 'recovered'
      ? ''
      : failed.length
        ? `: ${failed.slice(0, 5).map((f) => `${f.kind} ${f.name}${f.message ? ` (${f.message})` : ''}`).join('; ')}${failed.length > 5 ? `; and ${failed.length - 5} more` : ''}`
        : run.message
          ? `: ${run.message}`
          : ''
  const headline = event === 'failure' && status === 'timed_out' ? 'timed out' : headlines[event]
  return {
    event,
    text: `elt: ${what} ${headline} (run ${run.runId}, attempt ${run.attempt})${details}\n${dashboardUrl}`,
    runId: run.runId,
    schedule: run.schedule ?? null,
    command: run.command,
    status,
    startedBy: run.startedBy,
    attempt: run.attempt,
    startedAt: run.startedAt?.toISOString() ?? null,
    finishedAt: run.finishedAt?.toISOString() ?? null,
    message: run.message ?? null,
    failed,
    dashboardUrl,
  }
}
