import path from 'node:path'
import { EltError, ExitCode, importModule } from '@elt/core'
import { findImportCycle } from './import-cycle.ts'
import { isModel, isSource, type AnyRelation, type ModelRelation, type SourceRelation } from './relation.ts'

/** Every source and model of a project, keyed by id. */
export interface Project {
  sources: Map<string, SourceRelation<any>>
  models: Map<string, ModelRelation<any, any>>
}

/**
 * Collects the relations a project module exports: named exports, arrays and records of
 * them, and everything they read through `from` (so an unexported source still counts).
 * Two different definitions with the same id are an error.
 */
export function collectProject(exports: unknown): Project {
  const project: Project = { sources: new Map(), models: new Map() }
  const visit = (value: unknown, depth: number): void => {
    if (isSource(value)) return add(value)
    if (isModel(value)) {
      if (project.models.get(value.id) === value) return
      add(value)
      for (const dep of Object.values(value.from)) visit(dep, 0)
      return
    }
    if (depth > 2 || value === null || typeof value !== 'object') return
    for (const item of Array.isArray(value) ? value : Object.values(value)) visit(item, depth + 1)
  }
  const add = (relation: AnyRelation) => {
    const map: Map<string, AnyRelation> = relation.kind === 'source' ? project.sources : project.models
    const existing = map.get(relation.id)
    if (existing === relation) return
    if (existing) {
      throw new EltError(`Two different definitions share the id ${relation.id}.`, {
        hint: 'Give every model a unique name and declare each source table once.',
        exitCode: ExitCode.usage,
      })
    }
    map.set(relation.id, relation)
    if (relation.kind === 'model') {
      for (const [key, dep] of Object.entries(relation.from)) {
        if (!isSource(dep) && !isModel(dep)) {
          throw new EltError(`Model ${relation.name} declares from.${key}, which is not a model or source (got ${String(dep)}).`, {
            hint: 'Import the model or source value itself; an undefined value usually means a circular import between model modules.',
            exitCode: ExitCode.usage,
          })
        }
      }
    }
  }
  visit(exports, 0)
  return project
}

/**
 * Imports the project module (e.g. `packages/models/src/index.ts`) and collects it. When that
 * fails the way an import cycle between model modules makes it fail (a binding read before its
 * module finished loading, or a `from` value still undefined), the error names the cycle of files.
 */
export async function loadProject(modulePath: string): Promise<Project> {
  let exports: unknown
  try {
    exports = await importModule(modulePath)
  } catch (error) {
    throw (
      (await importCycleError(modulePath, error)) ??
      new EltError(`Could not load the models project ${modulePath}: ${error instanceof Error ? error.message : String(error)}`, {
        hint: 'Fix the error in the model module, or point models.project in elt.config.ts at the right file.',
        exitCode: ExitCode.usage,
        cause: error,
      })
    )
  }
  let project: Project
  try {
    project = collectProject(exports)
  } catch (error) {
    throw (await importCycleError(modulePath, error)) ?? error
  }
  if (project.models.size === 0 && project.sources.size === 0) {
    throw new EltError(`The models project ${modulePath} exports no models or sources.`, {
      hint: 'Export the values returned by defineModel/defineSource from that module.',
      exitCode: ExitCode.usage,
    })
  }
  return project
}

/**
 * The error to show when `error` is what an import cycle causes (`Cannot access 'x' before
 * initialization`, or a model's `from` value undefined) and the project's modules do import each
 * other in a cycle; undefined otherwise.
 */
async function importCycleError(modulePath: string, error: unknown): Promise<EltError | undefined> {
  const message = error instanceof Error ? error.message : String(error)
  const tdz = error instanceof ReferenceError ? /Cannot access '([^']+)' before initialization/.exec(message) : null
  if (!tdz && !(error instanceof EltError && /\(got undefined\)/.test(message))) return undefined
  const cycle = await findImportCycle(modulePath, tdz?.[1] === undefined ? {} : { declaring: tdz[1] }).catch(() => undefined)
  if (!cycle) return undefined
  const root = path.dirname(path.resolve(modulePath))
  return new EltError(`Import cycle between model modules: ${cycle.map((file) => path.relative(root, file)).join(' → ')} (${message}).`, {
    hint:
      'A module must not import, directly or through the project index, a module that imports it back: ' +
      'import each model or source from the file that defines it (not from the index), or move what both need into a module of its own.',
    exitCode: ExitCode.usage,
    cause: error,
  })
}
