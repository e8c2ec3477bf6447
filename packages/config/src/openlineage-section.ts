import { configSection } from './config-section.ts'
import { httpUrl, nonEmptyText, seconds } from './config-values.ts'

/**
 * Where each run sends OpenLineage run events (one per built model, with column lineage):
 *
 * ```ts
 * openlineage: { url: 'http://marquez:5000/api/v1/lineage', namespace: 'warehouse', timeoutSeconds: 5 }
 * ```
 */
export const openLineageSection = configSection(
  {
    /** The collector's endpoint; each event is POSTed to it as JSON. */
    url: httpUrl,
    /** Job and dataset namespace (default `elt`). */
    namespace: nonEmptyText('a namespace such as "warehouse"').default('elt'),
    /** Per request; a collector that stalls longer is given up for the run, which goes on (default 5 s). */
    timeoutSeconds: seconds.default(5),
  },
  'the OpenLineage settings { url, namespace?, timeoutSeconds? }',
)
