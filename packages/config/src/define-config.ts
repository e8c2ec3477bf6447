import type { EltConfig } from './elt-config-schema.ts'

/**
 * Types the default export of `elt.config.ts` (optional: a plain object works too, which is
 * how a `.mjs`, `.js` or `.json` config outside the repository is written).
 *
 * ```ts
 * import { defineConfig } from '@elt/config'
 * export default defineConfig({
 *   replicate: { schemas: ['public'], exclude: ['public.audit_*'] },
 *   targets: { prod: { schema: 'analytics' }, dev: { schema: 'analytics_{user}' } },
 * })
 * ```
 */
export function defineConfig(config: EltConfig): EltConfig {
  return config
}
