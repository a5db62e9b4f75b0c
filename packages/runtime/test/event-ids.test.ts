// The prediction records' event IDs (src/logging/event-ids.ts): random version-4 UUIDs, written as
// text straight into a line, the same text as a string, never repeated and never changed once drawn.
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { ByteWriter } from '../src/logging/byte-writer.js';
import { EventIds } from '../src/logging/event-ids.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** What ByteWriter.eventId writes for every ID of `ids`, between other bytes. */
function written(ids: EventIds): string[] {
  const w = new ByteWriter(1);
  for (let i = 0; i < ids.count; i++) {
    w.raw(Buffer.from('<'));
    w.eventId(ids, i);
    w.raw(Buffer.from('>'));
  }
  return [
    ...w
      .bytes()
      .toString('latin1')
      .matchAll(/<([^>]*)>/g),
  ].map((m) => m[1]!);
}

it('draws version-4 UUIDs, written and as strings the same, none repeated across draws of every size', () => {
  const seen = new Set<string>();
  let drawn = 0;
  // 1, 64 and 256 rows fit the random pool; 300 and 1000 do not (a buffer of their own)
  for (const count of [1, 64, 256, 300, 1000, 7, 64, 255, 1, 256]) {
    for (let round = 0; round < 40; round++) {
      const ids = EventIds.draw(count);
      const strings = ids.strings();
      expect(ids.count).toBe(count);
      expect(written(ids)).toEqual(strings);
      for (const id of strings) {
        expect(id).toMatch(UUID_V4);
        seen.add(id);
      }
      drawn += count;
    }
  }
  expect(seen.size).toBe(drawn);
});

it('keeps the IDs it handed out: later draws never rewrite them', () => {
  const first = EventIds.draw(64);
  const before = first.strings();
  for (let i = 0; i < 100; i++) EventIds.draw(i % 2 === 0 ? 64 : 5);
  expect(first.strings()).toEqual(before);
});

it('every random hex digit of an ID is about equally likely', () => {
  const counts = Array.from({ length: 36 }, () => new Map<string, number>());
  const n = 20_000;
  for (const id of EventIds.draw(n).strings()) for (let c = 0; c < 36; c++) counts[c]!.set(id[c]!, (counts[c]!.get(id[c]!) ?? 0) + 1);
  for (let c = 0; c < 36; c++) {
    if ([8, 13, 18, 23].includes(c)) expect([...counts[c]!.keys()], `position ${c}`).toEqual(['-']);
    else if (c === 14) expect([...counts[c]!.keys()], 'version').toEqual(['4']);
    else if (c === 19) expect([...counts[c]!.keys()].sort(), 'variant').toEqual(['8', '9', 'a', 'b']);
    else {
      // 1/16 each: 1,250 of 20,000 with a standard deviation of 34; the bounds are 7 of them away
      expect(counts[c]!.size, `position ${c}`).toBe(16);
      for (const [digit, k] of counts[c]!) {
        expect(k, `position ${c}, digit ${digit}`).toBeGreaterThan(1_010);
        expect(k, `position ${c}, digit ${digit}`).toBeLessThan(1_490);
      }
    }
  }
});

it('takes IDs already chosen and writes them back as they were, in lower case; refuses what is no UUID', () => {
  const chosen = [randomUUID(), randomUUID().toUpperCase(), '00000000-0000-0000-0000-000000000000'];
  const ids = EventIds.of(chosen);
  expect(ids.strings()).toEqual(chosen.map((id) => id.toLowerCase()));
  expect(written(ids)).toEqual(ids.strings());
  expect(() => EventIds.of(['not-a-uuid'])).toThrow(/event ID "not-a-uuid" is not a UUID/);
  expect(() => EventIds.of([`${randomUUID()}0`])).toThrow(/is not a UUID/);
});
