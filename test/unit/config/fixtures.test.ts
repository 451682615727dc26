/**
 * The broken-configuration corpus: every directory under test/fixtures/config/ is one case with a
 * ferry.yaml and/or pipelines/*.yaml, the exact problems it must produce (expected.json: code, file,
 * line, col, in reported order) and, optionally, options.json ({"paths": [...]}) for loadProject.
 *
 * The printed output is compared with golden files in test/golden/config/ (<case>.txt, and for a few
 * cases .json and .github.txt). After an intended change, rewrite them with
 * `UPDATE_GOLDEN=1 npx vitest run test/unit/config/fixtures.test.ts` and review the diff.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../engine/project/load-project.js';
import {
  renderProblemsGithub,
  renderProblemsJson,
  renderProblemsText,
} from '../../../engine/report/render-problems.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/config/', import.meta.url));
const GOLDEN = fileURLToPath(new URL('../../golden/config/', import.meta.url));
const ENV = { VENDOR_KEY_ID: 'x', VENDOR_SECRET: 'y' };
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

/** Cases whose JSON and GitHub renderings are also kept as golden files. */
const ALL_FORMATS = new Set([
  'unknown-key-typo',
  'literal-secret',
  'schedule-no-kind',
  'duplicate-pipeline-names',
  'yaml-tabs',
  'path-not-found',
]);

interface ExpectedProblem {
  code: string;
  file: string | null;
  line: number | null;
  col: number | null;
}

const cases = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

function load(name: string) {
  const dir = join(FIXTURES, name);
  const optionsFile = join(dir, 'options.json');
  const options = existsSync(optionsFile)
    ? (JSON.parse(readFileSync(optionsFile, 'utf8')) as { paths?: string[] })
    : {};
  return loadProject({ cwd: dir, env: ENV, ...(options.paths ? { paths: options.paths } : {}) });
}

function expectGolden(file: string, actual: string): void {
  const path = join(GOLDEN, file);
  if (UPDATE) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  expect(existsSync(path), `${file} is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

describe('configuration fixtures', () => {
  it('has a corpus of at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)('%s', (name) => {
    const expectedFile = join(FIXTURES, name, 'expected.json');
    expect(existsSync(expectedFile), `${name}/expected.json is missing`).toBe(true);
    const expected = JSON.parse(readFileSync(expectedFile, 'utf8')) as ExpectedProblem[];

    const loaded = load(name);
    const actual = loaded.problems.map((p) => ({
      code: p.code,
      file: p.at?.file ?? null,
      line: p.at?.line ?? null,
      col: p.at?.col ?? null,
    }));
    expect(actual).toEqual(expected);

    const options = { sources: loaded.sources, color: false, omitted: loaded.omitted };
    expectGolden(`${name}.txt`, renderProblemsText(loaded.problems, options));
    if (ALL_FORMATS.has(name)) {
      expectGolden(`${name}.json`, renderProblemsJson(loaded.problems, { omitted: loaded.omitted }));
      expectGolden(`${name}.github.txt`, renderProblemsGithub(loaded.problems));
    }
  });

  it('has no golden file without a case', () => {
    const stale = (existsSync(GOLDEN) ? readdirSync(GOLDEN) : []).filter((file) => {
      const name = file.replace(/(\.github)?\.(txt|json)$/, '');
      const multi = file.endsWith('.json') || file.endsWith('.github.txt');
      return !cases.includes(name) || (multi && !ALL_FORMATS.has(name));
    });
    expect(stale).toEqual([]);
  });

  it('never prints a literal secret from the file', () => {
    for (const name of [
      'literal-secret',
      'secret-env-default',
      'endpoint-credentials',
      'literal-secrets-one-line',
    ]) {
      const loaded = load(name);
      const text = renderProblemsText(loaded.problems, { sources: loaded.sources, color: false });
      const json = renderProblemsJson(loaded.problems);
      const github = renderProblemsGithub(loaded.problems);
      const secrets = [
        'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        'AKIAIOSFODNN7EXAMPLE',
        'hunter2hunter2',
        'minio123',
      ];
      for (const secret of secrets) {
        expect(text).not.toContain(secret);
        expect(json).not.toContain(secret);
        expect(github).not.toContain(secret);
      }
    }
  });
});
