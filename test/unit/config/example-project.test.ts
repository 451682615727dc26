/** The repository's own example project (ferry.yaml + pipelines/) is the documentation: it must stay valid. */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../engine/project/load-project.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('the example project', () => {
  const loaded = loadProject({ cwd: ROOT, env: {} });

  it('validates with zero problems (no warnings either)', () => {
    expect(
      loaded.problems.map((p) => `${p.code} ${p.at?.file ?? ''}:${p.at?.line ?? ''} ${p.message}`),
    ).toEqual([]);
    expect(loaded.project).toBeDefined();
  });

  it('reads ferry.yaml and every file in pipelines/', () => {
    const pipelineFiles = readdirSync(new URL('pipelines/', `file://${ROOT}`))
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => `pipelines/${f}`)
      .sort();
    expect(pipelineFiles.length).toBeGreaterThan(0);
    expect(loaded.files).toEqual(['ferry.yaml', ...pipelineFiles]);
    expect(new Set(loaded.pipelines.map((p) => p.origin.file))).toEqual(new Set(pipelineFiles));
  });
});
