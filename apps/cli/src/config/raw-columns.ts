import { access } from 'node:fs/promises'
import path from 'node:path'
import { importModule } from '@elt/core'
import { sourceColumnsFrom, type RawColumnLists, type SourceColumns } from '@elt/runner'

/** Where `pnpm elt codegen` writes the raw tables' types and column lists, relative to the project. */
export const rawSchemaModule = 'packages/models/src/generated/raw-schema.ts'

/**
 * The raw tables' column names from codegen's module (its `rawColumns` export), for column lineage;
 * undefined when the module is absent or older than the column lists.
 *
 * ```ts
 * (await rawColumnsOf('/repo'))?.('raw', 'films') // ['film_id', 'title', 'release_date', 'price', 'rating', 'user_rating']
 * ```
 */
export async function rawColumnsOf(projectDir: string): Promise<SourceColumns | undefined> {
  const file = path.resolve(projectDir, rawSchemaModule)
  if (!(await access(file).then(() => true, () => false))) return undefined
  const exports = (await importModule(file)) as { rawColumns?: RawColumnLists }
  return exports.rawColumns ? sourceColumnsFrom([exports.rawColumns]) : undefined
}
