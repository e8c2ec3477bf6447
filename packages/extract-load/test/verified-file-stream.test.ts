import { createHash } from 'node:crypto'
import { mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifiedFileStream } from '../src/stage/verified-file-stream.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'elt-verified-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** A staged file of `content` (gzipped when `gzip`), with the manifest's sha256 and size of its bytes on disk. */
async function staged(name: string, content: Buffer, gzip: boolean) {
  const bytes = gzip ? gzipSync(content) : content
  const file = path.join(dir, name)
  await writeFile(file, bytes)
  return { file, expected: { sha256: createHash('sha256').update(bytes).digest('hex'), fileBytes: bytes.length, gzip, label: 'postgres: public.films (2024-01-15)' } }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Whether this process holds `file` open (Linux: /proc/self/fd). */
async function isOpen(file: string): Promise<boolean> {
  const fds = await readdir('/proc/self/fd')
  const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')))
  return targets.includes(file)
}

const rows = Buffer.from(Array.from({ length: 400_000 }, (_, i) => `${i},film ${i}\n`).join(''))

describe('verifiedFileStream', () => {
  it('streams a staged file back, plain or gzipped, as it was written', async () => {
    for (const gzip of [false, true]) {
      const { file, expected } = await staged(`good-${gzip}.csv${gzip ? '.gz' : ''}`, rows, gzip)
      expect((await readAll(verifiedFileStream(file, expected))).equals(rows)).toBe(true)
    }
  })

  it('a file changed after the extract fails naming it: a plain one at its end, a gzipped one where it cannot be decompressed', async () => {
    const plain = await staged('changed.csv', rows, false)
    await writeFile(plain.file, Buffer.concat([rows.subarray(0, 100), Buffer.from('x'), rows.subarray(101)]))
    await expect(readAll(verifiedFileStream(plain.file, plain.expected))).rejects.toThrow(`The staged file ${plain.file} of postgres: public.films (2024-01-15) does not match its manifest`)
    // its header damaged: gunzip fails on the first chunk, long before the file's end where the manifest is checked
    const gz = await staged('damaged.csv.gz', rows, true)
    const bytes = await readFile(gz.file)
    bytes.fill(0x78, 0, 10)
    await writeFile(gz.file, bytes)
    await expect(readAll(verifiedFileStream(gz.file, gz.expected))).rejects.toThrow(
      `The staged file ${gz.file} of postgres: public.films (2024-01-15) cannot be decompressed (incorrect header check): it was changed or damaged after the extract.`,
    )
  })

  it('a reader that gives up after the first chunk closes the file, gzipped or not', async () => {
    for (const gzip of [false, true]) {
      const { file, expected } = await staged(`abandoned-${gzip}.csv${gzip ? '.gz' : ''}`, rows, gzip)
      const stream = verifiedFileStream(file, expected)
      stream.on('error', () => {})
      await new Promise((resolve) => stream.once('data', resolve))
      expect(await isOpen(file)).toBe(true)
      stream.destroy()
      const deadline = Date.now() + 5000
      while (await isOpen(file)) {
        if (Date.now() > deadline) throw new Error(`${file} still open 5 s after its reader gave up (gzip: ${gzip})`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    }
  })
})
