import { defineConfig } from '@elt/config'

// The project's configuration. Every field is optional; the keys are listed under Configuration in README.md
// and defined in packages/config/src/elt-config-schema.ts.
export default defineConfig({
  sources: {
    // the source database (SOURCE_DATABASE_URL, or the embedded default seeded from source_db_init/init.sql)
    postgres: { kind: 'postgres', schemas: ['public'], targetSchema: 'raw' },
    // a CSV export next to it: `pnpm elt ls --select source:ticket_sales+` lists what it feeds
    ticket_sales: { kind: 'csv', path: 'source_db_init/ticket_sales.csv', table: 'ticket_sales' },
    // a mongoexport of CCB credit contracts: validated, normalised into eight tables of `ccb` and upserted
    // by the document mapping ccb_contracts (packages/models/src/documents/ccb-contracts.ts)
    ccb: { kind: 'mongodb-export', path: 'source_db_init/ccb_contratos.jsonl', mapping: 'ccb_contracts', targetSchema: 'ccb' },
  },
  targets: {
    prod: { schema: 'analytics' },
    dev: { schema: 'analytics_{user}' },
  },
  defaultTarget: 'prod',
})
