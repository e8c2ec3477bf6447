import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    globalSetup: ['@elt/core/testing/global-setup'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // *.test-d.ts: type tests (a misspelled or removed column must not compile), checked by tsc
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
})
