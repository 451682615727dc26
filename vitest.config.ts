import { defineConfig } from 'vitest/config';

/**
 * Files that change the worker process for good — a module mock (`vi.mock`), the time zone set at
 * import (`process.env.TZ`), stubbed AWS variables — run each in a fresh module graph. Every other
 * file shares its worker's modules: importing the AWS SDK, DuckDB and the engine once per worker
 * instead of once per file more than halves the time of the unit and DuckDB tests.
 */
const ISOLATED = [
  'test/unit/cli/run-cli-internal-error.test.ts',
  'test/integration/engine/mapping.test.ts',
  'test/integration/engine/filenames.test.ts',
  'test/integration/s3/assume-role.test.ts',
  'test/integration/s3/download-disk-full.test.ts',
];

export default defineConfig({
  test: {
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
    projects: [
      { extends: true, test: { name: 'isolated', include: ISOLATED, isolate: true } },
      {
        extends: true,
        test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: ISOLATED, isolate: false },
      },
    ],
  },
});
