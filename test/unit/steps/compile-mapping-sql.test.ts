import { describe, expect, it } from 'vitest';
import type { Mapping } from '../../../engine/config/model.js';
import { compileMappingSql } from '../../../engine/steps/compile-mapping-sql.js';

const mapping = (partial: Partial<Mapping>): Mapping => ({
  rename: {},
  cast: {},
  compute: {},
  relations: {},
  required: [],
  ...partial,
});

const compile = (m: Mapping, columns: string[]) =>
  compileMappingSql({
    mapping: m,
    inputTable: 'source',
    outputTable: 'mapped',
    columns,
    pipeline: 'p',
    timezone: 'UTC',
    importTime: new Date('2024-05-01T00:00:00Z'),
  });

describe('compileMappingSql', () => {
  it('with fields and rest, selected columns that are not otherwise mapped travel in the map', () => {
    const compiled = compile(
      mapping({
        fields: ['id', 'page', 'plan', 'kind'],
        rename: { kind: 'event' },
        key: ['id'],
        rest: { into: 'properties' },
      }),
      ['id', 'page', 'plan', 'kind', 'ignored'],
    );
    expect(compiled.columns).toEqual(['id', 'event', 'properties']);
    expect(compiled.createStage).toContain(`{'k': 'page'`);
    expect(compiled.createStage).toContain(`{'k': 'plan'`);
    expect(compiled.createStage).not.toContain('ignored');
  });

  it('names the unknown column and suggests the closest one', () => {
    expect(() => compile(mapping({ fields: ['emial'] }), ['id', 'email'])).toThrowError(
      expect.objectContaining({ code: 'MAPPING_UNKNOWN_COLUMN', hint: expect.stringContaining('"email"') }),
    );
  });

  it('refuses a rename that produces the same column twice', () => {
    expect(() => compile(mapping({ rename: { a: 'b' } }), ['a', 'b'])).toThrowError(
      expect.objectContaining({ code: 'MAPPING_DUPLICATE_COLUMN' }),
    );
  });
});
