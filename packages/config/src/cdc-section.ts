import { configSection } from './config-section.ts'
import { wholeNumber } from './config-values.ts'

/**
 * Change data capture settings (tables with `strategy: 'cdc'`):
 *
 * ```ts
 * cdc: { warnRetainedWalBytes: 1024 ** 3 } // warn when a pipeline's slot keeps more than 1 GiB of WAL on the source
 * ```
 */
export const cdcSection = configSection(
  {
    /** A run warns when its slot retains more WAL than this on the source (default 1 GiB). */
    warnRetainedWalBytes: wholeNumber(1).default(1024 ** 3),
  },
  'the change data capture settings { warnRetainedWalBytes? }',
)
