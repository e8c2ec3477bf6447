/**
 * `pnpm bench:documents [--contracts N] [--naive N]`: N generated CCB contracts (default 100,000;
 * ≈ 30 rows each over the eight tables) as a mongoexport JSON Lines file, loaded into an embedded
 * PostgreSQL by `loadDocuments` (a child process: its peak RSS is its own), once into empty
 * tables, then again (nothing to write), and at a tenth of N (RSS flat in the document count);
 * against the straightforward approach (one `INSERT … ON CONFLICT` per row in a transaction per
 * document, as ORM-based migrations do), timed on the first `--naive` documents (default 5,000)
 * into empty tables and extrapolated linearly to N.
 */
import { spawn } from 'node:child_process'
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startEmbeddedServer } from '@elt/core'
import { createTestDatabase } from '@elt/core/testing'
import { ccb_contracts } from '../../models/src/documents/ccb-contracts.ts'
import { naiveLoad } from './naive-load.ts'
import { writeCcbFile } from './write-ccb-file.ts'

const { values } = parseArgs({ options: { contracts: { type: 'string', default: '100000' }, naive: { type: 'string', default: '5000' } } })
const contracts = Number(values.contracts)
const naiveDocuments = Math.min(Number(values.naive), contracts)
const here = path.dirname(fileURLToPath(import.meta.url))

interface ChildResult {
  seconds: number
  documents: number
  rejected: number
  rows: number
  maxRssMb: number
}

function loadInChild(url: string, file: string, schema: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'load-process.ts'), url, file, schema], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => void (out += chunk.toString()))
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!) as ChildResult) : reject(new Error(`load process exited with ${code}`))))
  })
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'elt-bench-documents-'))
await chmod(dir, 0o755)
const server = await startEmbeddedServer({ dir: path.join(dir, 'server'), ephemeral: true })
try {
  const db = await createTestDatabase(server.urlFor('postgres'), 'bench_documents')
  const file = path.join(dir, 'contratos.jsonl')
  const small = path.join(dir, 'contratos-tenth.jsonl')
  console.error(`generating ${contracts.toLocaleString('en-US')} contracts …`)
  const written = await writeCcbFile(file, { contracts, invalidEvery: 100 })
  await writeCcbFile(small, { contracts: Math.max(1, Math.round(contracts / 10)), invalidEvery: 100 })
  console.error(`${written.documents.toLocaleString('en-US')} documents (${written.invalid} invalid), ${((await stat(file)).size / 1e6).toFixed(0)} MB`)

  console.error('elt (loadDocuments), a tenth …')
  const tenth = await loadInChild(db.url, small, 'ccb_tenth')
  console.error('elt (loadDocuments), all …')
  const ours = await loadInChild(db.url, file, 'ccb')
  console.error('elt again (same input: nothing to write) …')
  const again = await loadInChild(db.url, file, 'ccb')
  console.error(`naive (INSERT … ON CONFLICT per row, a transaction per document), first ${naiveDocuments.toLocaleString('en-US')} documents …`)
  const naive = await naiveLoad(db.url, file, 'ccb_naive', ccb_contracts as never, naiveDocuments)
  const naiveAll = naive.seconds * (ours.documents / naive.documents)
  const rate = (docs: number, seconds: number) => `${Math.round(docs / seconds).toLocaleString('en-US')} docs/s`
  const lines = [
    `documents: ${ours.documents.toLocaleString('en-US')} (${ours.rejected} rejected), rows: ${ours.rows.toLocaleString('en-US')}`,
    `elt load:             ${ours.seconds.toFixed(1)} s  ${rate(ours.documents, ours.seconds)}  peak RSS ${ours.maxRssMb.toFixed(0)} MB`,
    `elt load, a tenth:    ${tenth.seconds.toFixed(1)} s  ${rate(tenth.documents, tenth.seconds)}  peak RSS ${tenth.maxRssMb.toFixed(0)} MB`,
    `elt rerun (no-op):    ${again.seconds.toFixed(1)} s  peak RSS ${again.maxRssMb.toFixed(0)} MB`,
    `naive, ${naive.documents.toLocaleString('en-US')} documents: ${naive.seconds.toFixed(1)} s  ${rate(naive.documents, naive.seconds)} → ${naiveAll.toFixed(0)} s for ${ours.documents.toLocaleString('en-US')} (linear extrapolation)`,
    `elt is ${(naiveAll / ours.seconds).toFixed(1)}× faster`,
  ]
  console.log(lines.join('\n'))
  await db.drop()
} finally {
  await server.stop().catch(() => {})
  await rm(dir, { recursive: true, force: true })
}
