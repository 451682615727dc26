import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    // A timeout here only catches a hang: no test may pass or fail by how fast the machine is (CI is
    // a loaded 2-core machine; the suite must stay green with two copies running at once).
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // Two cores on CI: keep integration files from starving each other.
    maxWorkers: 2,
    // On CI, also write a JSON report: .ci/run prints "N passed, N failed" from it.
    reporters: process.env['CI'] ? ['default', 'json'] : ['default'],
    ...(process.env['CI'] ? { outputFile: { json: 'test-results.json' } } : {}),
  },
});
