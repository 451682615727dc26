import { describe, expect, it } from 'vitest';
import {
  appendWithinBudget,
  configChangeLines,
  fencedBlock,
  htmlText,
  markdownCode,
  markdownText,
} from '../../../engine/report/markdown-parts.js';

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

describe('escaping values from data and configuration', () => {
  const hostile = 'a`|<img src=x onerror=alert(1)>\n# h.csv';

  it('markdownCode: a code span no backtick inside can close, on one line, pipes escaped in tables', () => {
    expect(markdownCode('plain')).toBe('`plain`');
    expect(markdownCode(hostile)).toBe('``a`|<img src=x onerror=alert(1)>␤# h.csv``');
    expect(markdownCode(hostile, { table: true })).toBe('``a`\\|<img src=x onerror=alert(1)>␤# h.csv``');
    expect(markdownCode('`x`')).toBe('`` `x` ``');
    expect(markdownCode('a``b')).toBe('```a``b```');
  });

  it('markdownText: no HTML, links, emphasis, code or mentions; one line', () => {
    expect(markdownText('<b>x</b> & [a](http://e) *b* _c_ `d` | ~~e~~ @team\n# h')).toBe(
      '&lt;b&gt;x&lt;/b&gt; &amp; \\[a\\](http://e) \\*b\\* \\_c\\_ \\`d\\` \\| \\~\\~e\\~\\~ @\u200bteam # h',
    );
  });

  it('htmlText: entities inside raw HTML, and a blank line cannot end the HTML block', () => {
    expect(htmlText('a <b> & "c"\n\n# d')).toBe('a &lt;b&gt; &amp; &quot;c&quot;  # d');
  });

  it('fencedBlock and configChangeLines: a configuration key cannot close the diff block', () => {
    const lines = configChangeLines([
      { path: 'mapping.rename.x\n```\n# injected', change: 'added', after: 'y' },
      { path: 'mapping.rename.````', change: 'added', after: 'z' },
    ]);
    expect(lines).toEqual(['+ mapping.rename.x␤```␤# injected: "y"', '+ mapping.rename.````: "z"']);
    expect(fencedBlock('diff', lines)).toEqual(['`````diff', ...lines, '`````']);
    expect(fencedBlock('diff', ['+ a: 1'])).toEqual(['```diff', '+ a: 1', '```']);
  });
});
