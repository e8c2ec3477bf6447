import type {} from '@elt/core/testing/global-setup'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { MongoClient } from 'mongodb'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { loadDocuments, mongodbReader, type MongodbConfig } from '../src/index.ts'
import { ccb_contracts, cloneCcb, contracts } from './helpers.ts'

/**
 * The live reader against a real `mongod`: MONGODB_TEST_URL (a server you run), or ELT_TEST_DOCKER=1
 * (a `mongo:7` container through testcontainers). Neither set: reported as skipped, by name.
 */
const live = Boolean(process.env.MONGODB_TEST_URL) || process.env.ELT_TEST_DOCKER === '1'
const cleanups: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
})

async function mongoUrl(): Promise<string> {
  if (process.env.MONGODB_TEST_URL) return process.env.MONGODB_TEST_URL
  const { GenericContainer, Wait } = await import('testcontainers')
  const container = await new GenericContainer('mongo:7').withExposedPorts(27017).withWaitStrategy(Wait.forLogMessage(/Waiting for connections/)).start()
  cleanups.push(() => container.stop())
  return `mongodb://${container.getHost()}:${container.getMappedPort(27017)}/?directConnection=true`
}

describe('mongodb reader (live server)', () => {
  it.runIf(live)('needs MONGODB_TEST_URL or ELT_TEST_DOCKER=1: streams a collection with a filter, then only what changed since the high-water mark', { timeout: 180_000 }, async () => {
    const url = await mongoUrl()
    const mongo = new MongoClient(url, { serverSelectionTimeoutMS: 20_000 })
    await mongo.connect()
    cleanups.push(() => mongo.close())
    const database = `elt_test_${Date.now()}`
    cleanups.push(() => mongo.db(database).dropDatabase())
    const collection = mongo.db(database).collection('contratos_ccb')
    const docs = contracts(25, 51)
    docs[0]!.dados_bancarios.tipo_conta = 'poupanca'
    await collection.insertMany(docs.map((d) => cloneCcb(d)) as never[])

    const db: TestDatabase = await createTestDatabase(inject('pgAdminUrl'), 'documents_live')
    cleanups.push(() => db.drop())
    const load = (config: Partial<MongodbConfig> = {}) =>
      loadDocuments({
        destination: { label: 'destination', url: db.url },
        source: {
          name: 'live', reader: mongodbReader, mapping: ccb_contracts, targetSchema: 'ccb',
          config: { kind: 'mongodb', uri: url, database, collection: 'contratos_ccb', ...config },
          ...(config.incremental ? { incremental: config.incremental } : {}),
        },
        batchSize: 10,
      })

    const filtered = await load({ filter: { 'dados_bancarios.tipo_conta': 'poupanca' } })
    expect(filtered.documents).toBe(docs.filter((d) => d.dados_bancarios.tipo_conta === 'poupanca').length)

    const first = await load({ incremental: { field: 'atualizado_em' } })
    expect(first).toMatchObject({ status: 'success', documents: 25, loaded: 25 })
    const newest = new Date(Math.max(...docs.map((d) => d.atualizado_em.getTime())))
    expect(await db.query(`select field, mark from _elt.document_marks where source = 'live'`)).toEqual([{ field: 'atualizado_em', mark: newest }])

    const later = new Date(newest.getTime() + 60_000)
    await collection.updateOne({ numero_ccb: docs[3]!.numero_ccb }, { $set: { atualizado_em: later, 'dados_bancarios.agencia': '0001' } })
    const second = await load({ incremental: { field: 'atualizado_em' } })
    expect(second).toMatchObject({ documents: 1, loaded: 1 })
    expect(await db.query(`select agencia from ccb.dados_bancarios where numero_ccb = $1`, [docs[3]!.numero_ccb])).toEqual([{ agencia: '0001' }])
  })
})
