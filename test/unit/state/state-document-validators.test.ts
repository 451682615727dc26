/**
 * The standalone state-document validators (scripts/generate-state-validators.ts) are current, are
 * what reading state uses, and judge every document as the schemas compiled at run time do: a valid
 * document of each kind, and every document one change away from it (each property removed, each
 * value replaced by a value of another type).
 */
import { describe, expect, it } from 'vitest';
import {
  STATE_DOCUMENT_SCHEMAS,
  type StateDocumentKind,
} from '../../../engine/state/state-document-schemas.js';
import { STATE_DOCUMENT_VALIDATORS } from '../../../engine/state/state-document-validators.gen.js';
import { parseStateDocument, validatorFor } from '../../../engine/state/state-documents.js';
import { runGeneratorCheck } from '../../harness/run-generator-check.js';

const HASH = 'a'.repeat(64);

const RUN = {
  runId: 'r1',
  attemptId: 'a1',
  retryOf: 'r0',
  status: 'succeeded',
  startedAt: '2026-12-07T00:00:00Z',
  finishedAt: '2026-12-07T00:01:00Z',
  durationMs: 12.5,
  counts: { rowsRead: 3 },
  outputs: [{ bucket: 'b', key: 'k' }],
  rejectedRowsFile: 'rejects.csv',
  error: { code: 'X', message: 'm' },
};
const ORPHAN = { connection: 'c', bucket: 'b', key: 'k', runId: 'r1', reason: 'why' };

const VALID: Record<StateDocumentKind, unknown> = {
  'pipeline state': {
    formatVersion: 2,
    pipeline: 'p',
    generation: 3,
    configFingerprint: 'f',
    processed: [{ key: 'k', etag: 'e', size: 1, lastModified: 't', processedAt: 't', runId: 'r1' }],
    sequenceCursor: { key: 'k', timestamp: 't' },
    snapshot: { file: 'snapshot-abc_1.parquet', rows: 3 },
    exportWatermarks: { accounts: 1 },
    exportFingerprint: HASH,
    datasetVersions: { accounts: 2 },
    orphans: [ORPHAN],
    sourceSchema: { columns: [{ name: 'id', type: 'BIGINT' }], header: true },
    rowCount: 5,
    quarantined: [
      { key: 'k', etag: 'e', size: 1, code: 'C', message: 'm', at: 't', runId: 'r1', guards: ['min_rows'] },
    ],
    lastSuccessfulRun: RUN,
    history: [RUN],
  },
  'dataset manifest': {
    formatVersion: 2,
    dataset: 'accounts',
    current: 1,
    versions: [{ version: 1, file: 'v000001-abc.parquet', rows: 2, sha256: HASH }],
    parents: { a: 1, b: null },
  },
  'run journal': {
    formatVersion: 1,
    pipeline: 'p',
    fingerprint: 'f',
    runId: 'r1',
    runTime: 't',
    attempts: ['a1'],
    outputs: [ORPHAN],
    orphans: [ORPHAN],
  },
  'backend record': { formatVersion: 1, conditionalWrites: 'enforced', checkedAt: 't', detail: 'd' },
  lock: { owner: 'o', runId: 'r1', host: 'h', pid: 42, acquiredAt: 't', expiresAt: 't' },
};

const REPLACEMENTS: readonly unknown[] = [null, 'x', -1, 0, 1.5, 7, true, [], {}, 'snapshot-x.parquet'];

/** The document itself, then every document one change away from it. */
function variants(document: unknown): unknown[] {
  const out: unknown[] = [document];
  const visit = (node: unknown, replace: (value: unknown) => unknown, remove?: () => unknown): void => {
    for (const value of REPLACEMENTS) out.push(replace(value));
    if (remove) out.push(remove());
    if (Array.isArray(node)) {
      const items = node as unknown[];
      items.forEach((item, i) => visit(item, (value) => replace(items.map((x, j) => (j === i ? value : x)))));
    } else if (node !== null && typeof node === 'object') {
      for (const key of Object.keys(node)) {
        const record = node as Record<string, unknown>;
        visit(
          record[key],
          (value) => replace({ ...record, [key]: value }),
          () => replace(Object.fromEntries(Object.entries(record).filter(([k]) => k !== key))),
        );
      }
    }
  };
  visit(document, (value) => value);
  return out;
}

/** What a validator says of a document: valid or not, and its first error. */
function judge(kind: StateDocumentKind, generated: boolean, document: unknown) {
  const validate = validatorFor(kind, { generated });
  const valid = validate(document);
  const [first] = validate.errors ?? [];
  return { valid, error: valid ? undefined : { at: first?.instancePath, message: first?.message } };
}

describe('generated state-document validators', () => {
  it('are current (scripts/generate-state-validators.ts --check exits 0)', async () => {
    const result = await runGeneratorCheck('scripts/generate-state-validators.ts');
    expect(result.code, result.stderr).toBe(0);
  });

  it('are the ones in use for every kind (no schema is compiled at run time)', () => {
    const kinds = Object.keys(STATE_DOCUMENT_SCHEMAS) as StateDocumentKind[];
    expect(kinds.sort()).toEqual(Object.keys(STATE_DOCUMENT_VALIDATORS).sort());
    for (const kind of kinds) expect(validatorFor(kind)).toBe(STATE_DOCUMENT_VALIDATORS[kind]);
  });

  it('judge every document one change away from a valid one as the compiled schemas do', () => {
    let invalid = 0;
    for (const kind of Object.keys(VALID) as StateDocumentKind[]) {
      expect(judge(kind, true, VALID[kind]).valid, kind).toBe(true);
      for (const document of variants(VALID[kind])) {
        const generated = judge(kind, true, document);
        expect(generated, `${kind}: ${JSON.stringify(document)}`).toEqual(judge(kind, false, document));
        if (!generated.valid) invalid += 1;
      }
    }
    // The variants do reach the schemas' checks: most of them are refused.
    expect(invalid).toBeGreaterThan(500);
  });

  it('a damaged document is still a coded error naming the file and the property', () => {
    const damaged = Buffer.from(JSON.stringify({ ...(VALID.lock as object), pid: 'many' }));
    expect(() => parseStateDocument('lock', damaged, { where: 'state/locks/p.json', hint: 'h' })).toThrow(
      'The lock state/locks/p.json is damaged: /pid must be integer.',
    );
  });
});
