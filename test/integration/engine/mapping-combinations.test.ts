/**
 * Every mapping that `validate` accepts runs (generated). Mapping options — fields / exclude, rename,
 * cast, compute, rest, timestamp, key — and the source (CSV, typed JSON) and sink format are combined
 * pairwise (every pair of option values appears in some case), plus a fixed-seed random sample. Each
 * case is validated with loadProject, exactly as `ferry validate` does; a case that validates is run
 * through the engine's own steps (compileSteps → load → map → write-files, executeStep, one sandboxed
 * DuckDB session per case, no S3: the fetched file is put in place) and must either succeed, with
 * rows read = written + rejected, or fail with a ferry error located at a setting of the pipeline
 * that only the data can reveal (a column the file lacks, a rename onto an existing column, a
 * computed expression). Never a DuckDB error, never an unlocated failure.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createDuckDbSession } from '../../../engine/duckdb/create-duckdb-session.js';
import { isFerryError, type FerryError } from '../../../engine/errors/ferry-error.js';
import { compileSteps } from '../../../engine/plan/compile-plan.js';
import type { FileSelection } from '../../../engine/plan/select-files.js';
import { loadProject } from '../../../engine/project/load-project.js';
import { emptyCounts, emptyPipelineState } from '../../../engine/state/pipeline-state.js';
import { executeStep } from '../../../engine/steps/execute-step.js';
import { CREATE_REJECTED_ROWS_TABLE } from '../../../engine/steps/rejected-rows.js';
import type { StepContext } from '../../../engine/steps/step-context.js';

type Value = Record<string, unknown>;

/** Each dimension: named values (a mapping fragment, or for source/sink the format). */
const DIMENSIONS: Record<string, Record<string, Value>> = {
  // Every row may be rejected: the reject budget is tested elsewhere; here it would hide mappings.
  source: { csv: { kind: 'csv', max_rejects: '100%' }, json: { kind: 'json', max_rejects: '100%' } },
  sink: { csv: { format: 'csv' }, ndjson: { format: 'ndjson' }, multi: { format: 'multi-csv' } },
  select: { all: {}, fields: { fields: ['a', 'b', 'n', 'ts', 'o'] }, exclude: { exclude: ['c'] } },
  rename: { none: {}, a2: { rename: { a: 'a2' } }, ontoA: { rename: { b: 'a' } } },
  cast: {
    none: {},
    int: { cast: { n: 'INTEGER' } },
    renamed: { cast: { a2: 'VARCHAR' } },
    excluded: { cast: { c: 'DOUBLE' } },
    nested: { cast: { o: 'INTEGER' } },
  },
  // Expressions that run whatever the column's type (VARCHAR from CSV, typed from JSON, a parsed
  // timestamp, the rest map), so a failure can only mean the column is not there.
  compute: {
    none: {},
    double: { compute: { d: 'TRY_CAST(n AS BIGINT) * 2' } },
    upper: { compute: { e: 'upper(CAST(b AS VARCHAR))' } },
    override: { compute: { a: "CAST(b AS VARCHAR) || 'x'" } },
    intoName: { compute: { traits: '1' } },
    excluded: { compute: { f: 'TRY_CAST(c AS DOUBLE) + 1' } },
  },
  rest: { none: {}, traits: { rest: { into: 'traits' } }, ontoB: { rest: { into: 'b' } } },
  timestamp: {
    none: {},
    iso: { timestamp: { column: 'ts' } },
    format: { timestamp: { column: 'ts', format: 'YYYY-MM-DD' } },
    created: { timestamp: { column: 'created', default: 'import-time' } },
    unix: { timestamp: { column: 'n', format: 'X' } },
  },
  key: { none: {}, a: { key: ['a'] }, a2: { key: ['a2'] }, computed: { key: ['d'] } },
};

type Case = Record<string, string>;

/** Greedy all-pairs: each new case takes, dimension by dimension, the value covering most new pairs. */
function pairwiseCases(): Case[] {
  const dims = Object.keys(DIMENSIONS);
  const values = dims.map((d) => Object.keys(DIMENSIONS[d] ?? {}));
  const uncovered = new Set<string>();
  dims.forEach((_, i) =>
    dims.forEach((__, j) => {
      if (j <= i) return;
      for (const a of values[i] ?? []) for (const b of values[j] ?? []) uncovered.add(`${i}=${a}|${j}=${b}`);
    }),
  );
  const cases: Case[] = [];
  while (uncovered.size > 0) {
    const picked: string[] = [];
    dims.forEach((_, i) => {
      let best = values[i]?.[0] ?? '';
      let bestGain = -1;
      for (const value of values[i] ?? []) {
        // Pairs with dimensions already picked, and pairs still open with later dimensions.
        let gain = 0;
        picked.forEach((p, j) => (gain += uncovered.has(`${j}=${p}|${i}=${value}`) ? 2 : 0));
        for (let k = i + 1; k < dims.length; k++)
          for (const later of values[k] ?? []) gain += uncovered.has(`${i}=${value}|${k}=${later}`) ? 1 : 0;
        if (gain > bestGain) [best, bestGain] = [value, gain];
      }
      picked.push(best);
    });
    picked.forEach((a, i) => picked.forEach((b, j) => j > i && uncovered.delete(`${i}=${a}|${j}=${b}`)));
    cases.push(Object.fromEntries(dims.map((d, i) => [d, picked[i] ?? ''])));
  }
  return cases;
}

/** A fixed-seed sample of full combinations (more than pairs: three-way interactions too). */
function sampledCases(count: number, seed: number): Case[] {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: count }, () =>
    Object.fromEntries(
      Object.entries(DIMENSIONS).map(([d, vs]) => {
        const names = Object.keys(vs);
        return [d, names[Math.floor(next() * names.length)] ?? ''];
      }),
    ),
  );
}

const CSV = 'a,b,c,n,ts\nx1,y1,1.5,1714521600,2024-05-01\nx2,,2.5,,2024-05-02\n';
const NDJSON =
  '{"a":"x1","b":"y1","c":1.5,"n":1714521600,"ts":"2024-05-01","o":{"k":1},"tags":["p","q&r"]}\n' +
  '{"a":"x2","b":null,"c":2.5,"n":null,"ts":"2024-05-02","o":{"k":2},"tags":[]}\n';
const DATA_COLUMNS = { csv: ['a', 'b', 'c', 'n', 'ts'], json: ['a', 'b', 'c', 'n', 'o', 'tags', 'ts'] };
/** Run-time failures only the data can reveal; each must point at its setting. */
const DATA_DEPENDENT = new Set([
  'MAPPING_UNKNOWN_COLUMN',
  'MAPPING_DUPLICATE_COLUMN',
  'MAPPING_COMPUTE_FAILED',
]);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-mapping-combinations-'));
  await writeFile(
    join(dir, 'ferry.yaml'),
    stringify({
      version: 1,
      connections: {
        s3: {
          region: 'us-east-1',
          endpoint: 'http://127.0.0.1:9',
          force_path_style: true,
          auth: { kind: 'static', access_key_id: '${env:K}', secret_access_key: '${env:S}' },
        },
      },
      state: { kind: 'local', directory: 'state' },
    }),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function pipelineOf(c: Case): Value {
  const part = (d: string) => DIMENSIONS[d]?.[c[d] ?? ''] ?? {};
  const mapping = Object.assign(
    {},
    ...['select', 'rename', 'cast', 'compute', 'rest', 'timestamp', 'key'].map(part),
  );
  const sink = part('sink');
  return {
    name: 'p',
    source: { kind: 's3', connection: 's3', bucket: 'vendor-in', format: part('source') },
    ...(Object.keys(mapping as Value).length ? { mapping } : {}),
    sink: {
      kind: 's3',
      connection: 's3',
      bucket: 'vendor-out',
      filename: sink['format'] === 'multi-csv' ? 'out-{{field}}' : 'out',
      ...sink,
    },
  };
}

/** The engine's steps for one selected file, run locally: load, map, (diff,) write-files. */
async function runLocally(loaded: ReturnType<typeof loadProject>, c: Case): Promise<StepContext> {
  const pipeline = loaded.pipelines[0];
  const project = loaded.project;
  if (!pipeline || !project) throw new Error('no pipeline');
  const temp = await mkdtemp(join(tmpdir(), 'ferry-mapping-case-'));
  const session = await createDuckDbSession({ tempDir: temp, memoryLimit: '256MB', threads: 1 });
  try {
    const key = c['source'] === 'json' ? 'in.ndjson' : 'in.csv';
    const path = join(temp, 'in-0001');
    await writeFile(path, c['source'] === 'json' ? NDJSON : CSV);
    const candidate = { key, name: key, size: 1, etag: '"e"', lastModified: new Date(0) };
    const selection: FileSelection = {
      listed: 1,
      matched: 1,
      selected: [candidate],
      changed: [],
      skipped: [],
      warnings: [],
    };
    await session.run(CREATE_REJECTED_ROWS_TABLE);
    const context: StepContext = {
      mode: 'plan',
      pipeline,
      project,
      runId: 'combination',
      runTime: new Date('2024-05-01T06:00:00Z'),
      tempDir: temp,
      session,
      s3: () => {
        throw new Error('no S3 in this test');
      },
      pgp: () => {
        throw new Error('no PGP in this test');
      },
      state: emptyPipelineState(pipeline.name),
      selected: [candidate],
      fetched: [{ candidate, path, sha256: '' }],
      sourceColumns: [],
      columns: [],
      outputs: [],
      counts: { ...emptyCounts(), filesMatched: 1, filesNew: 1 },
      rejects: [],
      warnings: [],
      sql: [],
    };
    for (const step of compileSteps(pipeline, selection)) {
      if (step.kind === 'fetch' || step.kind === 'upload' || step.kind === 'commit-state') continue;
      await executeStep(context, step, { commitState: () => Promise.resolve() });
    }
    return context;
  } finally {
    session.close();
    await rm(temp, { recursive: true, force: true });
  }
}

/** The source column each generated computed column reads. */
const COMPUTE_READS: Record<string, string> = { d: 'n', e: 'b', a: 'b', f: 'c' };

/** Columns a computed expression can see: the selected source columns after rename. */
function visibleColumns(c: Case): string[] {
  const mapping = Object.assign(
    {},
    DIMENSIONS['select']?.[c['select'] ?? ''],
    DIMENSIONS['rename']?.[c['rename'] ?? ''],
  ) as {
    fields?: string[];
    exclude?: string[];
    rename?: Record<string, string>;
  };
  const data: readonly string[] = DATA_COLUMNS[c['source'] === 'json' ? 'json' : 'csv'];
  const selected = data.filter((col) =>
    mapping.fields ? mapping.fields.includes(col) : !mapping.exclude?.includes(col),
  );
  return selected.map((col) => mapping.rename?.[col] ?? col);
}

/** Why a run-time failure is not acceptable (empty when it is a located, data-dependent one). */
function explainRunFailure(error: unknown, c: Case): string[] {
  if (!isFerryError(error)) return [`not a ferry error: ${String(error)}`];
  const failure: FerryError = error;
  const detail = `${failure.code}: ${failure.message}`;
  if (!DATA_DEPENDENT.has(failure.code)) return [`run failed: ${detail}`];
  if (failure.context.config === undefined) return [`not located: ${detail}`];
  if (failure.code === 'MAPPING_COMPUTE_FAILED') {
    // Only when the column the expression reads is not there after selection and rename.
    const name = failure.context.config?.split('/').pop() ?? '';
    const reads = COMPUTE_READS[name];
    if (reads === undefined || visibleColumns(c).includes(reads)) return [`compute should run: ${detail}`];
  }
  if (failure.code === 'MAPPING_UNKNOWN_COLUMN') {
    // Only a column the file really lacks; a name the mapping itself removed is validate's job.
    const column = /column "([^"]+)"/.exec(failure.message)?.[1] ?? '';
    const present: readonly string[] = DATA_COLUMNS[c['source'] === 'json' ? 'json' : 'csv'];
    if (present.includes(column)) return [`validate should have caught: ${detail}`];
  }
  return [];
}

function describeCase(c: Case): string {
  return Object.entries(c)
    .map(([d, v]) => `${d}=${v}`)
    .join(' ');
}

it('every mapping that validates runs, or fails at a located setting the data reveals', async () => {
  const cases = [...pairwiseCases(), ...sampledCases(24, 20241201)];
  expect(cases.length).toBeGreaterThan(30);
  const outcomes = { rejected: 0, ran: 0, dataDependent: 0 };
  const failures: string[] = [];
  for (const c of cases) {
    const label = describeCase(c);
    await writeFile(join(dir, 'p.yaml'), stringify(pipelineOf(c)));
    const loaded = loadProject({ cwd: dir, env: { K: 'k', S: 's' }, paths: ['p.yaml'] });
    const errors = loaded.problems.filter((p) => p.severity === 'error');
    if (errors.length > 0) {
      if (process.env['X_DEBUG']) console.log(label, JSON.stringify(errors.map((e) => [e.code, e.message])));
      for (const problem of errors) {
        if (problem.code === 'INTERNAL' || (problem.at?.line ?? 0) < 1) {
          failures.push(`${label}: unlocated problem ${problem.code} ${problem.message}`);
        }
      }
      outcomes.rejected += 1;
      continue;
    }
    let context: StepContext;
    try {
      context = await runLocally(loaded, c);
    } catch (error) {
      failures.push(...explainRunFailure(error, c).map((f) => `${label}: ${f}`));
      outcomes.dataDependent += 1;
      continue;
    }
    const { counts } = context;
    if (counts.rowsRead !== 2 || counts.rowsWritten + counts.rowsRejected !== counts.rowsRead) {
      failures.push(`${label}: counts do not add up ${JSON.stringify(counts)}`);
    }
    if (counts.rowsWritten > 0 && context.outputs.length === 0) failures.push(`${label}: no output`);
    outcomes.ran += 1;
  }
  expect(failures).toEqual([]);
  // The generator must exercise all three outcomes, or it tests less than it claims.
  expect(outcomes.ran).toBeGreaterThan(10);
  expect(outcomes.rejected).toBeGreaterThan(0);
  expect(outcomes.dataDependent).toBeGreaterThan(0);
});
