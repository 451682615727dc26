/**
 * `ferry discover`'s I/O: list a prefix (page by page, reporting progress, up to a cap), group the
 * objects into families (engine/discover, pure), and read the newest file of each family in a
 * sandboxed DuckDB session in a temp dir of its own, which is removed afterwards. The connection's
 * secrets are resolved here, when the client is made, and go nowhere else.
 */
import type { Connection } from '../../config/model.js';
import type { Discovery, FamilySample, ListedFile } from '../../discover/discovery-model.js';
import { groupFamilies } from '../../discover/group-families.js';
import { createDuckDbSession } from '../../duckdb/create-duckdb-session.js';
import { isFerryError } from '../../errors/ferry-error.js';
import { createS3Client } from '../../io/s3/create-s3-client.js';
import { listObjectPages } from '../../io/s3/list-objects.js';
import { createRunTempDir } from '../../io/temp-dir.js';
import { resolveConnection } from '../resolve-connection.js';
import { fetchSample, type SampleLimits } from './fetch-sample.js';
import { sniffSample } from './sniff-sample.js';

export type DiscoverProgress =
  | { kind: 'listed'; objects: number; pages: number }
  | { kind: 'reading'; key: string; family: string; index: number; of: number };

export interface DiscoverPrefixOptions {
  connection: Connection;
  env: NodeJS.ProcessEnv;
  projectDir: string;
  bucket: string;
  prefix: string;
  /** Pipeline names the project already uses. */
  takenNames?: readonly string[];
  /** Stop listing after this many objects (default 100,000) and say so. */
  maxObjects?: number;
  onProgress?: (event: DiscoverProgress) => void;
  signal?: AbortSignal;
  /** Where discover's temp dir goes (default: the OS temp dir). */
  tempRoot?: string;
  /** How much of a newest file is read (tests make them small). */
  sampleLimits?: SampleLimits;
}

export interface DiscoverResult {
  discovery: Discovery;
  /** Family name → what its newest file showed. */
  samples: Map<string, FamilySample>;
  /** The listing stopped at maxObjects: families come from the first objects only. */
  truncated: boolean;
}

const DEFAULT_MAX_OBJECTS = 100_000;
/** DuckDB only sniffs small samples here. */
const SESSION = {
  memoryLimit: '512MB',
  threads: 2,
  tempDiskBytes: 1024 ** 3,
  queryTimeoutMs: 120_000,
} as const;

export async function discoverPrefix(options: DiscoverPrefixOptions): Promise<DiscoverResult> {
  const { bucket, prefix, connection } = options;
  const settings = resolveConnection(connection, { env: options.env, projectDir: options.projectDir });
  const client = createS3Client(settings);
  try {
    const listed: ListedFile[] = [];
    const maxObjects = options.maxObjects ?? DEFAULT_MAX_OBJECTS;
    let pages = 0;
    let truncated = false;
    for await (const page of listObjectPages(client, {
      connection: connection.name,
      bucket,
      prefix,
      ...(options.signal ? { signal: options.signal } : {}),
    })) {
      pages += 1;
      listed.push(...page.map(({ key, size, lastModified }) => ({ key, size, lastModified })));
      options.onProgress?.({ kind: 'listed', objects: listed.length, pages });
      if (listed.length >= maxObjects) {
        truncated = true;
        break;
      }
    }
    const grouped = groupFamilies(listed, {
      prefix,
      ...(options.takenNames ? { takenNames: options.takenNames } : {}),
    });
    const discovery: Discovery = { bucket, prefix, listed: listed.length, ...grouped };
    const samples = new Map<string, FamilySample>();
    if (grouped.families.length === 0) return { discovery, samples, truncated };

    const temp = await createRunTempDir({
      ...(options.tempRoot ? { root: options.tempRoot } : {}),
      runId: 'discover',
    });
    try {
      const session = await createDuckDbSession({ tempDir: temp.path, ...SESSION });
      try {
        for (const [index, family] of grouped.families.entries()) {
          options.onProgress?.({
            kind: 'reading',
            key: family.newest.key,
            family: family.name,
            index,
            of: grouped.families.length,
          });
          samples.set(
            family.name,
            await readFamilySample({
              client,
              session,
              family,
              index,
              temp: temp.path,
              options,
              bodyIdleTimeoutMs: settings.bodyIdleTimeoutMs,
            }),
          );
        }
      } finally {
        session.close();
      }
    } finally {
      await temp.cleanup();
    }
    return { discovery, samples, truncated };
  } finally {
    client.destroy();
  }
}

async function readFamilySample(input: {
  client: ReturnType<typeof createS3Client>;
  session: Awaited<ReturnType<typeof createDuckDbSession>>;
  family: Discovery['families'][number];
  index: number;
  temp: string;
  options: DiscoverPrefixOptions;
  bodyIdleTimeoutMs: number;
}): Promise<FamilySample> {
  const { family, options } = input;
  const newest = family.newest;
  const base = {
    key: newest.key,
    size: newest.size,
    bytesRead: 0,
    partial: false,
    format: family.format,
    compression: family.compression,
    fields: [],
  };
  if (newest.size === 0) {
    return { ...base, error: { code: 'DISCOVER_EMPTY_FILE', message: 'The newest file is empty.' } };
  }
  try {
    const fetched = await fetchSample({
      client: input.client,
      connection: options.connection.name,
      bucket: options.bucket,
      file: newest,
      format: family.format,
      compression: family.compression,
      destPath: `${input.temp}/sample-${input.index + 1}`,
      bodyIdleTimeoutMs: input.bodyIdleTimeoutMs,
      ...(options.sampleLimits ? { limits: options.sampleLimits } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return await sniffSample(
      input.session,
      {
        path: fetched.path,
        key: newest.key,
        size: newest.size,
        bytesRead: fetched.bytesRead,
        partial: fetched.partial,
      },
      { format: family.format },
    );
  } catch (error) {
    // S3 failures stop discover (the user must fix access); a file that does not read is a finding.
    if (!isFerryError(error) || error.code.startsWith('S3_')) throw error;
    return {
      ...base,
      error: {
        code: error.code === 'DUCKDB_ERROR' ? 'DISCOVER_SAMPLE_UNREADABLE' : error.code,
        message: error.message,
      },
    };
  }
}
