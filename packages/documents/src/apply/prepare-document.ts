import { EJSON } from 'bson'
import type { DocumentMapping } from '../mapping/define-document-mapping.ts'
import type { SourceDocument } from '../readers/document-reader.ts'
import { cellProblem, copyText } from './copy-text.ts'

/** A document turned into COPY lines per table (ordinal appended), or rejected with its reasons. */
export type PreparedDocument =
  | { ok: true; lines: Map<string, string[]> }
  | { ok: false; reasons: string[]; documentId: string | null; businessKey: string | null; json: string }

/**
 * Validates one document with the mapping's rules, then maps it to rows and checks every row fits
 * its table (NOT NULL, lengths, numeric ranges, one row per primary key): anything wrong rejects
 * the whole document with readable reasons, so that no statement of its batch can fail on it.
 *
 * ```ts
 * prepareDocument(ccb_contracts, document, 17)
 * // { ok: true, lines: Map { 'clientes' => ['52998224725\tMaria …\t17'], 'parcelas' => [ … ], … } }
 * ```
 */
export function prepareDocument(mapping: DocumentMapping<unknown>, document: SourceDocument, ordinal: number): PreparedDocument {
  let reasons: string[]
  try {
    reasons = mapping.validate(document)
  } catch (error) {
    reasons = [`the validator failed: ${error instanceof Error ? error.message : String(error)}`]
  }
  const lines = new Map<string, string[]>()
  if (reasons.length === 0) {
    try {
      for (const [name, table] of Object.entries(mapping.tables)) {
        const columns = Object.entries(table.columns)
        const keys = new Set<string>()
        const out: string[] = []
        for (const row of table.rows(document)) {
          for (const [column, def] of columns) {
            const problem = cellProblem(row[column], def)
            if (problem) reasons.push(`${name}.${column} ${problem}`)
          }
          const key = table.primaryKey.map((k) => copyText(row[k], table.columns[k]!.type)).join('\t')
          if (keys.has(key)) reasons.push(`${name}: two rows with the key (${key.replace(/\t/g, ', ')})`)
          keys.add(key)
          out.push(columns.map(([column, def]) => copyText(row[column], def.type)).join('\t') + '\t' + ordinal)
        }
        lines.set(name, out)
      }
    } catch (error) {
      reasons.push(`could not be mapped to rows: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  if (reasons.length === 0) return { ok: true, lines }
  const safe = <T>(f: () => T): T | null => {
    try {
      return f()
    } catch {
      return null
    }
  }
  return {
    ok: false,
    reasons,
    documentId: safe(() => mapping.documentId(document)),
    businessKey: safe(() => mapping.businessKey(document)),
    json: safe(() => EJSON.stringify(document, { relaxed: true })) ?? JSON.stringify({ unserializable: String(document) }),
  }
}
