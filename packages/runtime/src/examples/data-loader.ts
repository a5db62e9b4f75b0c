// YOUR FILE: generator-mlservice wrote it once and never overwrites it. Edit it freely.
//
// Contract (what src/train.ts relies on): a DataLoader's load() resolves to the training rows and
// their targets, in the same order. Each row has the features of features.yaml (checked with the zod
// `Row` schema, so the model is trained on what /predict accepts); targets[i] is row i's class label
// (classification) or number (regression), from the column named `target` in features.yaml.
//
// The example, CsvDataLoader, reads the CSV at config.yaml `training.data` (header row = column names).
// To load from somewhere else (a database, Parquet, an API), write another DataLoader and return it
// from createDataLoader below.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { Row, modelSpec } from '../schemas/features.js';
import type { FeatureSpec, ModelSpec } from '../schemas/model-spec.js';

export interface TrainingData {
  rows: Row[];
  targets: (string | number)[];
}

export interface DataLoader {
  load(): Promise<TrainingData>;
}

/** The DataLoader `npm run train` uses. `path` is config.yaml `training.data`, resolved. */
export function createDataLoader(path: string, spec: ModelSpec = modelSpec): DataLoader {
  return new CsvDataLoader(path, spec);
}

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

/** Parses one CSV cell as the feature's type; returns an error text when it cannot. */
function convertCell(f: FeatureSpec, cell: string): { value: unknown } | { error: string } {
  switch (f.type) {
    case 'number':
    case 'integer': {
      const x = Number(cell.trim());
      if (!Number.isFinite(x)) return { error: `expected a number; got ${JSON.stringify(cell)}` };
      if (f.type === 'integer' && !Number.isInteger(x)) return { error: `expected an integer; got ${JSON.stringify(cell)}` };
      return { value: x };
    }
    case 'boolean': {
      const b = cell.trim().toLowerCase();
      if (TRUE.has(b)) return { value: true };
      if (FALSE.has(b)) return { value: false };
      return { error: `expected true/false/1/0; got ${JSON.stringify(cell)}` };
    }
    case 'category':
    case 'string':
      return { value: cell };
  }
}

/** Sets an own, enumerable property: safe for any feature name, `__proto__` included. */
function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

export class CsvDataLoader implements DataLoader {
  constructor(
    private readonly path: string,
    private readonly spec: ModelSpec = modelSpec,
  ) {}

  async load(): Promise<TrainingData> {
    const { path, spec } = this;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new Error(`cannot read the training data ${path} (${(e as Error).message}). Fix: set training.data in config.yaml to your CSV file.`);
    }
    // Records as arrays (not `columns: true`): the header is read here, so a column named `__proto__`
    // cannot land on an object prototype.
    let records: { record: string[]; info: { lines: number } }[];
    try {
      records = parse(text, { bom: true, skip_empty_lines: true, info: true });
    } catch (e) {
      throw new Error(`${path}: ${(e as Error).message}`);
    }
    const header = records[0]?.record;
    if (!header) throw new Error(`${path} is empty. Fix: add a header row and training rows.`);
    const column = new Map(header.map((name, i) => [name.trim(), i]));
    const targetAt = column.get(spec.target);
    if (targetAt === undefined)
      throw new Error(`${path} has no column ${JSON.stringify(spec.target)} (the target in features.yaml); its columns are ${header.map((h) => JSON.stringify(h)).join(', ')}.`);
    for (const f of spec.features)
      if (!column.has(f.name) && f.required && f.default === undefined)
        throw new Error(`${path} has no column ${JSON.stringify(f.name)}, a required feature. Fix: add the column or make the feature optional in features.yaml.`);

    const rows: Row[] = [];
    const targets: (string | number)[] = [];
    for (const { record, info } of records.slice(1)) {
      const where = (col: string) => `${path} line ${info.lines}, column ${JSON.stringify(col)}`;
      const row: Record<string, unknown> = {};
      for (const f of spec.features) {
        const at = column.get(f.name);
        const cell = at === undefined ? '' : (record[at] ?? '');
        if (cell.trim() === '') {
          if (f.default !== undefined) setOwn(row, f.name, f.default);
          // Missing: the Row check below reports it when the feature is required, except for a
          // feature named `__proto__`, which zod cannot see as an own key: reported here.
          else if (f.required && f.name === '__proto__') throw new Error(`${where(f.name)}: missing value of a required feature`);
          continue;
        }
        const converted = convertCell(f, cell);
        if ('error' in converted) throw new Error(`${where(f.name)}: ${converted.error}`);
        setOwn(row, f.name, converted.value);
      }
      const checked = Row.safeParse(row);
      if (!checked.success) {
        const issue = checked.error.issues[0]!;
        const col = String(issue.path[0] ?? '');
        const message = own(row, col) === undefined ? 'missing value of a required feature' : issue.message;
        throw new Error(`${where(col)}: ${message}`);
      }
      targets.push(parseTarget(record[targetAt] ?? '', spec, () => where(spec.target)));
      rows.push(row as Row);
    }
    if (rows.length === 0) throw new Error(`${path} has a header but no rows. Fix: add training rows.`);
    return { rows, targets };
  }
}

const own = (obj: Record<string, unknown>, key: string): unknown => (Object.hasOwn(obj, key) ? obj[key] : undefined);

function parseTarget(cell: string, spec: ModelSpec, where: () => string): string | number {
  const text = cell.trim();
  if (text === '') throw new Error(`${where()}: missing target value`);
  if (spec.task === 'classification') return text;
  const x = Number(text);
  if (!Number.isFinite(x)) throw new Error(`${where()}: expected a number as regression target; got ${JSON.stringify(cell)}`);
  return x;
}
