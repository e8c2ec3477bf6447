import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import type {} from '@elt/core/testing/global-setup'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { BSON, EJSON } from 'bson'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { mongodbExportReader } from '../src/index.ts'
import { jsonValues } from '../src/readers/json-values.ts'
import { contracts, dump, loadFile, tempDir, type TempDir } from './helpers.ts'

let db: TestDatabase
let files: TempDir
const docs = contracts(12, 31)
let reference: Record<string, unknown[]>
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'documents_readers')
  files = await tempDir()
  const summary = await loadFile(db, await files.jsonl('relaxed.jsonl', docs, true), { schema: 'relaxed' })
  expect(summary).toMatchObject({ loaded: 12, rejected: 0 })
  reference = await dump(db, 'relaxed')
})
afterAll(async () => {
  await files?.remove()
  await db?.drop()
})

const read = async (file: string) => {
  const out: unknown[] = []
  for await (const document of mongodbExportReader.read({ kind: 'mongodb-export', path: file }, {})) out.push(document)
  return out
}

describe('mongodb-export reader', () => {
  it('relaxed Extended JSON: Decimal128 exact, doubles, int32/int64 and $date land as typed values', async () => {
    const first = docs[0]!
    const [row] = await db.query(`select valor_principal::text, taxa_juros_mensal::text, prazo_meses, data_emissao::text, atualizado_em from relaxed.operacoes where numero_ccb = $1`, [first.numero_ccb])
    expect(row).toMatchObject({ prazo_meses: first.operacao.parcelas.length, data_emissao: first.data_emissao.toISOString().slice(0, 10), atualizado_em: first.atualizado_em })
    const total = await db.query(`select sum(valor)::text as s from relaxed.parcelas where numero_ccb = $1`, [first.numero_ccb])
    expect(Number(total[0]!.s)).toBeGreaterThan(Number(row!.valor_principal))
    expect(reference.parcelas!.length).toBe(docs.reduce((n, d) => n + d.operacao.parcelas.length, 0))
  })

  it('canonical Extended JSON ($numberDecimal, $numberLong, $numberInt, $numberDouble, $date.$numberLong) gives the same rows', async () => {
    const file = await files.jsonl('canonical.jsonl', docs, false)
    const text = await import('node:fs/promises').then((fs) => fs.readFile(file, 'utf8'))
    for (const marker of ['"$numberDecimal"', '"$numberLong"', '"$numberInt"', '"$numberDouble"', '"$date":{"$numberLong"', '"$oid"']) expect(text).toContain(marker)
    await loadFile(db, file, { schema: 'canonical' })
    expect(await dump(db, 'canonical')).toEqual(reference)
  })

  it('a JSON array export (mongoexport --jsonArray --pretty), gzipped, streamed without parsing the whole file', async () => {
    const pretty = '[\n' + docs.map((d) => JSON.stringify(EJSON.serialize(d, { relaxed: true }), null, 2)).join(',\n') + '\n]\n'
    const file = path.join(files.dir, 'array.json.gz')
    await writeFile(file, gzipSync(pretty))
    await loadFile(db, file, { schema: 'array' })
    expect(await dump(db, 'array')).toEqual(reference)
  })

  it('brackets, braces, quotes and backslashes inside strings, split across chunks, do not confuse the array splitter', async () => {
    const doc = { _id: 1, nome: 'a } ] [ { "x" \\ y', nested: { list: [{ s: '}]' }] } }
    const text = ' [ ' + [doc, doc, doc].map((d) => JSON.stringify(d)).join(' ,\n') + ' ] \n'
    async function* oneCharAtATime() {
      for (const char of text) yield char
    }
    const values: unknown[] = []
    for await (const { text: value } of jsonValues(oneCharAtATime(), 'tricky.json')) values.push(JSON.parse(value))
    expect(values).toEqual([doc, doc, doc])
  })

  it('mongodump .bson files (a glob, one gzipped) give the same rows', async () => {
    const dir = path.join(files.dir, 'dump')
    await import('node:fs/promises').then((fs) => fs.mkdir(dir))
    await writeFile(path.join(dir, 'contratos_ccb-1.bson'), Buffer.concat(docs.slice(0, 5).map((d) => BSON.serialize(d))))
    await writeFile(path.join(dir, 'contratos_ccb-2.bson.gz'), gzipSync(Buffer.concat(docs.slice(5).map((d) => BSON.serialize(d)))))
    await loadFile(db, path.join(dir, 'contratos_ccb-*.bson*'), { schema: 'bson' })
    expect(await dump(db, 'bson')).toEqual(reference)
  })

  it('a damaged file fails naming the file and where', async () => {
    const truncated = path.join(files.dir, 'truncated.json')
    await writeFile(truncated, '[{"_id": 1}, {"_id": 2')
    await expect(read(truncated)).rejects.toThrow(/truncated\.json:1: the document starting here is cut off at the end of the file/)
    const garbage = path.join(files.dir, 'garbage.jsonl')
    await writeFile(garbage, '{"_id": 1}\n{"_id": {"$oid": "nothex"}}\n')
    await expect(read(garbage)).rejects.toThrow(/garbage\.jsonl:2: not Extended JSON/)
    const bson = path.join(files.dir, 'cut.bson')
    await writeFile(bson, BSON.serialize({ a: 1 }).subarray(0, 8))
    await expect(read(bson)).rejects.toThrow(/cut\.bson: the file ends inside document 1/)
    await expect(read(path.join(files.dir, 'nothing-*.jsonl'))).rejects.toThrow(/No file matches the documents source path/)
  })
})
