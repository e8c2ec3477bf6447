import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { fixtureDatabase } from '../../../packages/models/test/fixture-database.ts'
import { emptyProject, runElt } from './replicate-helpers.ts'

const modelsProject = fileURLToPath(new URL('../../../packages/models/src/index.ts', import.meta.url))
const config = (url: string) =>
  `export default { models: { project: ${JSON.stringify(modelsProject)} }, openlineage: { url: ${JSON.stringify(url)}, namespace: 'warehouse', timeoutSeconds: 0.5 } }\n`

let source: TestDatabase
let destination: TestDatabase
let env: Record<string, string>
beforeAll(async () => {
  source = await createTestDatabase(inject('pgAdminUrl'), 'cli_ol_src')
  destination = await fixtureDatabase(inject('pgAdminUrl'), 'cli_ol_dst')
  env = { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url }
})
afterAll(async () => {
  await source.drop()
  await destination.drop()
})

async function collector(handler: http.RequestListener) {
  const server = http.createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/lineage` }
}

describe('a build with openlineage.url', () => {
  it('POSTs one COMPLETE event per built model, with column lineage', async () => {
    const received: { eventType: string; job: { namespace: string; name: string }; outputs: { facets: { columnLineage: { fields: Record<string, unknown> } } }[] }[] = []
    const { server, url } = await collector((req, res) => {
      let body = ''
      req.on('data', (chunk) => (body += chunk))
      req.on('end', () => {
        received.push(JSON.parse(body))
        res.writeHead(200).end()
      })
    })
    try {
      const { code, stderr } = await runElt(['build', '--select', 'stg_films', 'stg_actors'], env, await emptyProject(config(url)))
      expect(code, stderr).toBe(0)
      expect(received.map((e) => `${e.eventType} ${e.job.namespace}.${e.job.name}`).sort()).toEqual(['COMPLETE warehouse.stg_actors', 'COMPLETE warehouse.stg_films'])
      const films = received.find((e) => e.job.name === 'stg_films')!
      expect(films.outputs[0]!.facets.columnLineage.fields.user_rating).toEqual({
        inputFields: [{ namespace: 'warehouse', name: 'raw.films', field: 'user_rating', transformations: [{ type: 'DIRECT', subtype: 'IDENTITY', masking: false }] }],
      })
      expect(stderr).toContain('OpenLineage: 2 event(s) sent to http://127.0.0.1:')
    } finally {
      server.close()
    }
  })

  it('a stalled collector is a warning: the build still succeeds', async () => {
    const { server, url } = await collector(() => {}) // accepts, never answers
    try {
      const { code, stderr } = await runElt(['build', '--select', 'stg_films'], env, await emptyProject(config(url)))
      expect(code, stderr).toBe(0)
      expect(stderr).toContain('OpenLineage: 1 of 1 event(s) not sent to http://127.0.0.1:')
      expect(stderr).toContain('timed out after 500 ms')
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })
})
