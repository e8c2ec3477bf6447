import { defineConfig } from 'vitest/config'

// No database here: the config is validated before any connection is made.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
