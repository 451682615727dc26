/**
 * Output object keys for one run. Deterministic: they depend on the sink's template, the run time
 * (reused when a failed run is retried), the source file stem, the part and the field — never on
 * wall-clock time at write, so a retry overwrites the same keys instead of adding duplicates.
 */
import type { S3Sink } from '../config/model.js';
import { FerryError } from '../errors/ferry-error.js';
import { renderOutputKey, runTimeVariables } from '../plan/render-output-key.js';
import { fileExtension } from './compile-copy-sql.js';

const PGP_EXTENSIONS = ['.pgp', '.gpg', '.asc'];

/** After the format's extension: .asc for armored files, .pgp for binary ones. */
export function pgpExtension(sink: Pick<S3Sink, 'encrypt'>): string {
  if (!sink.encrypt) return '';
  return sink.encrypt.armor ? '.asc' : '.pgp';
}

export interface KeyRequest {
  part: number;
  field?: string;
}

export function sourceStem(keys: readonly string[]): string {
  if (keys.length !== 1) return keys.length === 0 ? 'none' : 'multi';
  const name = (keys[0] ?? '').split('/').pop() ?? '';
  return (
    name.replace(/(\.(csv|tsv|txt|json|ndjson|jsonl|parquet|gz|gzip|zst|zstd|pgp|gpg|asc))+$/i, '') || name
  );
}

export function renderSinkKeys(input: {
  sink: S3Sink;
  pipeline: string;
  runId: string;
  runTime: Date;
  sourceKeys: readonly string[];
  requests: readonly KeyRequest[];
}): string[] {
  const { sink } = input;
  const formatExt = fileExtension(sink.format.kind, sink.compress);
  const ext = formatExt + pgpExtension(sink);
  const common = {
    pipeline: input.pipeline,
    run_id: input.runId,
    ...runTimeVariables(input.runTime, sink),
    source_stem: sourceStem(input.sourceKeys),
    ext: ext.replace(/^\./, ''),
  };
  const usesExt = sink.filename.includes('{{ext}}');
  const keys = input.requests.map((request) => {
    const key = renderOutputKey({
      directory: sink.directory,
      template: sink.filename,
      variables: {
        ...common,
        part: request.part,
        ...(request.field !== undefined ? { field: request.field } : {}),
      },
      pipeline: input.pipeline,
    });
    // The format's extension is added unless the template places it or already ends with it (an
    // encrypted file may end in .gpg where ferry would write .pgp).
    const given = sink.encrypt ? PGP_EXTENSIONS.map((pgp) => formatExt + pgp) : [ext];
    return usesExt || given.some((e) => key.endsWith(e)) ? key : key + ext;
  });
  const seen = new Set<string>();
  for (const key of keys) {
    if (seen.has(key)) {
      throw new FerryError('KEY_COLLISION', `Two output files of this run would both be written to ${key}.`, {
        context: { pipeline: input.pipeline, step: 'write-files', key },
        hint: collisionHint(sink.filename, input.requests),
      });
    }
    seen.add(key);
  }
  return keys;
}

/** What makes two keys of one run differ, for the template at hand. */
function collisionHint(template: string, requests: readonly KeyRequest[]): string {
  const has = (name: string) => new RegExp(`\\{\\{\\s*${name}\\s*\\}\\}`).test(template);
  const fields = requests.map((r) => r.field).filter((f) => f !== undefined);
  if (fields.length === 0) return 'Put {{part}} in sink.filename when max_rows_per_file splits the output.';
  if (!has('field')) return 'Put {{field}} in sink.filename for multi-csv: one file per list or map field.';
  const twice = fields.find((f, i) => fields.indexOf(f) !== i);
  if (twice !== undefined) {
    return `A list or map column is named "${twice}", like the file of the other columns: rename it in the mapping.`;
  }
  return 'Two field names render alike once made safe for a key (characters outside A-Z a-z 0-9 . _ = - become _): rename one of those columns in the mapping.';
}
