import { spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { emptyProject, runElt } from './replicate-helpers.ts'

const repo = fileURLToPath(new URL('../../../', import.meta.url))
const modelsProject = path.join(repo, 'packages/models/src/index.ts')
const ccbExport = path.join(repo, 'source_db_init/ccb_contratos.jsonl')

let source: TestDatabase
let destination: TestDatabase
let env: Record<string, string>
beforeAll(async () => {
  source = await createTestDatabase(inject('pgAdminUrl'), 'cli_docs_src')
  destination = await createTestDatabase(inject('pgAdminUrl'), 'cli_docs_dst')
  env = { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url }
})
afterAll(async () => {
  await source?.drop()
  await destination?.drop()
})

const project = (ccb: Record<string, unknown>) => emptyProject(`export default ${JSON.stringify({ models: { project: modelsProject }, sources: { ccb: { kind: 'mongodb-export', mapping: 'ccb_contracts', targetSchema: 'ccb', ...ccb } } })}\n`)

interface ReplicateJson {
  documents: { source: string; documents: number; loaded: number; rejected: number; tables: { table: string; inserted: number; updated: number; deleted: number; unchanged: number }[] }[]
}

describe('elt replicate with a document source', () => {
  it('loads the CCB export through the mapping the models project exports, then a rerun writes nothing; --json has per-table counts', async () => {
    const cwd = await project({ path: ccbExport })
    const first = await runElt(['replicate', '--json'], env, cwd)
    expect(first.code, first.stderr).toBe(0)
    const json = JSON.parse(first.stdout) as ReplicateJson
    expect(json.documents).toHaveLength(1)
    expect(json.documents[0]).toMatchObject({ source: 'ccb', documents: 416, loaded: 399, rejected: 17 })
    expect(first.stderr).toContain('ccb: 416 documents, 399 loaded, 17 rejected (_elt_audit.rejected_documents)')
    const parcelas = json.documents[0]!.tables.find((t) => t.table === 'parcelas')!
    expect(await destination.query(`select count(*)::int as n from ccb.parcelas`)).toEqual([{ n: parcelas.inserted }])

    const again = await runElt(['replicate', '--json', '--select', 'source:ccb'], env, cwd)
    expect(again.code, again.stderr).toBe(0)
    const tables = (JSON.parse(again.stdout) as ReplicateJson).documents[0]!.tables
    expect(tables.every((t) => t.inserted === 0 && t.updated === 0 && t.deleted === 0)).toBe(true)
    expect(await destination.query(`select count(*)::int as n from _elt_audit.rejected_documents where source = 'ccb'`)).toEqual([{ n: 34 }])
  })

  it('more rejected documents than maxRejectedRatio: exit 1 naming the ratio, the good documents loaded', async () => {
    const cwd = await project({ path: ccbExport, targetSchema: 'ccb_strict', maxRejectedRatio: 0.01 })
    const { code, stderr } = await runElt(['replicate'], env, cwd)
    expect(code).toBe(1)
    expect(stderr).toContain('17 of 416 documents of source ccb were rejected (4.1 %, more than maxRejectedRatio 0.01)')
    expect(await destination.query(`select count(*)::int as n from ccb_strict.operacoes`)).toEqual([{ n: 383 }])
  })

  it('a mapping the models project does not export: exit 2 naming the exported ones', async () => {
    const cwd = await project({ path: ccbExport, mapping: 'contracts' })
    const { code, stderr } = await runElt(['replicate'], env, cwd)
    expect(code).toBe(2)
    expect(stderr).toContain('Source "ccb" names the document mapping "contracts", which')
    expect(stderr).toContain('Exported mappings: ccb_contracts.')
  })

  it('a damaged export does not hold back the next document source: it is loaded, --json reports it, exit 1 naming the damaged one', async () => {
    const broken = { kind: 'mongodb-export', mapping: 'ccb_contracts', targetSchema: 'ccb_broken', path: 'broken.jsonl' }
    const good = { kind: 'mongodb-export', mapping: 'ccb_contracts', targetSchema: 'ccb_after', path: ccbExport }
    const cwd = await emptyProject(`export default ${JSON.stringify({ models: { project: modelsProject }, sources: { broken, good } })}\n`)
    await writeFile(path.join(cwd, 'broken.jsonl'), '{"_id": {"$oid": "x"}\n')
    const { code, stdout, stderr } = await runElt(['replicate', '--json'], env, cwd)
    expect(code).toBe(1)
    expect(stderr).toMatch(/error: .*broken\.jsonl:1: /)
    expect(stderr).toContain('good: 416 documents, 399 loaded, 17 rejected')
    const json = JSON.parse(stdout) as ReplicateJson & { status: string; error: string }
    expect(json.status).toBe('error')
    expect(json.error).toMatch(/broken\.jsonl:1: /)
    expect(json.documents.map((d) => [d.source, d.loaded])).toEqual([['good', 399]])
    expect(await destination.query(`select count(*)::int as n from ccb_after.operacoes`)).toEqual([{ n: 383 }])
  })

  it('a damaged export file: exit 1 naming the file and line', async () => {
    const cwd = await project({ path: 'broken.jsonl' })
    const lines = (await readFile(ccbExport, 'utf8')).split('\n').slice(0, 3)
    await writeFile(path.join(cwd, 'broken.jsonl'), lines.join('\n') + '\n{"_id": {"$oid": "x"}\n')
    const { code, stderr } = await runElt(['replicate'], env, cwd)
    expect(code).toBe(1)
    expect(stderr).toMatch(/broken\.jsonl:4: /)
  })

  it('loads it the same through the compiled CLI (`pnpm elt`): the mapping and the reader share one @elt/documents', async () => {
    // the compiled CLI bundles @elt/documents; the models project imports it too: a second copy made
    // every Decimal128 the reader parsed unknown to the mapping's rules, so all 416 documents were rejected
    const cwd = await project({ path: ccbExport })
    const userEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_PATH'))
    const child = spawn(process.execPath, [path.join(repo, 'scripts/elt.mjs'), 'replicate', '--json', '--select', 'source:ccb'], { cwd, env: { ...userEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    expect(code, stderr).toBe(0)
    expect((JSON.parse(stdout) as ReplicateJson).documents[0]).toMatchObject({ source: 'ccb', documents: 416, rejected: 17 })
  }, 120_000)
})
