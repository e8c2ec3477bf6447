import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'

/**
 * The first cycle among the modules reachable from `entry` through runtime imports of relative
 * files (`import … from './x.ts'`, `export … from './x.ts'`; `import type` and `export type`
 * are erased, so they are left out), as a list of absolute paths whose last element repeats the
 * first; undefined when there is none. Imports are read with TypeScript's parser, never run.
 * With `declaring`, a cycle through a file that declares that name is preferred (the name a
 * "Cannot access 'x' before initialization" error gives).
 *
 * ```ts
 * await findImportCycle('/p/models/index.ts', { declaring: 'stgFilms' })
 * // ['/p/models/staging/stg_films.ts', '/p/models/marts/film_ratings.ts', '/p/models/staging/stg_films.ts']
 * ```
 */
export async function findImportCycle(entry: string, options: { declaring?: string } = {}): Promise<string[] | undefined> {
  const { default: ts } = await import('typescript')
  const importsOf = (file: string): string[] => {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false)
    const specifiers: string[] = []
    for (const statement of source.statements) {
      if (ts.isImportDeclaration(statement) && !statement.importClause?.isTypeOnly && ts.isStringLiteral(statement.moduleSpecifier)) {
        specifiers.push(statement.moduleSpecifier.text)
      } else if (ts.isExportDeclaration(statement) && !statement.isTypeOnly && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)) {
        specifiers.push(statement.moduleSpecifier.text)
      }
    }
    return specifiers.flatMap((specifier) => {
      const resolved = resolveRelative(file, specifier)
      return resolved ? [resolved] : []
    })
  }

  const cycles: string[][] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  // Depth-first in import order, as the modules are evaluated: every edge back into the stack closes a cycle.
  const visit = (file: string) => {
    state.set(file, 'open')
    stack.push(file)
    for (const next of importsOf(file)) {
      const seen = state.get(next)
      if (seen === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next])
      else if (seen === undefined) visit(next)
    }
    stack.pop()
    state.set(file, 'done')
  }
  visit(path.resolve(entry))
  const declares = (file: string) =>
    options.declaring !== undefined && new RegExp(`\\b(const|let|var|class|function)\\s+${escapeRegExp(options.declaring)}\\b`).test(readFileSync(file, 'utf8'))
  return cycles.find((cycle) => cycle.some(declares)) ?? cycles[0]
}

/** `./x.ts`, `./x.js` (→ x.ts), `./x`, `./dir` (→ dir/index.ts) from `importer`; undefined for packages and missing files. */
function resolveRelative(importer: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.') && !path.isAbsolute(specifier)) return undefined
  const base = path.resolve(path.dirname(importer), specifier)
  const stem = base.replace(/\.(m|c)?js$/, '')
  const candidates = [base, `${stem}.ts`, `${stem}.mts`, `${stem}.tsx`, path.join(base, 'index.ts')]
  return candidates.find((candidate) => /\.(m|c)?[jt]sx?$/.test(candidate) && existsSync(candidate))
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
