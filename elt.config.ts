import { defineConfig } from '@elt/config'

// The project's configuration. Every field is optional; the keys are listed under Configuration in README.md
// and defined in packages/config/src/elt-config-schema.ts.
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
