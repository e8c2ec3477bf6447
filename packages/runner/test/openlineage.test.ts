import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { Ajv } from 'ajv'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { openLineageEvents, postOpenLineageEvents, type Manifest, type OpenLineageRunEvent } from '../src/index.ts'
import { build } from './db-helpers.ts'
import { lineageProject, lineageRawColumns, lineageRawDdl } from './fixtures/lineage-project.ts'
import eventSchema from '../schemas/openlineage-run-event.schema.json' with { type: 'json' }

let db: TestDatabase
let manifest: Manifest
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'openlineage')
  await db.query(lineageRawDdl)
  const outcome = await build(db, lineageProject(), { selection: { sourceColumns: (schema, name) => (schema === 'raw' ? lineageRawColumns[name] : undefined) } })
  expect(outcome.status).toBe('success')
  manifest = outcome.manifest
})
afterAll(() => db.drop())

const validate = (event: unknown) => {
  const ajv = new Ajv({ allErrors: true, strict: false })
  ajv.addFormat('date-time', true).addFormat('uri', true).addFormat('uuid', true)
  return { ok: ajv.validate(eventSchema, event), errors: JSON.stringify(ajv.errors) }
}

describe('OpenLineage events', () => {
  it('one event per built model, valid against the spec-derived schema, with the columnLineage facet', () => {
    const events = openLineageEvents(manifest, { namespace: 'warehouse' })
    expect(events.map((e) => e.job.name).sort()).toEqual(['film_facts', 'film_facts_copy', 'stg_actors', 'stg_films']) // cast_stats is ephemeral
    for (const event of events) {
      const { ok, errors } = validate(event)
      expect(ok, errors).toBe(true)
    }
    const facts = events.find((e) => e.job.name === 'film_facts')!
    // the ephemeral cast_stats is replaced by what it reads
    expect(facts.inputs.map((i) => i.name)).toEqual(['analytics.stg_actors', 'analytics.stg_films', 'raw.film_actors'])
    const lineage = facts.outputs[0]!.facets!.columnLineage as unknown as {
      fields: Record<string, { inputFields: { name: string; field: string; transformations: { type: string; subtype: string }[] }[] }>
      dataset: { name: string; field: string; transformations: { type: string; subtype: string }[] }[]
    }
    const edges = (column: string) => lineage.fields[column]!.inputFields.map((f) => `${f.name}.${f.field} ${f.transformations.map((t) => `${t.type}/${t.subtype}`).join()}`)
    expect(edges('name')).toEqual(['analytics.stg_films.title DIRECT/IDENTITY'])
    expect(edges('shout')).toEqual(['analytics.stg_films.title DIRECT/TRANSFORMATION'])
    expect(edges('top_price')).toEqual(['analytics.stg_films.price DIRECT/AGGREGATION'])
    expect(edges('avg_price_in_rating')).toEqual(['analytics.stg_films.price DIRECT/AGGREGATION', 'analytics.stg_films.rating INDIRECT/WINDOW'])
    expect(edges('grade')).toEqual(['analytics.stg_films.user_rating INDIRECT/CONDITIONAL', 'analytics.stg_films.rating DIRECT/TRANSFORMATION'])
    // through the ephemeral: n = count(a.actor_id) over stg_actors, coalesced
    expect(edges('actor_count')).toEqual(['analytics.stg_actors.actor_id DIRECT/AGGREGATION'])
    expect(edges('loaded_at')).toEqual([]) // opaque: no input field is invented
    const dataset = lineage.dataset.map((f) => `${f.name}.${f.field} ${f.transformations[0]!.subtype}`)
    expect(dataset).toContain('analytics.stg_films.user_rating FILTER')
    expect(dataset).toContain('analytics.stg_films.film_id JOIN')
    expect(dataset).toContain('analytics.stg_films.film_id SORT')
    expect(dataset).toContain('raw.film_actors.film_id GROUP_BY') // the ephemeral's own GROUP BY
    expect(dataset).toContain('analytics.stg_actors.actor_id JOIN') // the ephemeral's ON
    const schema = facts.outputs[0]!.facets!.schema as unknown as { fields: { name: string; type?: string }[] }
    expect(schema.fields.find((f) => f.name === 'actor_count')).toEqual({ name: 'actor_count', type: 'bigint' })
  })

  it('the schema refuses an event missing what the spec requires', () => {
    const event = openLineageEvents(manifest)[0]!
    const broken = (change: (e: Record<string, unknown>) => void) => {
      const copy = structuredClone(event) as unknown as Record<string, unknown>
      change(copy)
      return validate(copy).ok
    }
    expect(broken(() => {})).toBe(true)
    expect(broken((e) => delete e.eventTime)).toBe(false)
    expect(broken((e) => ((e.run as { runId: string }).runId = 'not-a-uuid'))).toBe(false)
    expect(broken((e) => delete (e.job as { namespace?: string }).namespace)).toBe(false)
    expect(broken((e) => delete ((e.outputs as OpenLineageRunEvent['outputs'])[0]!.facets!.columnLineage as { _producer?: string })._producer)).toBe(false)
    expect(broken((e) => delete ((e.outputs as OpenLineageRunEvent['outputs'])[0]!.facets!.schema as { _schemaURL?: string })._schemaURL)).toBe(false)
    expect(broken((e) => (e.eventType = 'DONE'))).toBe(false)
  })
})

describe('posting events', () => {
  const serve = async (handler: http.RequestListener) => {
    const server = http.createServer(handler)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/lineage` }
  }

  it('POSTs every event as JSON to the collector', async () => {
    const received: unknown[] = []
    const { server, url } = await serve((req, res) => {
      let body = ''
      req.on('data', (chunk) => (body += chunk))
      req.on('end', () => {
        received.push({ method: req.method, type: req.headers['content-type'], event: JSON.parse(body) })
        res.writeHead(201).end()
      })
    })
    try {
      const events = openLineageEvents(manifest)
      expect(await postOpenLineageEvents(url, events)).toEqual({ sent: events.length, failed: 0 })
      expect(received).toHaveLength(events.length)
      expect(received[0]).toMatchObject({ method: 'POST', type: 'application/json', event: { job: { name: events[0]!.job.name } } })
    } finally {
      server.close()
    }
  })

  it('a stalled collector times out, a dead one is reported, an error status is counted: never a throw, never a hang', async () => {
    const events = openLineageEvents(manifest)
    const stalled = await serve(() => {}) // never answers
    try {
      const result = await postOpenLineageEvents(stalled.url, events, { timeoutMs: 300 })
      expect(result).toEqual({ sent: 0, failed: events.length, error: 'timed out after 300 ms' })
      // failed counts every event: after the first timeout the rest are not sent (each would wait as long)
    } finally {
      stalled.server.closeAllConnections()
      stalled.server.close()
    }
    const dead = await serve(() => {})
    dead.server.close()
    const refused = await postOpenLineageEvents(dead.url, events, { timeoutMs: 1000 })
    expect(refused.sent).toBe(0)
    expect(refused.error).toMatch(/ECONNREFUSED|fetch failed/)
    const failing = await serve((_req, res) => res.writeHead(503).end())
    try {
      expect(await postOpenLineageEvents(failing.url, events.slice(0, 2))).toEqual({ sent: 0, failed: 2, error: 'HTTP 503' })
    } finally {
      failing.server.close()
    }
  })
})
