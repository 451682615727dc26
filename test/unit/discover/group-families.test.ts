/**
 * group-families: a listing → families with prefix, match, timestamp_format, pick and cadence, the
 * noise set aside, and every proposed match checked against the whole listing with re2js.
 */
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { classifyFileName, ignoreReason } from '../../../engine/discover/classify-file.js';
import type { ListedFile } from '../../../engine/discover/discovery-model.js';
import { groupFamilies } from '../../../engine/discover/group-families.js';
import { formatCadence, inferCadence, roundCadence } from '../../../engine/discover/infer-cadence.js';
import { yamlString } from '../../../engine/discover/yaml-text.js';
import { parse } from 'yaml';

const at = (iso: string) => new Date(iso);
const file = (key: string, lastModified = '2024-05-10T00:00:00Z', size = 10): ListedFile => ({
  key,
  size,
  lastModified: at(lastModified),
});

describe('groupFamilies', () => {
  const listing = [
    file('drop/'),
    file('drop/README.md'),
    file('drop/accounts/accounts_20240501.csv'),
    file('drop/accounts/accounts_20240502.csv'),
    file('drop/accounts/accounts_20240502.csv.bak'),
    file('drop/accounts/Copy of accounts_20240501.csv'),
    file('drop/custom/activity_20240501011500.json'),
    file('drop/custom/activity_20240502011500.json'),
    file('drop/custom/activity_20240503011500.json'),
    file('drop/custom/_SUCCESS'),
    file('drop/parts/part-1.csv', '2024-05-01T00:00:00Z'),
    file('drop/parts/part-22.csv', '2024-05-03T00:00:00Z'),
    file('drop/parts/part-3.csv', '2024-05-02T00:00:00Z'),
    file('drop/notes.xlsx'),
    file('drop/keys.csv.asc'),
  ];
  const { families, ignored, folderMarkers } = groupFamilies(listing, { prefix: 'drop/' });
  const byName = Object.fromEntries(families.map((f) => [f.name, f]));

  it('finds the families, in a stable order', () => {
    expect(families.map((f) => [f.name, f.prefix, f.match, f.timestampFormat, f.pick, f.order])).toEqual([
      [
        'accounts',
        'drop/accounts/',
        '^accounts_(?P<timestamp>\\d{8})\\.csv$',
        'YYYYMMDD',
        'all-new',
        'timestamp',
      ],
      [
        'activity',
        'drop/custom/',
        '^activity_(?P<timestamp>\\d{14})\\.json$',
        'YYYYMMDDHHmmss',
        'sequence',
        'timestamp',
      ],
      ['part', 'drop/parts/', '^part-\\d{1,2}\\.csv$', undefined, 'all-new', undefined],
    ]);
    expect(folderMarkers).toBe(1);
  });

  it('sets noise aside with a reason', () => {
    expect(ignored.map((f) => [f.key, f.reason])).toEqual([
      ['drop/README.md', 'documentation'],
      ['drop/accounts/Copy of accounts_20240501.csv', 'backup'],
      ['drop/accounts/accounts_20240502.csv.bak', 'backup'],
      ['drop/custom/_SUCCESS', 'marker'],
      ['drop/keys.csv.asc', 'encrypted'],
      ['drop/notes.xlsx', 'unsupported-format'],
    ]);
  });

  it('picks the newest file by timestamp, else by LastModified', () => {
    expect(byName['accounts']?.newest.key).toBe('drop/accounts/accounts_20240502.csv');
    expect(byName['part']?.newest.key).toBe('drop/parts/part-22.csv');
  });

  it('infers a sequence cadence from the timestamps', () => {
    expect(byName['activity']).toMatchObject({ expectEvery: '24h', grace: '3h' });
  });

  it('each match takes exactly its family among all listed keys', () => {
    for (const family of families) {
      const regex = RE2JS.compile(family.match);
      const taken = listing
        .filter((f) => f.key.startsWith(family.prefix) && regex.matches(f.key.slice(family.prefix.length)))
        .map((f) => f.key);
      expect(taken.sort()).toEqual(family.files.map((f) => f.key).sort());
      expect(family.notes).toEqual([]);
    }
  });

  it('says so when a match also takes files of another family', () => {
    const overlap = groupFamilies([file('d/x_1.csv'), file('d/x_12345678.csv'), file('d/x_20240501.csv')], {
      prefix: '',
    });
    const numbered = overlap.families.find((f) => f.timestampFormat === undefined);
    expect(numbered?.notes.join(' ')).toMatch(/also takes 1 other file \(e\.g\. d\/x_20240501\.csv\)/);
  });

  it('avoids pipeline names that are taken, and keeps names valid', () => {
    const grouped = groupFamilies([file('Weird Name!_20240501.CSV'), file('20240501.csv')], {
      prefix: '',
      takenNames: ['weird-name'],
    });
    expect(grouped.families.map((f) => f.name).sort()).toEqual(['csv', 'weird-name-csv']);
  });

  it('keeps folders with a date in the match, and a constant number literal', () => {
    const grouped = groupFamilies([file('x/2024/05/01/events-v2.csv'), file('x/2024/05/02/events-v2.csv')], {
      prefix: 'x/',
    });
    expect(grouped.families[0]).toMatchObject({
      prefix: 'x/',
      match: '^(?P<timestamp>\\d{4}/\\d{2}/\\d{2})/events-v2\\.csv$',
      timestampFormat: 'YYYY/MM/DD',
    });
  });
});

describe('classifyFileName and ignoreReason', () => {
  it.each([
    ['a.csv', 'csv', 'none'],
    ['a.tsv.gz', 'csv', 'gzip'],
    ['a.ndjson.zst', 'json', 'zstd'],
    ['a.parquet', 'parquet', 'none'],
    ['a', 'unknown', 'none'],
  ])('%s → %s, %s', (name, format, compression) => {
    expect(classifyFileName(name)).toMatchObject({ format, compression });
  });

  it.each([
    ['.DS_Store', 'hidden'],
    ['README', 'documentation'],
    ['readme.txt', 'documentation'],
    ['data.csv~', 'backup'],
    ['data (copy).csv', 'backup'],
    ['data.csv.sha256', 'checksum'],
    ['data.gpg', 'encrypted'],
    ['data.xlsx', 'unsupported-format'],
  ])('%s is %s', (name, reason) => {
    expect(ignoreReason(name)).toBe(reason);
  });

  it.each(['data.csv', 'data', 'data.gz', 'copyright_20240501.csv'])('%s may be data', (name) => {
    expect(ignoreReason(name)).toBeUndefined();
  });
});

describe('inferCadence', () => {
  it('rounds the median gap and notes irregular gaps', () => {
    const notes: string[] = [];
    const hours = [0, 1, 2, 3, 7].map((h) => new Date(Date.UTC(2024, 4, 1, h)));
    expect(inferCadence(hours, notes)).toEqual({ expectEvery: '1h', grace: '8m' });
    expect(notes.join(' ')).toMatch(/once 4h passed/);
    expect(inferCadence([new Date(0)], [])).toBeUndefined();
    expect(formatCadence(roundCadence(6.5 * 86_400_000))).toBe('7d');
  });
});

describe('yamlString', () => {
  it.each([
    'plain',
    'true',
    '0755',
    '1.10',
    "it's",
    '^a_(?P<t>\\d{8})\\.csv$',
    '${env:X}',
    'a\nb',
    '#x',
    'a: b',
    '',
  ])('%j reads back as itself', (value) => {
    expect(parse(`v: ${yamlString(value)}`)).toEqual({ v: value });
  });
});
