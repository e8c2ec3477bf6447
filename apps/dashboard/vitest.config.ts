import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    globalSetup: ['@elt/core/testing/global-setup'],
    testTimeout: 60_000,
    hookTimeout: 240_000,
    // One file at a time: the browser test measures timings, and two files building the project
    // at once would share the machine's two cores with it.
    fileParallelism: false,
  },
})
