import { mkdir, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'

/**
 * Writes `<dir>/<file>` atomically (temp file + rename), so a reader such as the dashboard
 * never sees half a document.
 */
export async function writeArtifact(dir: string, file: 'manifest.json' | 'run_results.json', document: unknown): Promise<string> {
  await mkdir(dir, { recursive: true })
  const target = path.join(dir, file)
  const temp = `${target}.${process.pid}.tmp`
  await writeFile(temp, JSON.stringify(document, null, 2) + '\n')
  await rename(temp, target)
  return target
}
