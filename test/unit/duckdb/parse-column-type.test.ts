import { expect, it } from 'vitest';
import { parseColumnType } from '../../../engine/duckdb/parse-column-type.js';

const leaf = (name: string) => ({ kind: 'leaf', name });

it.each([
  ['DOUBLE', leaf('DOUBLE')],
  ['TIMESTAMP WITH TIME ZONE[]', { kind: 'list', element: leaf('TIMESTAMP WITH TIME ZONE') }],
  ['INTEGER[2][]', { kind: 'list', element: { kind: 'list', element: leaf('INTEGER') } }],
  ['MAP(VARCHAR, DECIMAL(18,3))', { kind: 'map', key: leaf('VARCHAR'), value: leaf('DECIMAL(18,3)') }],
  ["ENUM('a,b', 'c')", leaf("ENUM('a,b', 'c')")],
  ['UNION(k INTEGER, s VARCHAR)', leaf('UNION(k INTEGER, s VARCHAR)')],
  [
    'STRUCT("a b" DOUBLE, "c""d, e" TIMESTAMP[], "select" MAP(VARCHAR, FLOAT), x STRUCT(y ENUM(\'p,q\')))[]',
    {
      kind: 'list',
      element: {
        kind: 'struct',
        fields: [
          { name: 'a b', type: leaf('DOUBLE') },
          { name: 'c"d, e', type: { kind: 'list', element: leaf('TIMESTAMP') } },
          { name: 'select', type: { kind: 'map', key: leaf('VARCHAR'), value: leaf('FLOAT') } },
          { name: 'x', type: { kind: 'struct', fields: [{ name: 'y', type: leaf("ENUM('p,q')") }] } },
        ],
      },
    },
  ],
])('parses %s as DESCRIBE prints it', (text, tree) => {
  expect(parseColumnType(text)).toEqual(tree);
});
