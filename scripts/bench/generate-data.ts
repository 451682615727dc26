/**
 * Deterministic benchmark data: a "day 1" accounts CSV and a "day 2" in which about 5% of the rows
 * changed, 1% were removed and 1% were added (new ids at the end). Every row is a pure function of
 * (seed, row index), so day 2 is derived from day 1 without holding it in memory, and the same seed
 * always gives byte-identical files.
 */
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';

export const BENCH_COLUMNS = [
  'id',
  'name',
  'email',
  'plan',
  'mrr',
  'country',
  'signed_up',
  'company',
  'seats',
  'status',
  'last_login',
] as const;

export interface DayCounts {
  rows: number;
  bytes: number;
}

export interface GeneratedData {
  day1: DayCounts;
  day2: DayCounts;
  /** What a correct diff of day 2 against day 1 finds. */
  expected: { added: number; changed: number; removed: number; unchanged: number };
}

const CHANGED_SHARE = 0.05;
const REMOVED_SHARE = 0.01;
const ADDED_SHARE = 0.01;
const ROWS_PER_CHUNK = 5_000;

const FIRST_NAMES = [
  'Ada', 'Ben', 'Chloe', 'Dmitri', 'Elif', 'Farah', 'Gustav', 'Hana', 'Ivan', 'Jun', 'Kofi', 'Lena',
  'Mateo', 'Nia', 'Oskar', 'Priya', 'Quinn', 'Rosa', 'Sven', 'Tariq', 'Uma', 'Viktor', 'Wen', 'Yusuf',
]; // prettier-ignore
const LAST_NAMES = [
  'Andersen', 'Bauer', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Hoffmann', 'Ito', 'Jansen',
  'Kowalski', 'Larsen', 'Müller', 'Novak', "O'Brien", 'Petrov', 'Rossi', 'Schmidt', 'Tanaka', 'Weber',
]; // prettier-ignore
const PLANS = ['free', 'starter', 'pro', 'business', 'enterprise'];
const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'NL', 'SE', 'PL', 'ES', 'IT', 'JP', 'BR', 'IN'];
const COMPANY_WORDS = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Vandelay', 'Stark', 'Wayne'];
const COMPANY_SUFFIXES = ['GmbH', 'Ltd', 'Inc.', 'AG', 'BV', 'SAS', 'AB', 'Oy'];
const STATUSES = ['active', 'trial', 'paused', 'churned'];

/** mulberry32, seeded from (seed, index, salt) through a 32-bit mix. */
function rowRandom(seed: number, index: number, salt: number): () => number {
  let state = Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b) ^ salt;
  state = Math.imul(state ^ (state >>> 16), 0x7feb352d);
  state = Math.imul(state ^ (state >>> 15), 0x846ca68b) ^ (state >>> 16);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, values: readonly T[]): T {
  return values[Math.floor(random() * values.length)] as T;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** RFC 4180 quoting, only where needed. */
function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

const SALT_ROW = 0x1234567;
const SALT_DAY2 = 0x7654321;

/** Day-1 (or added) row number `index`, as CSV fields. */
function baseRow(seed: number, index: number): string[] {
  const random = rowRandom(seed, index, SALT_ROW);
  const first = pick(random, FIRST_NAMES);
  const last = pick(random, LAST_NAMES);
  const company = `${pick(random, COMPANY_WORDS)}${random() < 0.3 ? ', ' : ' '}${pick(random, COMPANY_SUFFIXES)}`;
  const year = 2015 + Math.floor(random() * 9);
  return [
    String(1_000_000 + index),
    `${first} ${last}`,
    `${first.toLowerCase()}.${index}@${company.split(/[ ,]/)[0]?.toLowerCase() ?? 'example'}.example`,
    pick(random, PLANS),
    (Math.floor(random() * 500_000) / 100).toFixed(2),
    pick(random, COUNTRIES),
    `${year}-${pad2(1 + Math.floor(random() * 12))}-${pad2(1 + Math.floor(random() * 28))}`,
    company,
    String(1 + Math.floor(random() * 250)),
    pick(random, STATUSES),
    `2024-04-${pad2(1 + Math.floor(random() * 30))}T${pad2(Math.floor(random() * 24))}:${pad2(Math.floor(random() * 60))}:00Z`,
  ];
}

type Fate = 'removed' | 'changed' | 'unchanged';

function day2Fate(seed: number, index: number): { fate: Fate; random: () => number } {
  const random = rowRandom(seed, index, SALT_DAY2);
  const r = random();
  return {
    fate: r < REMOVED_SHARE ? 'removed' : r < REMOVED_SHARE + CHANGED_SHARE ? 'changed' : 'unchanged',
    random,
  };
}

/** A changed row always differs from its day-1 version (mrr moves by at least 0.01). */
function changeRow(fields: string[], random: () => number): string[] {
  const next = [...fields];
  next[4] = (Number(fields[4]) + 0.01 + Math.floor(random() * 10_000) / 100).toFixed(2);
  if (random() < 0.5) next[3] = pick(random, PLANS);
  if (random() < 0.3) next[9] = pick(random, STATUSES);
  if (random() < 0.2) next[1] = `${fields[1] ?? ''} "Jr."`;
  return next;
}

/** The file's text in chunks of ROWS_PER_CHUNK rows: the header first, LF line ends. */
function* csvChunks(rows: Iterable<string[]>): Generator<Buffer> {
  let chunk: string[] = [BENCH_COLUMNS.join(',')];
  for (const fields of rows) {
    chunk.push(fields.map(csvField).join(','));
    if (chunk.length >= ROWS_PER_CHUNK) {
      yield Buffer.from(chunk.join('\n') + '\n', 'utf8');
      chunk = [];
    }
  }
  if (chunk.length > 0) yield Buffer.from(chunk.join('\n') + '\n', 'utf8');
}

function* day1Rows(rows: number, seed: number): Generator<string[]> {
  for (let i = 0; i < rows; i++) yield baseRow(seed, i);
}

/** Day 2's rows; counts each row's fate into `expected` as it goes. */
function* day2Rows(rows: number, seed: number, expected: GeneratedData['expected']): Generator<string[]> {
  for (let i = 0; i < rows; i++) {
    const { fate, random } = day2Fate(seed, i);
    expected[fate]++;
    if (fate === 'removed') continue;
    const fields = baseRow(seed, i);
    yield fate === 'changed' ? changeRow(fields, random) : fields;
  }
  const added = Math.round(rows * ADDED_SHARE);
  for (let i = rows; i < rows + added; i++) {
    expected.added++;
    yield baseRow(seed, i);
  }
}

/**
 * One day's file as a stream of CSV chunks, never whole in memory: what the memory scenario uploads
 * straight to s3rver at 100M rows, where two local copies of 11 GB days would not fit beside the run.
 */
export function streamBenchDay(options: { day: 1 | 2; rows: number; seed: number }): Readable {
  const expected = { added: 0, changed: 0, removed: 0, unchanged: 0 };
  const rows =
    options.day === 1 ? day1Rows(options.rows, options.seed) : day2Rows(options.rows, options.seed, expected);
  return Readable.from(csvChunks(rows), { objectMode: false });
}

async function writeCsv(path: string, rows: Iterable<string[]>): Promise<DayCounts> {
  const file = await open(path, 'w');
  let count = 0;
  let bytes = 0;
  const counted = (function* () {
    for (const fields of rows) {
      count++;
      yield fields;
    }
  })();
  try {
    for (const buffer of csvChunks(counted)) {
      bytes += buffer.length;
      await file.write(buffer);
    }
  } finally {
    await file.close();
  }
  return { rows: count, bytes };
}

/** Writes day 1 and day 2 (header + data rows, LF line ends) and returns the expected diff. */
export async function generateBenchData(options: {
  rows: number;
  seed: number;
  day1Path: string;
  day2Path: string;
}): Promise<GeneratedData> {
  const { rows, seed } = options;
  const day1 = await writeCsv(options.day1Path, day1Rows(rows, seed));
  const expected = { added: 0, changed: 0, removed: 0, unchanged: 0 };
  const day2 = await writeCsv(options.day2Path, day2Rows(rows, seed, expected));
  return { day1, day2, expected };
}
