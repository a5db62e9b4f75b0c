// The JSON framing of the forward protocol (src/logging/json-values.js): concatenated objects and
// arrays split into values however the bytes arrive, strings with brackets, quotes and backslashes.
import { expect, it } from 'vitest';
import { JsonValues } from '../src/logging/json-values.js';

const values: unknown[] = [
  { ack: 'q2rBZyq0+/kJ1X3bVyVx5A==' },
  [
    'tag.prediction',
    [[1764816000, { s: 'a "quoted" } ] { [ word', back: 'C:\\dir\\', both: '\\"', uni: 'çé 日本 🙂' }]],
    { chunk: 'x', size: 1 },
  ],
  [],
  {},
  [[[{ deep: [1, 2.5e-7, -3, true, false, null] }]]],
  { '}': '{', '"': '\\', 'end\\': '\\\\' },
];
// Whitespace between values, as a peer may write it.
const stream = Buffer.from(values.map((v) => JSON.stringify(v)).join(' \n\t\r'), 'utf8');

const parseAll = (chunks: Buffer[]): unknown[] => {
  const splitter = new JsonValues(1 << 20);
  return chunks.flatMap((c) => splitter.push(c)).map((b) => JSON.parse(b.toString('utf8')) as unknown);
};

it('splits concatenated values, whole or cut at any byte', () => {
  expect(parseAll([stream])).toEqual(values);
  for (let cut = 1; cut < stream.length; cut++)
    expect(parseAll([stream.subarray(0, cut), stream.subarray(cut)]), `cut at ${cut}`).toEqual(values);
  // One byte at a time: a value spans many chunks, also inside its escapes.
  expect(parseAll([...stream].map((b) => Buffer.from([b])))).toEqual(values);
});

it('a value only completes with its last byte', () => {
  const splitter = new JsonValues(1 << 20);
  const one = Buffer.from(JSON.stringify(values[1]));
  expect(splitter.push(one.subarray(0, one.length - 1))).toEqual([]);
  expect(splitter.push(one.subarray(one.length - 1)).map((b) => JSON.parse(b.toString()) as unknown)).toEqual([values[1]]);
});

it('refuses what cannot start a value, and a value beyond its bound', () => {
  expect(() => new JsonValues(100).push(Buffer.from('{"a":1} 42'))).toThrow(/byte 0x34 where an object or an array was to begin/);
  expect(() => new JsonValues(100).push(Buffer.from('"a string"'))).toThrow(/byte 0x22/);
  const splitter = new JsonValues(100);
  expect(splitter.push(Buffer.from(`{"a":"${'x'.repeat(50)}`))).toEqual([]);
  expect(() => splitter.push(Buffer.from('y'.repeat(60)))).toThrow(/longer than 100 bytes/);
});
