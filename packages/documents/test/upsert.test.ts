import type {} from '@elt/core/testing/global-setup'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { Decimal128, Int32 } from 'bson'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { cloneCcb, contracts, dump, loadFile, orphans, rowVersions, tempDir, type TempDir } from './helpers.ts'

let db: TestDatabase
let files: TempDir
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'documents_upsert')
  files = await tempDir()
})
afterAll(async () => {
  await files?.remove()
  await db?.drop()
})

const count = (summary: { tables: { table: string; inserted: number; updated: number; deleted: number; unchanged: number }[] }, table: string) =>
  summary.tables.find((t) => t.table === table)!

describe('upsert', () => {
  it('creates the eight tables with keys, foreign keys and FK indexes, loads every row, and a rerun writes nothing', async () => {
    const docs = contracts(40)
    const file = await files.jsonl('first.jsonl', docs)
    const first = await loadFile(db, file, { schema: 'idem', batchSize: 7 })
    expect(first).toMatchObject({ status: 'success', documents: 40, loaded: 40, rejected: 0 })
    const parcelas = docs.reduce((n, d) => n + d.operacao.parcelas.length, 0)
    expect(count(first, 'parcelas')).toEqual({ table: 'parcelas', inserted: parcelas, updated: 0, deleted: 0, unchanged: 0 })
    expect(count(first, 'operacoes').inserted).toBe(40)
    const fks = await db.query<{ t: string; def: string }>(
      `select conrelid::regclass::text as t, pg_get_constraintdef(oid) as def from pg_constraint where contype = 'f' and connamespace = 'idem'::regnamespace order by 1`,
    )
    expect(fks.map((f) => `${f.t} ${f.def}`)).toEqual([
      'idem.contatos FOREIGN KEY (cpf) REFERENCES idem.clientes(cpf)',
      'idem.dados_bancarios FOREIGN KEY (numero_ccb) REFERENCES idem.operacoes(numero_ccb)',
      'idem.detalhamento_cet FOREIGN KEY (numero_ccb) REFERENCES idem.operacoes(numero_ccb)',
      'idem.enderecos FOREIGN KEY (cpf) REFERENCES idem.clientes(cpf)',
      'idem.identidades FOREIGN KEY (cpf) REFERENCES idem.clientes(cpf)',
      'idem.operacoes FOREIGN KEY (cpf) REFERENCES idem.clientes(cpf)',
      'idem.parcelas FOREIGN KEY (numero_ccb) REFERENCES idem.operacoes(numero_ccb)',
    ])
    const indexes = await db.query<{ def: string }>(`select indexdef as def from pg_indexes where schemaname = 'idem' and tablename = 'operacoes' order by 1`)
    expect(indexes.map((i) => i.def)).toContain('CREATE INDEX operacoes_cpf_fk ON idem.operacoes USING btree (cpf)')

    const before = await rowVersions(db, 'idem')
    const second = await loadFile(db, file, { schema: 'idem', batchSize: 7 })
    expect(await rowVersions(db, 'idem')).toEqual(before)
    for (const t of second.tables) expect({ ...t, unchanged: 0 }).toEqual({ table: t.table, inserted: 0, updated: 0, deleted: 0, unchanged: 0 })
    expect(count(second, 'parcelas').unchanged).toBe(parcelas)
    const recorded = await db.query(`select table_name, inserted::int, updated::int, deleted::int, unchanged::int from _elt.document_table_counts where run_id = $1 and table_name = 'parcelas'`, [second.runId])
    expect(recorded).toEqual([{ table_name: 'parcelas', inserted: 0, updated: 0, deleted: 0, unchanged: parcelas }])
  })

  it('a newer version updates, an older one never overwrites it, and within one input the newest wins', async () => {
    const [doc] = contracts(1, 11)
    const newer = cloneCcb(doc!)
    newer.atualizado_em = new Date(doc!.atualizado_em.getTime() + 86_400_000)
    newer.dados_bancarios.agencia = '9999'
    newer.operacao.parcelas[0]!.valor = Decimal128.fromString('1.23')
    // in one input: newer first, then older → newer stays
    await loadFile(db, await files.jsonl('mixed.jsonl', [newer, doc!]), { schema: 'versions' })
    const read = async () =>
      (await db.query(`select b.agencia, p.valor::text, o.atualizado_em from versions.operacoes o join versions.dados_bancarios b using (numero_ccb) join versions.parcelas p using (numero_ccb) where p.numero = 1`))[0]
    expect(await read()).toMatchObject({ agencia: '9999', valor: '1.23' })
    // the older version alone, in a later run: nothing changes, not even row versions
    const before = await rowVersions(db, 'versions')
    const older = await loadFile(db, await files.jsonl('older.jsonl', [doc!]), { schema: 'versions' })
    expect(await rowVersions(db, 'versions')).toEqual(before)
    expect(count(older, 'operacoes')).toMatchObject({ inserted: 0, updated: 0 })
    // an even newer one updates
    const newest = cloneCcb(newer)
    newest.atualizado_em = new Date(newer.atualizado_em.getTime() + 86_400_000)
    newest.dados_bancarios.agencia = '1111'
    const third = await loadFile(db, await files.jsonl('newest.jsonl', [newest]), { schema: 'versions' })
    expect(await read()).toMatchObject({ agencia: '1111', valor: '1.23' })
    expect(count(third, 'dados_bancarios')).toMatchObject({ updated: 1 })
    expect(count(third, 'operacoes')).toMatchObject({ updated: 1 })
    expect(count(third, 'parcelas')).toMatchObject({ updated: 0, inserted: 0 })
  })

  it('children follow the newest document: removed parcelas, CET components, addresses and contacts are deleted', async () => {
    const [doc] = contracts(1, 12)
    doc!.cliente.enderecos = doc!.cliente.enderecos.slice(0, 1)
    doc!.cliente.enderecos.push({ tipo: 'comercial', logradouro: 'Rua B', numero: '2', bairro: 'Centro', cidade: 'Recife', uf: 'PE', cep: '50000-000' })
    await loadFile(db, await files.jsonl('children-1.jsonl', [doc!]), { schema: 'children' })
    const changed = cloneCcb(doc!)
    changed.atualizado_em = new Date(doc!.atualizado_em.getTime() + 1000)
    changed.cliente.enderecos.pop()
    changed.cliente.contatos = changed.cliente.contatos.filter((c) => c.tipo !== 'celular')
    changed.operacao.cet.componentes = changed.operacao.cet.componentes.filter((c) => c.descricao !== 'IOF')
    const prazo = changed.operacao.parcelas.length - 1
    changed.operacao.parcelas.pop()
    changed.operacao.prazo_meses = new Int32(prazo)
    delete changed.cliente.rg
    const summary = await loadFile(db, await files.jsonl('children-2.jsonl', [changed]), { schema: 'children' })
    expect(summary.rejected).toBe(0)
    const rows = async (table: string) => (await db.query(`select count(*)::int as n from children.${table}`))[0]!.n
    expect(await rows('enderecos')).toBe(1)
    expect(await rows('contatos')).toBe(changed.cliente.contatos.length)
    expect(await rows('detalhamento_cet')).toBe(changed.operacao.cet.componentes.length)
    expect(await rows('parcelas')).toBe(prazo)
    expect(await rows('identidades')).toBe(0)
    expect(count(summary, 'parcelas').deleted).toBe(1)
    expect(count(summary, 'enderecos').deleted).toBe(1)
    expect(count(summary, 'detalhamento_cet').deleted).toBe(1)
    expect(count(summary, 'identidades').deleted).toBe(doc!.cliente.rg ? 1 : 0)
  })

  it('a client comes from the newest document naming its CPF, across contracts and batches', async () => {
    const [a, b] = contracts(2, 13)
    b!.cliente.cpf = a!.cliente.cpf.replace(/\D/g, '')
    b!.cliente.nome = 'Nome Mais Novo'
    b!.atualizado_em = new Date(a!.atualizado_em.getTime() + 5000)
    b!.cliente.enderecos = [{ tipo: 'residencial', logradouro: 'Rua Nova', numero: '1', bairro: 'Centro', cidade: 'Manaus', uf: 'AM', cep: '69000-000' }]
    // newest first, batches of one: the older document in the second batch must not win
    await loadFile(db, await files.jsonl('clients.jsonl', [b!, a!]), { schema: 'clients', batchSize: 1 })
    const [cliente] = await db.query(`select nome, atualizado_em from clients.clientes`)
    expect(cliente).toMatchObject({ nome: 'Nome Mais Novo' })
    expect(await db.query(`select logradouro, cep from clients.enderecos`)).toEqual([{ logradouro: 'Rua Nova', cep: '69000000' }])
    expect(await db.query(`select count(*)::int as n from clients.operacoes`)).toEqual([{ n: 2 }])
  })

  it('a contract failing validation later keeps its last good rows and gets a rejection record', async () => {
    const [doc] = contracts(1, 14)
    await loadFile(db, await files.jsonl('good.jsonl', [doc!]), { schema: 'later' })
    const before = await dump(db, 'later')
    const bad = cloneCcb(doc!)
    bad.atualizado_em = new Date(doc!.atualizado_em.getTime() + 1000)
    bad.dados_bancarios.banco = '4'
    const summary = await loadFile(db, await files.jsonl('bad.jsonl', [bad]), { schema: 'later' })
    expect(summary).toMatchObject({ rejected: 1, loaded: 0 })
    expect(await dump(db, 'later')).toEqual(before)
    const [rejection] = await db.query(`select numero_ccb, document_id, reasons, document->'dados_bancarios'->>'banco' as banco from _elt_audit.rejected_documents where run_id = $1`, [summary.runId])
    expect(rejection).toEqual({ numero_ccb: doc!.numero_ccb, document_id: doc!._id.toHexString(), reasons: ['dados_bancarios.banco "4" must be 3 digits'], banco: '4' })
  })

  it('foreign keys hold after every batch (batches of 3, checked from another session as each commits)', async () => {
    const docs = contracts(30, 15)
    // the same clients across contracts, so children of one client arrive in several batches
    for (let i = 10; i < 30; i++) docs[i]!.cliente = cloneCcb(docs[i % 10]!.cliente)
    const checks: number[] = []
    const pending: Promise<void>[] = []
    const summary = await loadFile(db, await files.jsonl('fk.jsonl', docs), {
      schema: 'fk',
      batchSize: 3,
      onBatch: () => void pending.push(orphans(db, 'fk').then((n) => void checks.push(n))),
    })
    await Promise.all(pending)
    expect(summary.batches).toBe(10)
    expect(checks).toHaveLength(10)
    expect(checks.every((n) => n === 0)).toBe(true)
    expect(await db.query(`select count(*)::int as n from fk.clientes`)).toEqual([{ n: 10 }])
  })

  it('more rejections than maxRejectedRatio: status error naming the ratio; good documents still loaded', async () => {
    const docs = contracts(4, 16)
    docs[0]!.numero_ccb = ''
    const summary = await loadFile(db, await files.jsonl('ratio.jsonl', docs), { schema: 'ratio', maxRejectedRatio: 0.2 })
    expect(summary.status).toBe('error')
    expect(summary.message).toContain('1 of 4 documents of source ccb were rejected (25.0 %, more than maxRejectedRatio 0.2)')
    expect(await db.query(`select status from _elt.document_loads where run_id = $1`, [summary.runId])).toEqual([{ status: 'error' }])
    expect(await db.query(`select count(*)::int as n from ratio.operacoes`)).toEqual([{ n: 3 }])
  })

  it("a batch whose COPY text spans many writes (150 contracts' parcelas, ≈ 32 K characters a write) loads the same rows as one document per batch", async () => {
    const docs = contracts(150, 23)
    // a line break, a tab and a backslash in a value: escaped inside a write, whatever write it falls in
    const named = docs[75]!.cliente.cpf
    for (const d of docs) if (d.cliente.cpf === named) d.cliente.nome = 'Ana\tMaria \\ da\nSilva'
    const file = await files.jsonl('chunked.jsonl', docs)
    const whole = await loadFile(db, file, { schema: 'chunked' })
    const single = await loadFile(db, file, { schema: 'unchunked', batchSize: 1 })
    expect(whole).toMatchObject({ status: 'success', batches: 1, loaded: 150 })
    expect(single).toMatchObject({ status: 'success', batches: 150, loaded: 150 })
    const parcelas = docs.reduce((n, d) => n + d.operacao.parcelas.length, 0)
    expect(count(whole, 'parcelas').inserted).toBe(parcelas)
    expect(await dump(db, 'chunked')).toEqual(await dump(db, 'unchunked'))
    expect(await db.query(`select count(*)::int as n from chunked.clientes where nome = $1`, ['Ana\tMaria \\ da\nSilva'])).toEqual([{ n: 1 }])
  })
})
