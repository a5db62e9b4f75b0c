// The byte writer's own number and integer formatting (src/logging/byte-writer.ts): what
// JSON.stringify prints, for every kind of number a feature, a probability or a latency can be.
import { expect, it } from 'vitest';
import { ByteWriter } from '../src/logging/byte-writer.js';

const written = (write: (w: ByteWriter) => void): string => {
  const w = new ByteWriter(1);
  write(w);
  return w.bytes().toString('latin1');
};

/** A seeded generator (mulberry32): a failure names a value that the next run sees again. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

it('writes a number as JSON.stringify does, at the edges of the digit-by-digit path and beyond it', () => {
  const edges = [
    0,
    -0,
    1,
    -1,
    0.5,
    1e-6,
    -1e-6,
    1.5e-6,
    1e-7,
    9e-7,
    5e-324,
    0.1 + 0.2,
    1 / 3,
    2 / 3,
    123456.5,
    0.000123,
    0.999999,
    0.9999995,
    999999999.999999,
    999999999.9999999,
    1e9,
    1e9 - 1e-6,
    1e9 + 0.5,
    999999999,
    1e15,
    1e21,
    1e21 - 65536,
    2 ** 53,
    2 ** 53 + 2,
    Number.MAX_SAFE_INTEGER,
    Number.MIN_VALUE,
    Number.MAX_VALUE,
    Number.EPSILON,
    4.35,
    0.07,
    1.005,
    8.675309,
  ];
  for (const v of edges) {
    expect(
      written((w) => w.number(v)),
      String(v),
    ).toBe(JSON.stringify(v));
    expect(
      written((w) => w.number(-v)),
      String(-v),
    ).toBe(JSON.stringify(-v));
  }
});

it('writes random numbers as JSON.stringify does: rounded to 0-8 places, float32, of every magnitude', () => {
  const next = random(11);
  let mismatches = 0;
  const first: string[] = [];
  const check = (v: number) => {
    const got = written((w) => w.number(v));
    if (got !== JSON.stringify(v) && mismatches++ < 5) first.push(`${v}: wrote ${got}`);
  };
  for (let i = 0; i < 100_000; i++) {
    const x = (next() - 0.5) * 10 ** (next() * 26 - 10);
    check(x);
    check(Math.fround(x));
    for (let places = 0; places <= 8; places++) check(Math.round(x * 10 ** places) / 10 ** places);
    // Probabilities as the model runtime rounds them.
    check(Math.round(next() * 1e6) / 1e6);
  }
  expect(first).toEqual([]);
  expect(mismatches).toBe(0);
});

it('writes whole numbers, and anything else it is given as an integer the way JSON.stringify does', () => {
  for (const n of [0, 1, 9, 10, 63, 64, 99, 100, 12345, 999_999_999, 1e9, 2 ** 40, -1, 1.5, Number.MAX_SAFE_INTEGER])
    expect(
      written((w) => w.integer(n)),
      String(n),
    ).toBe(JSON.stringify(n));
});

it('appends after what was written, growing its buffer', () => {
  const w = new ByteWriter(2);
  w.ascii('a fairly long ascii run');
  w.number(0.25);
  w.ascii(',');
  w.integer(42);
  w.number(-1e300);
  expect(w.bytes().toString('latin1')).toBe('a fairly long ascii run0.25,42-1e+300');
});
