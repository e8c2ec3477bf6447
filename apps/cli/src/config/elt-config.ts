/**
 * `@elt/cli/config`: kept for configs written before the schema moved to `@elt/config`,
 * which is where `defineConfig`, the schema and `loadConfig` live.
 *
 * ```ts
 * import { defineConfig } from '@elt/config' // or, as before, from '@elt/cli/config'
 * export default defineConfig({ replicate: { schemas: ['public'] } })
 * ```
 */
export { defineConfig, defaultTargets, type EltConfig, type ResolvedConfig } from '@elt/config'
