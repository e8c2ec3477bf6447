import type { Manifest, NodeResult } from '@elt/runner'
import type { CommandContext } from '../context.ts'

/**
 * When `openlineage.url` is configured: one OpenLineage run event per model the build ran
 * (COMPLETE when built, FAIL when it failed; skipped models send none), POSTed with the configured
 * timeout. Never fails the run: a dead or stalled collector is a warning on stderr.
 *
 * ```ts
 * await emitOpenLineage(context, manifest, outcome.results)
 * // POST http://marquez:5000/api/v1/lineage  {"eventType":"COMPLETE","job":{"namespace":"elt","name":"film_ratings"},…}
 * ```
 */
export async function emitOpenLineage(context: CommandContext, manifest: Manifest, results: readonly NodeResult[]): Promise<void> {
  const settings = context.config.openlineage
  if (!settings) return
  const { openLineageEvents, postOpenLineageEvents } = await import('@elt/runner')
  const status = new Map(results.map((r) => [r.id, r.status]))
  const events = openLineageEvents(manifest, {
    namespace: settings.namespace,
    models: results.map((r) => r.id),
    eventTypeOf: (id) => (status.get(id) === 'success' ? 'COMPLETE' : status.get(id) === 'error' ? 'FAIL' : undefined),
  })
  if (events.length === 0) return
  const sent = await postOpenLineageEvents(settings.url, events, { timeoutMs: settings.timeoutSeconds * 1000 })
  if (sent.failed) context.logger.warn(`OpenLineage: ${sent.failed} of ${events.length} event(s) not sent to ${new URL(settings.url).origin} (${sent.error}); the run goes on.`)
  else context.logger.info(`OpenLineage: ${sent.sent} event(s) sent to ${new URL(settings.url).origin}.`)
}
