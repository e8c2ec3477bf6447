/**
 * `elt.config.ts` at the project root: what to replicate, where models live, which targets exist.
 * Every field is optional; the defaults replicate `public` into `raw` and build
 * `packages/models` into `analytics`.
 *
 * ```ts
 * import { defineConfig } from '@elt/cli/config'
 * export default defineConfig({
 *   replicate: { schemas: ['public'], exclude: ['public.audit_*'] },
 *   targets: { prod: { schema: 'analytics' }, dev: { schema: 'analytics_{user}' } },
 * })
 * ```
 */
export interface EltConfig {
  replicate?: {
    /** Source schemas to copy (default `['public']`). `public` lands in `targetSchema`, any other `s` in `<targetSchema>_s`. */
    schemas?: string[]
    /** Only tables matching one of these patterns (`films`, `public.film_*`, `sales.*`). Default: all. */
    include?: string[]
    /** Tables matching any of these patterns are skipped. */
    exclude?: string[]
    /** Destination schema for `public` (default `raw`). */
    targetSchema?: string
    /** Tables copied in parallel (default: number of CPU cores). */
    jobs?: number
  }
  models?: {
    /** Module exporting the project's models (default `packages/models/src/index.ts`). */
    project?: string
  }
  /** Named targets; `{user}` in a schema is replaced by the OS user name. */
  targets?: Record<string, { schema: string }>
  /** Target used without `--target` (default `prod`). */
  defaultTarget?: string
}

export function defineConfig(config: EltConfig): EltConfig {
  return config
}

export const defaultTargets: Record<string, { schema: string }> = {
  prod: { schema: 'analytics' },
  dev: { schema: 'analytics_{user}' },
}
