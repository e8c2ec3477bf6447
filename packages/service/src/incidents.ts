import type { AlertConfig } from '@elt/config'
import { describeError } from '@elt/core'
import { alertMessage, type AlertMessage } from './alert-message.ts'
import { sendEmail, sendWebhook } from './alert-senders.ts'
import type { QueuedRun } from './run-queue.ts'
import type { ServiceLogger } from './service-logger.ts'

export type AlertEvent = 'failure' | 'test_failure' | 'freshness' | 'recovered'

export interface IncidentOptions {
  alerts: readonly AlertConfig[]
  /** `serve.publicUrl`, else the bound address: the base of dashboard links. */
  dashboardUrl: () => string
  logger: ServiceLogger
  /** Whether each key (a schedule name) was failing when the service started (from `_elt.schedule_ticks`). */
  failing?: ReadonlyMap<string, boolean>
  /** Replaces the real senders (tests of the logic alone use the real ones against a local receiver). */
  send?: (alert: AlertConfig, message: AlertMessage) => Promise<void>
}

/**
 * Alerts on incidents, not on runs: the first failed outcome of a schedule after a success (or
 * the start) opens an incident and sends one alert — `freshness` when a freshness test failed,
 * else `test_failure` when a data test failed, else `failure` (each alert gets the most specific
 * event it listens to); failures that follow send nothing; the next success sends `recovered`.
 * A schedule's outcome is its last attempt (retries send nothing). API runs are tracked under the
 * key `api:<command>`. Sending never throws: a failing alert is logged.
 *
 * ```ts
 * const incidents = new Incidents({ alerts: config.alerts, dashboardUrl: () => url, logger })
 * incidents.outcome('nightly', run) // → sends { event: 'failure', … } once
 * ```
 */
export class Incidents {
  private readonly failing: Map<string, boolean>
  private readonly pending = new Set<Promise<void>>()

  constructor(private readonly options: IncidentOptions) {
    this.failing = new Map(options.failing)
  }

  outcome(key: string, run: QueuedRun): void {
    if (run.outcome === 'cancelled') return // stopped by a person or a shutdown: not an incident
    const failed = run.outcome !== 'success'
    const wasFailing = this.failing.get(key) === true
    this.failing.set(key, failed)
    if (failed && !wasFailing) {
      const tests = (run.failed ?? []).filter((p) => p.kind === 'test')
      const freshness = (run.summary?.tests ?? []).some((t) => t.type === 'freshness' && (t.status === 'fail' || t.status === 'error'))
      const events: AlertEvent[] = [...(freshness ? ['freshness' as const] : []), ...(tests.length ? ['test_failure' as const] : []), 'failure']
      this.notify(events, run)
    } else if (!failed && wasFailing) {
      this.notify(['recovered'], run)
    }
  }

  /** Resolves when the alerts being sent have been sent (or have failed). */
  async flush(): Promise<void> {
    await Promise.all(this.pending)
  }

  private notify(events: readonly AlertEvent[], run: QueuedRun): void {
    for (const alert of this.options.alerts) {
      const event = events.find((e) => alert.on.includes(e))
      if (!event) continue
      const message = alertMessage(event, run, this.options.dashboardUrl())
      const log = { runId: run.runId, schedule: run.schedule, step: 'alert' }
      const sending = (this.options.send ?? send)(alert, message)
        .then(() => this.options.logger.info(log, `Sent the ${event} alert.`))
        .catch((error: unknown) => this.options.logger.error(log, `Could not send the ${event} alert: ${describeError(error)}`))
        .finally(() => this.pending.delete(sending))
      this.pending.add(sending)
    }
  }
}

async function send(alert: AlertConfig, message: AlertMessage): Promise<void> {
  const failures: string[] = []
  if (alert.webhook) await sendWebhook(alert.webhook, message).catch((error: unknown) => failures.push(describeError(error)))
  if (alert.email) await sendEmail(alert.email, message).catch((error: unknown) => failures.push(`the email could not be sent: ${describeError(error)}`))
  if (failures.length) throw new Error(failures.join('; '))
}
