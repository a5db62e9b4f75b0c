// Names from user files reach generated code only through generators/app/derive/quoting.ts: each
// quoted form is read back by a real parser (V8 for TS/JS literals, sh for shell words).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { groovyString, jsKey, jsLiteral, jsonValue, shellWord } from '../generators/app/derive/quoting.js';

const HOSTILE = [
  'plain',
  "it's",
  'say "hi"',
  'back\\slash',
  'line\nbreak\r\ttab',
  '${process.exit(1)}',
  '`$(rm -rf /)`',
  '*/ /* */',
  '</script>',
  'ünïcödé ✓ 名前',
  '\u2028\u2029',
  '\u0000\u0007\u001f\u007f',
  '__proto__',
  'constructor',
  '',
  ' leading and trailing ',
  '-n',
];

describe('quoting: every hostile name comes back as it was', () => {
  it('jsLiteral: an object keyed by them evaluates to the same own keys and values (also __proto__)', () => {
    const value = Object.fromEntries(HOSTILE.map((name, i) => [name, { name, i, list: [name] }]));
    // eslint-disable-next-line no-new-func -- V8 reading the generated literal back is the test
    const evaluated = new Function(`return ${jsLiteral(value)};`)() as Record<string, unknown>;
    expect(Object.getPrototypeOf(evaluated)).toBe(Object.prototype);
    expect(Object.keys(evaluated)).toEqual(Object.keys(value));
    expect(JSON.parse(JSON.stringify(evaluated))).toEqual(JSON.parse(JSON.stringify(value)));
    expect(jsKey('__proto__')).toBe('["__proto__"]');
  });

  it('jsonValue: parses back, and null for undefined', () => {
    for (const name of HOSTILE) expect(JSON.parse(jsonValue(name))).toBe(name);
    expect(jsonValue(undefined)).toBe('null');
  });

  it('shellWord: sh prints each one unchanged', () => {
    const names = HOSTILE.filter((n) => !n.includes('\u0000')); // argv cannot carry NUL
    const script = names.map((n) => `printf '%s\\0' ${shellWord(n)}`).join('\n');
    const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(names);
  });

  it('groovyString: one line, no interpolation, and the escapes Groovy shares with JS read back the same', () => {
    for (const name of HOSTILE) {
      const literal = groovyString(name);
      expect(literal).toMatch(/^'[^\n\r\u2028\u2029]*'$/);
      // Groovy's single-quoted escapes (\\ \' \n \r \t \uXXXX) mean what they mean in a JS single-quoted string.
      // eslint-disable-next-line no-new-func -- V8 reading the literal back is the test
      expect(new Function(`return ${literal};`)()).toBe(name);
    }
  });
});
