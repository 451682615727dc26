import { describe, expect, it } from 'vitest';
import { appendWithinBudget, configChangeLines } from '../../../engine/report/markdown-parts.js';

describe('appendWithinBudget', () => {
  it('keeps sections while text + section + reserve fits, names the ones left out, keeps order', () => {
    const sections = [
      { name: 'a', text: 'aaaa' },
      { name: 'b', text: 'bbbbbbbbbb' },
      { name: 'c', text: 'cc' },
    ];
    // 'head' (4) + a (4) + reserve 2 = 10 fits; + b (10) does not; + c (2) does.
    expect(appendWithinBudget('head', sections, { budget: 12, reserve: 2 })).toEqual({
      text: 'headaaaacc',
      left: ['b'],
    });
    expect(appendWithinBudget('head', sections, { budget: 5, reserve: 2 })).toEqual({
      text: 'head',
      left: ['a', 'b', 'c'],
    });
  });
});

describe('configChangeLines', () => {
  it('writes removed, changed and added settings as diff lines', () => {
    expect(
      configChangeLines([
        { path: 'a', change: 'removed', before: 1 },
        { path: 'b', change: 'changed', before: 'x', after: 'y' },
        { path: 'c', change: 'added', after: true },
      ]),
    ).toEqual(['- a: 1', '- b: "x"', '+ b: "y"', '+ c: true']);
  });
});
