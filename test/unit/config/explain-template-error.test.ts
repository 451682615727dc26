import { createRequire } from 'node:module';
import { expect, it } from 'vitest';
import { explainTemplateError } from '../../../engine/config/explain-template-error.js';

const { parse } = createRequire(import.meta.url)('handlebars/dist/cjs/handlebars/compiler/base.js') as {
  parse: (template: string) => unknown;
};

function explain(template: string): string {
  try {
    parse(template);
  } catch (error) {
    return explainTemplateError(template, error);
  }
  throw new Error(`${template} parses`);
}

it.each([
  ['accounts-{{timestamp}.csv', 'the placeholder "{{timestamp}.csv" at character 10 is not closed with "}}"'],
  ['a-{{timestamp}}-{{run_id', 'the placeholder "{{run_id" at character 17 is not closed with "}}"'],
  ['a-{{run_id-{{timestamp}}', 'the placeholder "{{run_id-" at character 3 is not closed with "}}"'],
  ['a-{{ }}.csv', 'the placeholder at character 3 is empty'],
])('%s: %s', (template, expected) => {
  expect(explain(template)).toBe(expected);
});

it("falls back to Handlebars' own expectation, without its grammar's EOF", () => {
  expect(explain('a-{{#if x}}b')).toMatch(
    /^Handlebars cannot parse it \(Expecting .*, got the end of the template\)$/,
  );
});
