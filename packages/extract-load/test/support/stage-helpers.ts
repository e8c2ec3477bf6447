import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Pair } from '../helpers.ts'
import { extract, type ExtractEvent, type ExtractOptions, type ExtractSummary } from '../../src/stage/extract-day.ts'
import type { StageRunConfig } from '../../src/stage/stage-config.ts'
import { randomUUID } from 'node:crypto'

/** A fresh stage folder under the OS temp folder. */
export async function tempStage(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'elt-stage-'))
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) }
}

/** A config with one postgres source named `postgres` and the stage in `dir`. */
export function stageConfig(dir: string, stage: Partial<NonNullable<StageRunConfig['stage']>> = {}): StageRunConfig {
  return { sources: { postgres: { kind: 'postgres', targetSchema: 'raw' } }, stage: { dir, compression: 'none', ...stage }, timezone: 'UTC' }
}

/** `extract()` of the pair's source into the stage, collecting events. */
export async function extractPair(pair: Pair, config: StageRunConfig, date: string, options: Partial<ExtractOptions> = {}): Promise<{ summary: ExtractSummary; events: ExtractEvent[] }> {
  const events: ExtractEvent[] = []
  const summary = await extract({
    config,
    databases: { source: { label: 'source', url: pair.source.url }, destination: { label: 'destination', url: pair.destination.url } },
    date,
    runId: randomUUID(),
    jobs: 2,
    connectWaitSeconds: 5,
    ...options,
    onEvent: (e) => {
      events.push(e)
      options.onEvent?.(e)
    },
  })
  return { summary, events }
}
