import { describe, expect, it } from 'vitest';
import { parseYamlFile, MAX_CONFIG_BYTES } from '../../../engine/config/parse-yaml-file.js';

const parse = (text: string) => parseYamlFile({ path: 'f.yaml', text });
const codes = (text: string) => parse(text).problems.map((p) => `${p.code}@${p.at?.line}:${p.at?.col}`);

describe('parseYamlFile', () => {
  it('reads YAML 1.2 scalars as YAML 1.2 does', () => {
    const result = parse('mode: 0755\nversion: 1.10\nflag: yes\n');
    expect(result.problems).toEqual([]);
    expect(result.value).toEqual({ mode: 755, version: 1.1, flag: 'yes' });
  });

  it('reports a duplicate key at the second occurrence even though toJS would succeed', () => {
    expect(codes('a: 1\nb: 2\na: 3\n')).toEqual(['YAML_DUPLICATE_KEY@3:1']);
  });

  it('reports an unknown tag (a warning in yaml) as an error', () => {
    const result = parse('key: !secret abc\n');
    expect(result.problems.map((p) => [p.code, p.severity])).toEqual([['YAML_UNKNOWN_TAG', 'error']]);
  });

  it('reports tab indentation', () => {
    expect(codes('a:\n\tb: 1\n')[0]).toMatch(/^YAML_TAB_INDENT@2:1$/);
  });

  it('refuses several documents where one is expected', () => {
    expect(codes('a: 1\n---\nb: 2\n')).toEqual(['YAML_MULTIPLE_DOCUMENTS@2:1']);
  });

  it('refuses a %YAML 1.1 directive', () => {
    expect(codes('%YAML 1.1\n---\na: 0755\n')).toContain('YAML_VERSION@1:1');
  });

  it('stops alias bombs', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++) {
      const prev = String.fromCharCode(97 + i);
      const next = String.fromCharCode(98 + i);
      lines.push(
        `${next}: &${next} [*${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}]`,
      );
    }
    expect(parse(lines.join('\n') + '\n').problems.map((p) => p.code)).toEqual(['YAML_ALIAS_LIMIT']);
  });

  it('refuses files over the size cap without parsing them', () => {
    const result = parse('#'.repeat(MAX_CONFIG_BYTES + 1));
    expect(result.problems.map((p) => p.code)).toEqual(['YAML_FILE_TOO_LARGE']);
    expect(result.doc).toBeUndefined();
  });

  it('locates syntax errors', () => {
    const [problem] = parse('a: [1, 2\nb: 3\n').problems;
    expect(problem?.code).toBe('YAML_SYNTAX');
    expect(problem?.at?.line).toBeGreaterThanOrEqual(1);
  });
});

describe('parseYamlFile messages', () => {
  it('names the repeated key, also after a key with no value', () => {
    const result = parse('a:\n  b:\n  c: 1\n  b: 2\n');
    expect(result.problems.map((p) => [p.code, p.message, p.at?.line, p.at?.col, p.at?.endCol])).toEqual([
      ['YAML_DUPLICATE_KEY', 'Key "b" appears twice in the same mapping.', 4, 3, 4],
    ]);
  });

  it('reports only the first syntax error, and says so', () => {
    const result = parse('a:\n  b: 1\n\tc: 2\n  d: 3\n');
    expect(result.problems.length).toBe(1);
    expect(result.problems[0]?.code).toBe('YAML_TAB_INDENT');
    expect(result.problems[0]?.hint).toMatch(/Later syntax errors are not shown/);
  });

  it('keeps independent errors after a syntax error', () => {
    expect(codes('a: 1\nb: : 2\nc: 1\nc: 2\nd: !secret y\n')).toEqual([
      'YAML_SYNTAX@2:4',
      'YAML_DUPLICATE_KEY@4:1',
      'YAML_UNKNOWN_TAG@5:4',
    ]);
  });
});
