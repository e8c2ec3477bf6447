import { defineConfig } from '@elt/cli/config'

// The project's configuration. Every field is optional; see apps/cli/src/config/elt-config.ts.
export default defineConfig({
  replicate: {
    schemas: ['public'],
    targetSchema: 'raw',
  },
  targets: {
    prod: { schema: 'analytics' },
    dev: { schema: 'analytics_{user}' },
  },
  defaultTarget: 'prod',
})
