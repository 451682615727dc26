/**
 * The standalone schema validators (scripts/generate-schema-validators.ts) are current, are what
 * loading a project uses, and report exactly what a schema compiled at run time reports, over every
 * configuration file in the repository (the broken-configuration corpus and the examples).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  compileConfigSchemaValidator,
  type ConfigSchemaName,
} from '../../../engine/config/config-schema-validators.js';
import { parseYamlFile } from '../../../engine/config/parse-yaml-file.js';
import * as pipelineGenerated from '../../../engine/config/pipeline-schema-validator.gen.js';
import * as projectGenerated from '../../../engine/config/project-schema-validator.gen.js';
import { createSchemaValidator } from '../../../engine/config/validate-against-schema.js';
import { runGeneratorCheck } from '../../harness/run-generator-check.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

const FILES = [
  join(ROOT, 'ferry.yaml'),
  ...yamlFiles(join(ROOT, 'pipelines')),
  ...yamlFiles(join(ROOT, 'test/fixtures/config')),
];

describe('generated schema validators', () => {
  it('are current (scripts/generate-schema-validators.ts --check exits 0)', async () => {
    const result = await runGeneratorCheck('scripts/generate-schema-validators.ts');
    expect(result.code, result.stderr).toBe(0);
  });

  it('are the ones in use (no schema is compiled at run time)', () => {
    expect(compileConfigSchemaValidator('ferry').validate).toBe(projectGenerated.validateSchema);
    expect(compileConfigSchemaValidator('pipeline').validate).toBe(pipelineGenerated.validateSchema);
  });

  it('report the same problems as the schemas compiled at run time', () => {
    const pair = (name: ConfigSchemaName) => ({
      generated: createSchemaValidator(compileConfigSchemaValidator(name)),
      compiled: createSchemaValidator(compileConfigSchemaValidator(name, { generated: false })),
    });
    const validators = { ferry: pair('ferry'), pipeline: pair('pipeline') };
    let problems = 0;
    for (const path of FILES) {
      const file = { path: relative(ROOT, path), text: readFileSync(path, 'utf8') };
      const parsed = parseYamlFile(file);
      if (!parsed.doc || parsed.value === null || typeof parsed.value !== 'object') continue;
      const isProject = /^ferry\.ya?ml$/.test(basename(path));
      const list = (parsed.value as Record<string, unknown>)['pipelines'];
      const items: Array<[unknown, string]> =
        !isProject && Array.isArray(list)
          ? list.map((item, i) => [item, `/pipelines/${i}`])
          : [[parsed.value, '']];
      const { generated, compiled } = validators[isProject ? 'ferry' : 'pipeline'];
      for (const [value, basePointer] of items) {
        const context = { file: file.path, doc: parsed.doc, lineCounter: parsed.lineCounter, basePointer };
        const expected = compiled.validate(value, context);
        expect(generated.validate(value, context), file.path).toEqual(expected);
        problems += expected.length;
      }
    }
    // The corpus reaches the error paths, not only valid files.
    expect(problems).toBeGreaterThan(30);
  });
});
