import { describe, expect, it } from 'vitest';
import type { S3Sink } from '../../../engine/config/model.js';
import { renderSinkKeys, type KeyRequest } from '../../../engine/steps/render-sink-keys.js';

function render(filename: string, requests: KeyRequest[], kind: 'csv' | 'multi-csv' = 'csv'): unknown {
  const sink = {
    kind: 's3',
    connection: 'c',
    bucket: 'b',
    directory: 'out/',
    filename,
    timestampFormat: 'YYYYMMDD',
    timezone: 'UTC',
    format: { kind },
    compress: 'none',
  } as S3Sink;
  try {
    return renderSinkKeys({
      sink,
      pipeline: 'p',
      runId: 'r1',
      runTime: new Date('2026-12-08T00:00:00Z'),
      sourceKeys: ['in/a.csv'],
      requests,
    });
  } catch (error) {
    return error;
  }
}

describe('two outputs of one run with one key', () => {
  it('a list column named like the main file: rename it', () => {
    expect(
      render(
        'x-{{field}}',
        [
          { part: 1, field: 'main' },
          { part: 1, field: 'main' },
        ],
        'multi-csv',
      ),
    ).toMatchObject({
      code: 'KEY_COLLISION',
      hint: 'A list or map column is named "main", like the file of the other columns: rename it in the mapping.',
    });
  });

  it('field names that render alike once made safe: rename one', () => {
    expect(
      render(
        'x-{{ field }}',
        [
          { part: 1, field: 'a b' },
          { part: 1, field: 'a_b' },
        ],
        'multi-csv',
      ),
    ).toMatchObject({
      code: 'KEY_COLLISION',
      hint: expect.stringContaining('render alike once made safe'),
    });
  });

  it('a multi-csv template without {{field}}, or parts without {{part}}: add it', () => {
    expect(
      render(
        'x',
        [
          { part: 1, field: 'main' },
          { part: 1, field: 'tags' },
        ],
        'multi-csv',
      ),
    ).toMatchObject({
      hint: 'Put {{field}} in sink.filename for multi-csv: one file per list or map field.',
    });
    expect(render('x', [{ part: 1 }, { part: 2 }])).toMatchObject({
      hint: 'Put {{part}} in sink.filename when max_rows_per_file splits the output.',
    });
  });

  it('distinct keys pass', () => {
    expect(render('x-{{part}}', [{ part: 1 }, { part: 2 }])).toEqual(['out/x-1.csv', 'out/x-2.csv']);
  });
});
