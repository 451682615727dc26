/**
 * Round trip (property): random rows — a string key, scalars, a VARCHAR[] and a MAP(VARCHAR,
 * VARCHAR) whose values hold `&`, `=`, `%`, commas, quotes, newlines, empty strings and NULLs — go
 * into a dataset from an NDJSON file, out as multi-csv and as flat CSV, and are read back in DuckDB.
 *
 * How values come back (the decisions this test pins down):
 * - multi-csv: exact, with one exception: a NULL list or map and an empty one both have no rows in
 *   their field file, so both read back as empty. Scalars keep NULL (an empty field) apart from ""
 *   (a quoted empty field): read with `allow_quoted_nulls=false`. Elements come back in file order.
 * - flat CSV (`&`-joined, `%`/`&`/`=` percent-encoded): a NULL list or map is an empty field and an
 *   empty one is `""`; a NULL list element is an empty element in its place and a NULL map value an
 *   empty value (the encoding has no NULL, so both read back as ""); a list holding only "" is
 *   indistinguishable from [] and reads back as [].
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DuckDbRow } from '../../../engine/duckdb/create-duckdb-session.js';
import { queryFile, queryFiles } from '../../harness/duckdb-files.js';
import { at, startDatasetFixture, type DatasetFixture } from './dataset-fixture.js';

let fx: DatasetFixture;
beforeAll(async () => {
  fx = await startDatasetFixture();
});
afterAll(async () => {
  await fx?.stop();
});

interface Row {
  id: string;
  name: string | null;
  n: number | null;
  ok: boolean | null;
  tags: Array<string | null> | null;
  attrs: Array<[string, string | null]> | null;
}

// Text that exercises every encoding: the join, map and escape characters, CSV quoting, newlines.
const UNITS = [
  'a',
  'B',
  '&',
  '=',
  '%',
  '%25',
  '%3D',
  ',',
  '"',
  "'",
  '\n',
  '\r\n',
  ' ',
  ';',
  '\\',
  'é',
  '😀',
  '\t',
];
const text = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom(...UNITS), maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }).filter((s) => !s.includes('\0')) },
);
const nullable = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: null, freq: 4 });
const row: fc.Arbitrary<Row> = fc.record({
  id: text,
  name: nullable(text),
  n: nullable(fc.integer({ min: -1_000_000, max: 1_000_000 })),
  ok: nullable(fc.boolean()),
  tags: nullable(fc.array(nullable(text), { maxLength: 4 })),
  attrs: nullable(fc.uniqueArray(fc.tuple(text, nullable(text)), { selector: ([k]) => k, maxLength: 4 })),
});
const rows = fc.uniqueArray(row, { selector: (r) => r.id, minLength: 1, maxLength: 10 });
/**
 * Samples per apply: each is one generated table, its ids prefixed with its index so they share a
 * dataset; a project apply costs far more than a few more rows. 3 runs × 5 samples = 15 tables.
 */
const SAMPLES_PER_RUN = 5;
const RUNS = 3;
const batch = fc
  .array(rows, { minLength: SAMPLES_PER_RUN, maxLength: SAMPLES_PER_RUN })
  .map((samples) => samples.flatMap((sample, i) => sample.map((r) => ({ ...r, id: `${i}|${r.id}` }))));

const CSV = `header=true, all_varchar=true, allow_quoted_nulls=false, delim=',', quote='"', escape='"'`;
const DECODE = (x: string) => `replace(replace(replace(${x}, '%3D', '='), '%26', '&'), '%25', '%')`;

it('dataset → multi-csv and flat CSV → joined back in DuckDB reproduces the dataset', async () => {
  let iteration = 0;
  await fc.assert(
    fc.asyncProperty(batch, async (generated) => {
      iteration += 1;
      const p = await fx.createProject({
        datasets: {
          people: {
            kind: 'entity',
            key: ['id'],
            columns: {
              id: 'VARCHAR',
              name: 'VARCHAR',
              n: 'BIGINT',
              ok: 'BOOLEAN',
              tags: 'VARCHAR[]',
              attrs: 'MAP(VARCHAR, VARCHAR)',
            },
          },
        },
      });
      // Pipelines run in name order: the import first, then both exports.
      await p.writeImport('a-import', {
        dataset: 'people',
        mode: 'upsert',
        format: { kind: 'json', layout: 'ndjson' },
      });
      await p.writeExport('b-multi', {
        source: { dataset: 'people' },
        sink: { format: 'multi-csv', filename: 'people-{{field}}' },
      });
      await p.writeExport('c-flat', {
        source: { dataset: 'people' },
        sink: { format: 'csv', filename: 'people' },
      });
      // As a JSON object, the map's entries are in JavaScript's property order (integer-like keys first).
      const objectOrder = (attrs: Row['attrs']) => attrs && Object.entries(Object.fromEntries(attrs));
      const ndjson = generated.map((r) =>
        JSON.stringify({ ...r, attrs: r.attrs && Object.fromEntries(r.attrs) }),
      );
      await p.put('in/a-import/people.ndjson', ndjson.join('\n') + '\n');
      const plan = await p.runAll(
        'apply',
        at(`2024-07-01T00:00:${String(iteration % 60).padStart(2, '0')}Z`),
      );
      for (const pipeline of plan.pipelines) expect(pipeline.error).toBeUndefined();
      expect(plan.pipelines[0]?.dataset?.created).toBe(generated.length);
      expect(plan.pipelines[0]?.counts.rowsRejected).toBe(0);

      // What the dataset holds, exactly as generated.
      const truth = await p.readDataset('people', {
        select: 'id, name, n, ok, tags, map_entries(attrs) AS attrs',
        orderBy: 'id',
      });
      const sorted = await sortLikeDuckDb(generated);
      expect(truth).toEqual(
        sorted.map((r) => ({
          ...r,
          n: r.n === null ? null : BigInt(r.n),
          attrs: objectOrder(r.attrs)?.map(([key, value]) => ({ key, value })) ?? null,
        })),
      );

      expect(await p.list()).toEqual([
        'out/b-multi/people-attrs.csv',
        'out/b-multi/people-main.csv',
        'out/b-multi/people-tags.csv',
        'out/c-flat/people.csv',
      ]);
      const files = {
        main: await p.get('out/b-multi/people-main.csv'),
        tags: await p.get('out/b-multi/people-tags.csv'),
        attrs: await p.get('out/b-multi/people-attrs.csv'),
      };
      const joined = await queryFiles(
        files,
        `WITH main AS (SELECT * FROM read_csv($main, ${CSV})),
         tags AS (SELECT _join_key, list("value" ORDER BY line) AS tags
                  FROM (SELECT *, row_number() OVER () AS line FROM read_csv($tags, ${CSV})) GROUP BY 1),
         attrs AS (SELECT _join_key, list({'key': "key", 'value': "value"} ORDER BY line) AS attrs
                   FROM (SELECT *, row_number() OVER () AS line FROM read_csv($attrs, ${CSV})) GROUP BY 1)
         SELECT m.id, m.name, CAST(m.n AS BIGINT) AS n, CAST(m.ok AS BOOLEAN) AS ok,
                coalesce(t.tags, CAST([] AS VARCHAR[])) AS tags, coalesce(a.attrs, []) AS attrs
         FROM main m LEFT JOIN tags t USING (_join_key) LEFT JOIN attrs a USING (_join_key) ORDER BY m.id`,
      );
      expect(joined).toEqual(truth.map((r) => ({ ...r, tags: r['tags'] ?? [], attrs: r['attrs'] ?? [] })));

      const flat = await queryFile(
        await p.get('out/c-flat/people.csv'),
        'people.csv',
        `SELECT id, name, CAST(n AS BIGINT) AS n, CAST(ok AS BOOLEAN) AS ok,
           CASE WHEN tags = '' THEN CAST([] AS VARCHAR[]) ELSE list_transform(string_split(tags, '&'), x -> ${DECODE('x')}) END AS tags,
           CASE WHEN attrs = '' THEN [] ELSE list_transform(string_split(attrs, '&'), e -> {
             'key': ${DECODE(`split_part(e, '=', 1)`)}, 'value': ${DECODE(`e[strpos(e, '=') + 1:]`)}}) END AS attrs
         FROM read_csv($path, ${CSV}) ORDER BY id`,
      );
      expect(flat).toEqual(truth.map(flatCsvForm));
    }),
    { numRuns: RUNS },
  );
});

/** The documented flat-CSV losses: NULL elements and NULL map values read as "", [""] read as []. */
function flatCsvForm(row: DuckDbRow): DuckDbRow {
  const tags = row['tags'] as Array<string | null> | null;
  const attrs = row['attrs'] as Array<{ key: string; value: string | null }> | null;
  const items = tags?.map((t) => t ?? '') ?? null;
  return {
    ...row,
    tags: items && items.length === 1 && items[0] === '' ? [] : items,
    attrs: attrs?.map((e) => ({ key: e.key, value: e.value ?? '' })) ?? null,
  };
}

/** The generated rows in DuckDB's VARCHAR order of `id` (ORDER BY id in the queries). */
async function sortLikeDuckDb(generated: Row[]): Promise<Row[]> {
  const ids = JSON.stringify(generated.map((r) => r.id));
  const order = await queryFile(
    Buffer.from(ids),
    'ids.json',
    `SELECT unnest(CAST(json(content) AS VARCHAR[])) AS id FROM read_text($path) ORDER BY id`,
  );
  return order.map((o) => generated.find((r) => r.id === o['id']) as Row);
}
