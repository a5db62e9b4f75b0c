// Hostile input against a real server on a real port (raw sockets): every feature of features.yaml
// with wrong types, limits, nesting, sizes and encodings, prototype pollution, broken HTTP framing
// and slow clients, across /predict, OIP v2 infer, /feedback and /docs. Each case asserts the
// status, the { error } shape, the field or header named, a time bound, and that the in-flight
// gauge is back at 0 afterwards (no request stays counted, aborted or not).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.js';
import { exampleRow, modelSpec } from './service.js';
import type { FeatureSpec } from '../src/schemas/model-spec.js';
import { pointer, row, startServer, testConfig, UNKNOWN_FEATURE, wrongTypeValue } from './api-helpers.js';
import {
  expectError,
  inFlight as readInFlight,
  jsonRequest,
  rawRequest,
  requestBytes,
  trickle,
  type RawResponse,
  type Sending,
} from './raw-http.js';

/** An answer to bad input takes milliseconds; the bound leaves room for a loaded CI machine, far below the seconds a quadratic formatter took. */
const FAST_MS = 2_000;
/** Small, so the slow-client cases end quickly. */
const REQUEST_TIMEOUT_MS = 1_500;
const KEEP_ALIVE_MS = 1_000;
const DEEP = 10_000;

const settings = (c: Config) => {
  c.service.request_timeout_ms = REQUEST_TIMEOUT_MS;
  c.service.keep_alive_timeout_ms = KEEP_ALIVE_MS;
};
/** The config the server runs with (its model dir aside): the cases are built from it. */
const config = testConfig(settings);
let server: Awaited<ReturnType<typeof startServer>>;
let port: number;

beforeAll(async () => {
  server = await startServer(settings);
  port = server.port;
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

const inFlight = () => readInFlight(port);

/** The gauge settles when the last response's 'close' has run: a moment after the client has read it. */
async function expectNothingInFlight(): Promise<void> {
  const deadline = Date.now() + 2_000;
  let n = await inFlight();
  while (n !== 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    n = await inFlight();
  }
  expect(n, 'requests still counted in flight').toBe(0);
}

interface Case {
  name: string;
  send: Sending;
  status: number;
  /** What the error must name: a field, a header, a limit's config key, a path. */
  named: string | RegExp;
  maxMs?: number;
}

const cases: Case[] = [];
const add = (c: Case) => cases.push(c);

const deepArray = (depth: number, leaf: string = '1') => '['.repeat(depth) + leaf + ']'.repeat(depth);
const deepObject = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
/** A row as JSON text with one feature's value replaced by raw JSON (1e400 cannot be written with JSON.stringify). */
const rowWithRaw = (name: string, raw: string): string => {
  const marker = '"__raw_value_marker__"';
  return JSON.stringify(row({ [name]: '__raw_value_marker__' })).replace(marker, raw);
};
const predict = (body: unknown, headers: Record<string, string | null> = {}) => jsonRequest('/predict', body, headers);

// ---------------------------------------------------------------- /predict, per feature
const idField = modelSpec.idField;

function valueCases(f: FeatureSpec): { what: string; raw: string; named?: string | RegExp }[] {
  const out: { what: string; raw: string; named?: string | RegExp }[] = [
    { what: 'a value of the wrong type', raw: JSON.stringify(wrongTypeValue(f)) },
    { what: 'null', raw: 'null' },
    { what: 'an array', raw: '[1, 2]' },
    { what: 'an object', raw: '{"value": 1}' },
    { what: `a value nested ${DEEP} deep`, raw: deepArray(DEEP), named: `/${pointer(f.name)}/0/0` },
    { what: 'an object nested 65 deep (one over service.max_depth)', raw: deepObject(65), named: 'service.max_depth' },
  ];
  if (f.type === 'number' || f.type === 'integer') {
    out.push(
      { what: '1e400 (parses to Infinity)', raw: '1e400', named: /64-bit float/ },
      { what: '-1e400', raw: '-1e400', named: /64-bit float/ },
    );
    out.push({ what: 'a numeric string', raw: '"5"' }, { what: 'true', raw: 'true' });
    if (f.min !== undefined) out.push({ what: 'below its minimum', raw: String(f.min - 1) });
    if (f.max !== undefined) out.push({ what: 'above its maximum', raw: String(f.max + 1) });
    if (f.type === 'integer')
      out.push({ what: 'a fraction', raw: '1.5' }, { what: 'an integer beyond 2^53', raw: '123456789012345678901234567890' });
  }
  if (f.type === 'boolean')
    out.push({ what: 'the string "true"', raw: '"true"' }, { what: '1', raw: '1' }, { what: '1e400', raw: '1e400', named: /64-bit float/ });
  if (f.type === 'category') {
    out.push({ what: 'a value not in its list', raw: JSON.stringify(`${f.values![0]}_not_a_value`) });
    out.push({ what: 'a value of 100 000 characters', raw: JSON.stringify('v'.repeat(100_000)) });
    out.push({ what: 'an index instead of the value', raw: '0' });
  }
  if (f.type === 'string') {
    if (f.max_length !== undefined) out.push({ what: 'a string over its max_length', raw: JSON.stringify('s'.repeat(f.max_length + 1)) });
    out.push({ what: 'a number', raw: '42' }, { what: '1e400', raw: '1e400', named: /64-bit float/ });
  }
  return out;
}

for (const f of modelSpec.features) {
  for (const v of valueCases(f))
    add({
      name: `/predict ${JSON.stringify(f.name)}: ${v.what}`,
      send: predict(rowWithRaw(f.name, v.raw)),
      status: 400,
      named: v.named ?? f.name,
    });
  add({
    name: `/predict ${JSON.stringify(f.name)}: a wrong-type value in row 2 of a batch`,
    send: predict(`[${JSON.stringify(row())},${rowWithRaw(f.name, JSON.stringify(wrongTypeValue(f)))}]`),
    status: 400,
    named: `/1/${pointer(f.name)}`,
  });
  if (f.required)
    add({ name: `/predict ${JSON.stringify(f.name)}: missing`, send: predict(row({}, [f.name])), status: 400, named: f.name });
}

if (idField) {
  const idCases: [string, string, string | RegExp][] = [
    ['1e400', '1e400', /64-bit float/],
    ['2^53 + 1 (JSON.parse cannot keep it)', '9007199254740993', 'JSON string'],
    ['a 23-digit integer', '12345678901234567890123', 'JSON string'],
    ['-2^53 - 1', '-9007199254740993', 'JSON string'],
    ['a fraction', '1.5', idField],
    ['an object', '{"id": 1}', idField],
    ['an empty string', '""', idField],
    ['a string of 257 characters', JSON.stringify('i'.repeat(257)), idField],
    [`nested ${DEEP} deep`, deepArray(DEEP), 'service.max_depth'],
  ];
  for (const [what, raw, named] of idCases)
    add({ name: `/predict id field ${JSON.stringify(idField)}: ${what}`, send: predict(rowWithRaw(idField, raw)), status: 400, named });
}

// ---------------------------------------------------------------- /predict, the body
const unknownKeys = (n: number) => {
  const r = row();
  for (let i = 0; i < n; i++) r[`${UNKNOWN_FEATURE}_${i}`] = i;
  return r;
};
const firstRow = JSON.stringify(row());
// Pollution keys come last: with duplicate keys JSON.parse keeps the last (a feature may be named __proto__ or constructor).
const bodyCases: Case[] = [
  { name: 'one unknown key', send: predict(row({ [UNKNOWN_FEATURE]: 1 })), status: 400, named: UNKNOWN_FEATURE },
  {
    name: '500 unknown keys in one row: 20 listed, the rest counted',
    send: predict(unknownKeys(500)),
    status: 400,
    named: /480 more unknown keys in this body \(500 in all\)/,
  },
  {
    name: '10 000 unknown keys in one row: over service.max_keys, refused before parsing',
    send: predict(unknownKeys(10_000)),
    status: 400,
    named: `${10_000 + Object.keys(row()).length} keys, over the limit of ${config.service.max_keys} (service.max_keys)`,
  },
  {
    name: '20 000 unknown keys and a string of 1000 brackets',
    send: predict(Object.assign(unknownKeys(20_000), { z: '['.repeat(1000) })),
    status: 400,
    named: 'service.max_keys',
  },
  {
    name: 'a batch of rows with 900 unknown keys each',
    send: predict(Array.from({ length: 5 }, () => unknownKeys(900))),
    status: 400,
    named: /880 more unknown keys in this row/,
  },
  { name: 'an unknown key of 100 000 characters', send: predict(row({ ['k'.repeat(100_000)]: 1 })), status: 400, named: 'kkkkkkkk' },
  {
    name: 'an unknown key holding a value nested 10 000 deep',
    send: predict(rowWithRaw(UNKNOWN_FEATURE, deepArray(DEEP))),
    status: 400,
    named: 'service.max_depth',
  },
  { name: `the body nested ${DEEP} deep (arrays)`, send: predict(deepArray(DEEP)), status: 400, named: 'service.max_depth' },
  { name: `the body nested ${DEEP} deep (objects)`, send: predict(deepObject(DEEP)), status: 400, named: '/a/a/a' },
  { name: 'the body nested 100 000 deep', send: predict(deepArray(100_000)), status: 400, named: 'service.max_depth' },
  {
    name: 'a row nested 64 deep inside a batch: at the limit, refused by validation not depth',
    send: predict(deepArray(63, firstRow)),
    status: 400,
    named: /expected a row object/,
  },
  { name: 'an empty batch', send: predict([]), status: 400, named: 'batch is empty' },
  {
    name: 'a batch one over service.max_batch_size',
    send: predict(
      `[${Array(config.service.max_batch_size + 1)
        .fill(firstRow)
        .join(',')}]`,
    ),
    status: 400,
    named: 'service.max_batch_size',
  },
  {
    name: 'a batch of rows that are all bad: details capped',
    send: predict(Array.from({ length: Math.min(200, config.service.max_batch_size) }, () => row({ [UNKNOWN_FEATURE]: 1 }))),
    status: 400,
    named: /details list the first 50; \d+ more not listed/,
  },
  { name: 'a batch of numbers', send: predict([1, 2, 3]), status: 400, named: 'expected a row object' },
  { name: 'body null', send: predict('null'), status: 400, named: 'request body' },
  { name: 'body a string', send: predict('"row"'), status: 400, named: 'one row object' },
  { name: 'body a number', send: predict('42'), status: 400, named: 'one row object' },
  { name: 'body 1e400', send: predict('1e400'), status: 400, named: /64-bit float/ },
  { name: 'body true', send: predict('true'), status: 400, named: 'one row object' },
  { name: 'an empty body', send: predict(''), status: 400, named: 'empty' },
  { name: 'truncated JSON', send: predict('{"a":'), status: 400, named: 'not valid JSON' },
  { name: 'a trailing comma', send: predict(`${firstRow.slice(0, -1)},}`), status: 400, named: 'not valid JSON' },
  { name: 'NaN as a literal', send: predict(rowWithRaw(modelSpec.features[0]!.name, 'NaN')), status: 400, named: 'not valid JSON' },
  {
    name: 'Infinity as a literal',
    send: predict(rowWithRaw(modelSpec.features[0]!.name, 'Infinity')),
    status: 400,
    named: 'not valid JSON',
  },
  { name: 'single-quoted JSON', send: predict("{'a': 1}"), status: 400, named: 'not valid JSON' },
  { name: 'a comment in JSON', send: predict(`/* x */ ${firstRow}`), status: 400, named: 'not valid JSON' },
  { name: 'two JSON documents', send: predict(`${firstRow}${firstRow}`), status: 400, named: 'not valid JSON' },
  {
    name: '__proto__ pollution',
    send: predict(`${firstRow.slice(0, -1)}, "__proto__": {"polluted": true}}`),
    status: 400,
    named: '__proto__',
  },
  {
    name: 'constructor.prototype pollution',
    send: predict(`${firstRow.slice(0, -1)}, "constructor": {"prototype": {"polluted": true}}}`),
    status: 400,
    named: 'constructor',
  },
  {
    name: '__proto__ pollution inside a batch',
    send: predict(`[${firstRow}, {"__proto__": {"polluted": true}}]`),
    status: 400,
    named: '__proto__',
  },
  {
    name: 'invalid UTF-8 in a string (0xff)',
    send: predict(
      Buffer.concat([Buffer.from(`${firstRow.slice(0, -1)}, "${UNKNOWN_FEATURE}": "`), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
    ),
    status: 400,
    named: 'UTF-8',
  },
  {
    name: 'an overlong UTF-8 sequence (0xc0 0xaf)',
    send: predict(Buffer.concat([Buffer.from('{"a": "'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])),
    status: 400,
    named: 'UTF-8',
  },
  {
    name: 'a UTF-16 surrogate in UTF-8 (0xed 0xa0 0x80)',
    send: predict(Buffer.concat([Buffer.from('{"a": "'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])),
    status: 400,
    named: 'UTF-8',
  },
  {
    name: 'a truncated UTF-8 sequence at the end',
    send: predict(Buffer.concat([Buffer.from('{"a": "'), Buffer.from([0xe2, 0x82])])),
    status: 400,
    named: 'UTF-8',
  },
  { name: 'UTF-16 text', send: predict(Buffer.from(firstRow, 'utf16le')), status: 400, named: /not valid JSON|UTF-8/ },
  { name: 'content-encoding gzip with a plain body', send: predict(row(), { 'content-encoding': 'gzip' }), status: 415, named: '"gzip"' },
  { name: 'content-encoding br', send: predict(row(), { 'content-encoding': 'br' }), status: 415, named: '"br"' },
  { name: 'content-encoding deflate', send: predict(row(), { 'content-encoding': 'deflate' }), status: 415, named: '"deflate"' },
  {
    name: 'content-encoding "gzip, identity"',
    send: predict(row(), { 'content-encoding': 'gzip, identity' }),
    status: 415,
    named: 'gzip, identity',
  },
  {
    name: 'transfer-encoding "gzip, chunked"',
    send: requestBytes(
      'POST',
      '/predict',
      { 'content-type': 'application/json', 'transfer-encoding': 'gzip, chunked', 'content-length': null },
      chunked(firstRow),
    ),
    status: 415,
    named: 'gzip, chunked',
  },
  { name: 'content-type text/plain', send: predict(row(), { 'content-type': 'text/plain' }), status: 415, named: 'text/plain' },
  {
    name: 'content-type application/x-www-form-urlencoded',
    send: predict('a=1', { 'content-type': 'application/x-www-form-urlencoded' }),
    status: 415,
    named: 'x-www-form-urlencoded',
  },
  { name: 'no content-type', send: predict(row(), { 'content-type': null }), status: 415, named: 'application/json' },
  {
    name: 'a body over service.body_limit_bytes (by Content-Length)',
    send: requestBytes(
      'POST',
      '/predict',
      { 'content-type': 'application/json', 'content-length': String(config.service.body_limit_bytes + 1) },
      '',
    ),
    status: 413,
    named: 'service.body_limit_bytes',
  },
  {
    name: 'a chunked body over service.body_limit_bytes',
    send: requestBytes(
      'POST',
      '/predict',
      { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'content-length': null },
      chunked(`"${'x'.repeat(config.service.body_limit_bytes + 10)}"`),
    ),
    status: 413,
    named: 'service.body_limit_bytes',
  },
  // The rest of the body is read as the next request on the connection: malformed HTTP.
  {
    name: 'Content-Length shorter than the body',
    send: requestBytes(
      'POST',
      '/predict',
      { 'content-type': 'application/json', 'content-length': '5', connection: 'keep-alive' },
      firstRow,
    ),
    status: 400,
    named: /malformed HTTP request|not valid JSON/,
  },
  {
    name: 'two different Content-Length headers',
    send: Buffer.from(
      `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n{}`,
    ),
    status: 400,
    named: 'malformed HTTP request',
  },
  {
    name: 'Content-Length and Transfer-Encoding together',
    send: Buffer.from(
      `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}`,
    ),
    status: 400,
    named: 'malformed HTTP request',
  },
  {
    name: 'a negative Content-Length',
    send: Buffer.from(`POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n{}`),
    status: 400,
    named: 'malformed HTTP request',
  },
  {
    name: 'a broken chunk size',
    send: Buffer.from(
      `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
    ),
    status: 400,
    named: 'malformed HTTP request',
  },
  {
    name: 'no Host header (HTTP/1.1)',
    send: requestBytes('POST', '/predict', { host: null, 'content-type': 'application/json' }, firstRow),
    status: 400,
    named: 'Host',
  },
  {
    name: 'a malformed request line',
    send: Buffer.from('POST /predict HTTP/9.9 extra\r\nHost: x\r\n\r\n'),
    status: 400,
    named: 'malformed HTTP request',
  },
  {
    name: 'a space in a header name',
    send: Buffer.from('POST /predict HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n'),
    status: 400,
    named: 'malformed HTTP request',
  },
  { name: 'a bare LF request', send: Buffer.from('POST /predict HTTP/1.1\nHost: x\n\n'), status: 400, named: 'malformed HTTP request' },
  {
    name: 'headers over 16 KB',
    send: requestBytes('POST', '/predict', { 'content-type': 'application/json', 'x-big': 'h'.repeat(20_000) }, firstRow),
    status: 431,
    named: 'headers are too large',
  },
  {
    name: 'a 10 KB URL',
    send: requestBytes('POST', `/predict/${'p'.repeat(10_000)}`, { 'content-type': 'application/json' }, firstRow),
    status: 404,
    named: 'no route',
  },
  { name: 'GET /predict', send: requestBytes('GET', '/predict'), status: 404, named: 'GET /predict' },
  {
    name: 'PUT /predict',
    send: requestBytes('PUT', '/predict', { 'content-type': 'application/json' }, firstRow),
    status: 404,
    named: 'PUT /predict',
  },
  {
    name: 'a path with a bad percent-escape',
    send: requestBytes('GET', '/predict%'),
    status: 400,
    named: "'/predict%' is not a valid url",
  },
  {
    name: 'an x-request-id of 1000 characters (replaced by a generated one) and a bad row',
    send: predict(row({ [UNKNOWN_FEATURE]: 1 }), { 'x-request-id': 'r'.repeat(1000) }),
    status: 400,
    named: UNKNOWN_FEATURE,
  },
  {
    name: 'a body trickled at 1 byte per 100 ms: cut at service.request_timeout_ms',
    send: trickle(predict(row()).subarray(0), 1, 100),
    status: 408,
    named: 'service.request_timeout_ms',
    maxMs: REQUEST_TIMEOUT_MS + FAST_MS,
  },
  {
    name: 'headers that never end: cut at service.request_timeout_ms',
    send: async (socket) => {
      socket.write('POST /predict HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      for (let i = 0; i < 100 && !socket.destroyed; i++) {
        socket.write('a');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    status: 408,
    named: 'service.request_timeout_ms',
    maxMs: REQUEST_TIMEOUT_MS + FAST_MS,
  },
  {
    name: 'a body that stops halfway and never ends: cut at service.request_timeout_ms',
    send: async (socket) => {
      const bytes = predict(row());
      socket.write(bytes.subarray(0, bytes.length - 5));
    },
    status: 408,
    named: 'service.request_timeout_ms',
    maxMs: REQUEST_TIMEOUT_MS + FAST_MS,
  },
];
for (const c of bodyCases) add({ ...c, name: `/predict: ${c.name}` });

function chunked(text: string): string {
  return `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n0\r\n\r\n`;
}

// ---------------------------------------------------------------- OIP v2 infer
const inferPath = `/v2/models/${encodeURIComponent(config.model.name)}/infer`;
type Tensor = { name: unknown; datatype: unknown; shape: unknown; data: unknown };
const datatypeOf = (f: FeatureSpec) => ({ number: 'FP32', integer: 'INT64', boolean: 'BOOL', string: 'BYTES', category: 'BYTES' })[f.type];
const tensors = (change: (t: Tensor[]) => void = () => {}): Tensor[] => {
  const ts: Tensor[] = modelSpec.features
    .filter((f) => Object.hasOwn(exampleRow, f.name))
    .map((f) => ({ name: f.name, datatype: datatypeOf(f), shape: [1], data: [(exampleRow as Record<string, unknown>)[f.name]] }));
  change(ts);
  return ts;
};
/** An infer request, with the marker replaced by raw JSON. */
const infer = (body: unknown, raw?: string): Buffer => {
  const text = JSON.stringify(body);
  return jsonRequest(inferPath, raw === undefined ? text : text.replace('"__raw__"', raw));
};
const first = modelSpec.features[0]!;
const oipCases: Case[] = [
  { name: 'body an array', send: infer([]), status: 400, named: '"inputs"' },
  { name: 'body a string', send: infer('x'), status: 400, named: '"inputs"' },
  { name: 'no inputs', send: infer({}), status: 400, named: '"inputs"' },
  { name: 'inputs an object', send: infer({ inputs: {} }), status: 400, named: '"inputs"' },
  { name: 'inputs empty', send: infer({ inputs: [] }), status: 400, named: '"inputs" is empty' },
  { name: 'an input that is a number', send: infer({ inputs: [1] }), status: 400, named: 'inputs[0]' },
  {
    name: 'an input without a name',
    send: infer({ inputs: [{ datatype: 'FP32', shape: [1], data: [1] }] }),
    status: 400,
    named: 'inputs[0]',
  },
  {
    name: 'an unknown input',
    send: infer({ inputs: tensors((t) => t.push({ name: UNKNOWN_FEATURE, datatype: 'FP32', shape: [1], data: [1] })) }),
    status: 400,
    named: JSON.stringify(UNKNOWN_FEATURE),
  },
  { name: 'an input twice', send: infer({ inputs: tensors((t) => t.push({ ...t[0]! })) }), status: 400, named: 'more than once' },
  { name: 'id a number', send: infer({ id: 5, inputs: tensors() }), status: 400, named: '"id"' },
  { name: 'outputs not an array', send: infer({ inputs: tensors(), outputs: 'label' }), status: 400, named: '"outputs"' },
  { name: 'an unknown output', send: infer({ inputs: tensors(), outputs: [{ name: 'nope' }] }), status: 400, named: '"nope"' },
  { name: 'shape []', send: infer({ inputs: tensors((t) => (t[0]!.shape = [])) }), status: 400, named: JSON.stringify(first.name) },
  { name: 'shape [-1]', send: infer({ inputs: tensors((t) => (t[0]!.shape = [-1])) }), status: 400, named: JSON.stringify(first.name) },
  { name: 'shape [1, 2]', send: infer({ inputs: tensors((t) => (t[0]!.shape = [1, 2])) }), status: 400, named: JSON.stringify(first.name) },
  { name: 'shape ["1"]', send: infer({ inputs: tensors((t) => (t[0]!.shape = ['1'])) }), status: 400, named: JSON.stringify(first.name) },
  {
    name: 'shape [1e400]',
    send: infer({ inputs: tensors((t) => (t[0]!.shape = ['__raw__'])) }, '1e400'),
    status: 400,
    named: JSON.stringify(first.name),
  },
  {
    name: 'shape [0]',
    send: infer({
      inputs: tensors((t) => {
        t[0]!.shape = [0];
        t[0]!.data = [];
      }),
    }),
    status: 400,
    named: 'batch is empty',
  },
  {
    name: 'shape over service.max_batch_size',
    send: infer({ inputs: tensors((t) => (t[0]!.shape = [config.service.max_batch_size + 1])) }),
    status: 400,
    named: 'service.max_batch_size',
  },
  { name: 'data not an array', send: infer({ inputs: tensors((t) => (t[0]!.data = 1)) }), status: 400, named: '"data"' },
  {
    name: 'data one value too many',
    send: infer({ inputs: tensors((t) => (t[0]!.data = [(t[0]!.data as unknown[])[0], (t[0]!.data as unknown[])[0]])) }),
    status: 400,
    named: '2 values',
  },
  {
    name: `data nested ${DEEP} deep`,
    send: infer({ inputs: tensors((t) => (t[0]!.data = '__raw__')) }, deepArray(DEEP)),
    status: 400,
    named: 'service.max_depth',
  },
  {
    name: 'data nested 30 deep (under the depth limit): not nested to the shape',
    send: infer({ inputs: tensors((t) => (t[0]!.data = '__raw__')) }, `[${deepArray(30)}, ${deepArray(30)}]`),
    status: 400,
    named: 'nested exactly to the shape',
  },
  {
    name: 'data of 200 000 values for shape [1]',
    send: infer({ inputs: tensors((t) => (t[0]!.data = '__raw__')) }, `[${Array(200_000).fill('1').join(',')}]`),
    status: 400,
    named: '200000 values',
  },
  {
    name: 'a pollution payload as an input',
    send: jsonRequest(inferPath, `{"inputs": [{"__proto__": {"polluted": true}, "name": ${JSON.stringify(first.name)}}]}`),
    status: 400,
    named: '__proto__',
  },
  {
    name: 'an unknown model name',
    send: jsonRequest(`/v2/models/no-such-model/infer`, { inputs: tensors() }),
    status: 404,
    named: '"no-such-model"',
  },
  {
    name: 'a model name of 200 characters',
    send: jsonRequest(`/v2/models/${'m'.repeat(200)}/infer`, { inputs: tensors() }),
    status: 414,
    named: 'max param length',
  },
  {
    name: 'an unknown model version',
    send: jsonRequest(`/v2/models/${encodeURIComponent(config.model.name)}/versions/0000/infer`, { inputs: tensors() }),
    status: 404,
    named: '"0000"',
  },
  {
    name: 'content-encoding gzip',
    send: jsonRequest(inferPath, { inputs: tensors() }, { 'content-encoding': 'gzip' }),
    status: 415,
    named: '"gzip"',
  },
  {
    name: 'invalid UTF-8',
    send: jsonRequest(inferPath, Buffer.concat([Buffer.from('{"id": "'), Buffer.from([0xff]), Buffer.from('", "inputs": []}')])),
    status: 400,
    named: 'UTF-8',
  },
];
for (const f of modelSpec.features) {
  const at = (change: (t: Tensor) => void) =>
    tensors((ts) => {
      let t = ts.find((x) => x.name === f.name);
      if (!t) ts.push((t = { name: f.name, datatype: datatypeOf(f), shape: [1], data: [null] }));
      change(t);
    });
  const wrong = f.type === 'string' || f.type === 'category' ? 'FP32' : 'BYTES';
  oipCases.push(
    {
      name: `${JSON.stringify(f.name)}: datatype ${wrong}`,
      send: infer({ inputs: at((t) => (t.datatype = wrong)) }),
      status: 400,
      named: JSON.stringify(f.name),
    },
    {
      name: `${JSON.stringify(f.name)}: datatype "float"`,
      send: infer({ inputs: at((t) => (t.datatype = 'float')) }),
      status: 400,
      named: JSON.stringify(f.name),
    },
    {
      name: `${JSON.stringify(f.name)}: an element of the wrong type`,
      send: infer({ inputs: at((t) => (t.data = [wrongTypeValue(f)])) }),
      status: 400,
      named: JSON.stringify(f.name),
    },
    {
      name: `${JSON.stringify(f.name)}: an element 1e400`,
      send: infer({ inputs: at((t) => (t.data = ['__raw__'])) }, '1e400'),
      status: 400,
      named: JSON.stringify(f.name),
    },
    {
      name: `${JSON.stringify(f.name)}: an element nested ${DEEP} deep`,
      send: infer({ inputs: at((t) => (t.data = ['__raw__'])) }, deepArray(DEEP)),
      status: 400,
      named: 'service.max_depth',
    },
  );
}
if (idField)
  oipCases.push(
    {
      name: `the id input ${JSON.stringify(idField)}: INT64 beyond 2^53`,
      send: infer(
        { inputs: tensors((t) => t.push({ name: idField, datatype: 'INT64', shape: [1], data: ['__raw__'] })) },
        '12345678901234567890123',
      ),
      status: 400,
      named: 'JSON string',
    },
    {
      name: `the id input ${JSON.stringify(idField)}: INT64 1e400`,
      send: infer({ inputs: tensors((t) => t.push({ name: idField, datatype: 'INT64', shape: [1], data: ['__raw__'] })) }, '1e400'),
      status: 400,
      named: JSON.stringify(idField),
    },
  );
for (const c of oipCases) add({ ...c, name: `OIP infer: ${c.name}` });

// ---------------------------------------------------------------- /feedback
const truth = modelSpec.task === 'classification' ? 'label' : 'value';
const goodTruth = modelSpec.task === 'classification' ? (modelSpec.classes?.[0] ?? 'x') : 1.5;
const feedback = (body: unknown, raw?: string) => {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return jsonRequest('/feedback', raw === undefined ? text : text.replace('"__raw__"', raw));
};
const manyFields = (n: number) => {
  const b: Record<string, unknown> = { request_id: 'r-1', [truth]: goodTruth };
  for (let i = 0; i < n; i++) b[`field_${i}`] = i;
  return b;
};
const feedbackCases: Case[] = [
  { name: `no ${truth}`, send: feedback({ request_id: 'r-1' }), status: 400, named: truth },
  {
    name: `${truth} of the wrong type`,
    send: feedback({ request_id: 'r-1', [truth]: truth === 'label' ? 5 : 'five' }),
    status: 400,
    named: truth,
  },
  { name: `${truth} null`, send: feedback({ request_id: 'r-1', [truth]: null }), status: 400, named: truth },
  {
    name: `${truth} nested ${DEEP} deep`,
    send: feedback({ request_id: 'r-1', [truth]: '__raw__' }, deepArray(DEEP)),
    status: 400,
    named: 'service.max_depth',
  },
  {
    name: `${truth} an object nested 65 deep`,
    send: feedback({ request_id: 'r-1', [truth]: '__raw__' }, deepObject(65)),
    status: 400,
    named: `/${truth}/a/a`,
  },
  { name: `${truth} 1e400`, send: feedback({ request_id: 'r-1', [truth]: '__raw__' }, '1e400'), status: 400, named: truth },
  {
    name: 'the other truth field',
    send: feedback({ request_id: 'r-1', [truth === 'label' ? 'value' : 'label']: 1 }),
    status: 400,
    named: truth,
  },
  { name: 'neither request_id nor entity_id', send: feedback({ [truth]: goodTruth }), status: 400, named: 'request_id' },
  { name: 'request_id empty', send: feedback({ request_id: '', [truth]: goodTruth }), status: 400, named: 'request_id' },
  {
    name: 'request_id of 129 characters',
    send: feedback({ request_id: 'r'.repeat(129), [truth]: goodTruth }),
    status: 400,
    named: 'request_id',
  },
  { name: 'request_id a number', send: feedback({ request_id: 7, [truth]: goodTruth }), status: 400, named: 'request_id' },
  { name: 'row negative', send: feedback({ request_id: 'r-1', row: -1, [truth]: goodTruth }), status: 400, named: 'row' },
  { name: 'row 1e400', send: feedback({ request_id: 'r-1', row: '__raw__', [truth]: goodTruth }, '1e400'), status: 400, named: 'row' },
  { name: 'row a fraction', send: feedback({ request_id: 'r-1', row: 0.5, [truth]: goodTruth }), status: 400, named: 'row' },
  {
    name: 'row over the batch limit',
    send: feedback({ request_id: 'r-1', row: 100_000_000, [truth]: goodTruth }),
    status: 400,
    named: 'service.max_batch_size',
  },
  { name: 'time not a date', send: feedback({ request_id: 'r-1', time: 'yesterday', [truth]: goodTruth }), status: 400, named: 'time' },
  {
    name: 'time an impossible date',
    send: feedback({ request_id: 'r-1', time: '2024-13-45T99:99:99Z', [truth]: goodTruth }),
    status: 400,
    named: 'time',
  },
  { name: 'one unknown field', send: feedback({ request_id: 'r-1', [truth]: goodTruth, colour: 1 }), status: 400, named: 'colour' },
  {
    name: '500 unknown fields: 20 listed, the rest counted',
    send: feedback(manyFields(500)),
    status: 400,
    named: /480 more unknown fields \(500 in all\)/,
  },
  { name: '10 000 unknown fields: over service.max_keys', send: feedback(manyFields(10_000)), status: 400, named: 'service.max_keys' },
  {
    name: 'an unknown field of 100 000 characters',
    send: feedback({ request_id: 'r-1', [truth]: goodTruth, ['f'.repeat(100_000)]: 1 }),
    status: 400,
    named: 'ffffffff',
  },
  { name: 'body an array', send: feedback([{ request_id: 'r-1', [truth]: goodTruth }]), status: 400, named: 'one JSON object' },
  { name: 'body null', send: feedback('null'), status: 400, named: 'request body' },
  { name: 'body nested 10 000 deep', send: feedback(deepObject(DEEP)), status: 400, named: 'service.max_depth' },
  {
    name: '__proto__ pollution',
    send: feedback(`{"__proto__": {"polluted": true}, "request_id": "r-1", "${truth}": ${JSON.stringify(goodTruth)}}`),
    status: 400,
    named: '__proto__',
  },
  {
    name: 'invalid UTF-8 in request_id',
    send: jsonRequest(
      '/feedback',
      Buffer.concat([Buffer.from('{"request_id": "'), Buffer.from([0xfe]), Buffer.from(`", "${truth}": ${JSON.stringify(goodTruth)}}`)]),
    ),
    status: 400,
    named: 'UTF-8',
  },
  {
    name: 'content-encoding gzip',
    send: jsonRequest('/feedback', { request_id: 'r-1', [truth]: goodTruth }, { 'content-encoding': 'gzip' }),
    status: 415,
    named: '"gzip"',
  },
  {
    name: 'an unknown request_id: 404, named',
    send: feedback({ request_id: 'no-such-request', [truth]: goodTruth }),
    status: 404,
    named: 'no-such-request',
  },
];
if (modelSpec.task === 'classification' && modelSpec.classes)
  feedbackCases.push({
    name: 'a label that is no class',
    send: feedback({ request_id: 'r-1', label: `${modelSpec.classes[0]}_no` }),
    status: 400,
    named: 'label',
  });
if (idField)
  feedbackCases.push(
    { name: 'entity_id an object', send: feedback({ entity_id: { a: 1 }, [truth]: goodTruth }), status: 400, named: 'entity_id' },
    { name: 'entity_id 1e400', send: feedback({ entity_id: '__raw__', [truth]: goodTruth }, '1e400'), status: 400, named: 'entity_id' },
    {
      name: 'entity_id beyond 2^53',
      send: feedback({ entity_id: '__raw__', [truth]: goodTruth }, '12345678901234567890123'),
      status: 400,
      named: 'JSON string',
    },
    {
      name: 'entity_id of 257 characters',
      send: feedback({ entity_id: 'e'.repeat(257), [truth]: goodTruth }),
      status: 400,
      named: 'entity_id',
    },
  );
for (const c of feedbackCases) add({ ...c, name: `/feedback: ${c.name}` });

// ---------------------------------------------------------------- /docs
const docsCases: Case[] = [
  { name: 'POST /docs/json', send: jsonRequest('/docs/json', {}), status: 404, named: 'POST /docs/json' },
  { name: 'DELETE /docs', send: requestBytes('DELETE', '/docs'), status: 404, named: 'DELETE /docs' },
  {
    name: 'a path climbing out of /docs/static',
    send: requestBytes('GET', '/docs/static/../../../../etc/passwd'),
    status: 403,
    named: 'Forbidden',
  },
  {
    name: 'an encoded path climbing out of /docs/static',
    send: requestBytes('GET', '/docs/static/%2e%2e/%2e%2e/%2e%2e/package.json'),
    status: 403,
    named: 'Forbidden',
  },
  {
    name: 'an unknown file under /docs/static',
    send: requestBytes('GET', '/docs/static/no-such-file.js'),
    status: 404,
    named: /no route|not found/i,
  },
  { name: 'GET /docs/json without Host', send: requestBytes('GET', '/docs/json', { host: null }), status: 400, named: 'Host' },
  {
    name: 'GET /docs/json with a gzip-encoded (empty) body',
    send: requestBytes('GET', '/docs/json', { 'content-encoding': 'gzip' }),
    status: 415,
    named: '"gzip"',
  },
  {
    name: 'GET /docs with headers over 16 KB',
    send: requestBytes('GET', '/docs', { 'x-big': 'h'.repeat(20_000) }),
    status: 431,
    named: 'headers are too large',
  },
  {
    name: 'GET /docs with headers that never end',
    send: async (socket) => void socket.write('GET /docs HTTP/1.1\r\nHost: x\r\n'),
    status: 408,
    named: 'service.request_timeout_ms',
    maxMs: REQUEST_TIMEOUT_MS + FAST_MS,
  },
  {
    name: 'a NUL byte in the path',
    send: Buffer.from('GET /docs/\x00 HTTP/1.1\r\nHost: x\r\n\r\n'),
    status: 400,
    named: 'malformed HTTP request',
  },
];
for (const c of docsCases) add({ ...c, name: `/docs: ${c.name}` });

describe('hostile input: every answer is a 4xx in the { error } shape, fast, and leaves nothing in flight', () => {
  it('the corpus has at least 150 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(150);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const res: RawResponse | null = await rawRequest(port, c.send);
    const body = expectError(res, c.status, c.named);
    expect(res!.ms, 'answer time (ms)').toBeLessThan(c.maxMs ?? FAST_MS);
    expect(res!.body.length, 'answer size: details are capped').toBeLessThan(64 * 1024);
    expect(body.details?.length ?? 0).toBeLessThanOrEqual(50);
    expect(({} as Record<string, unknown>).polluted, 'Object.prototype untouched').toBeUndefined();
    await expectNothingInFlight();
  });
});
