// The example DataLoader: reads the CSV at config.yaml `training.data` (header row = column names).
// Each row is checked with the row check of /predict (validation.ts), so the model is trained on what
// /predict accepts; targets[i] is row i's class label (classification) or number (regression), from
// the column named `target` in features.yaml.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { DataLoader, TrainingData } from '../contract.js';
import type { FeatureModule, FeatureSpec, ModelSpec, Row } from '../schemas/model-spec.js';
import { createBodyValidator } from '../validation.js';

/** The example's DataLoader factory (TrainingDefinition.createDataLoader). */
export function createCsvDataLoader(path: string, features: FeatureModule): DataLoader {
  return new CsvDataLoader(path, features);
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
    private readonly features: FeatureModule,
  ) {}

  async load(): Promise<TrainingData> {
    const { path } = this;
    const spec = this.features.modelSpec;
    const checkRow = createBodyValidator(spec, this.features.rowJsonSchema, 1);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new Error(
        `cannot read the training data ${path} (${(e as Error).message}). Fix: set training.data in config.yaml to your CSV file.`,
      );
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
      throw new Error(
        `${path} has no column ${JSON.stringify(spec.target)} (the target in features.yaml); its columns are ${header.map((h) => JSON.stringify(h)).join(', ')}.`,
      );
    for (const f of spec.features)
      if (!column.has(f.name) && f.required && f.default === undefined)
        throw new Error(
          `${path} has no column ${JSON.stringify(f.name)}, a required feature. Fix: add the column or make the feature optional in features.yaml.`,
        );

    const rows: Row[] = [];
    const targets: (string | number)[] = [];
    for (const { record, info } of records.slice(1)) {
      const where = (col: string) => `${path} line ${info.lines}, column ${JSON.stringify(col)}`;
      const row: Record<string, unknown> = {};
      for (const f of spec.features) {
        const at = column.get(f.name);
        const cell = at === undefined ? '' : (record[at] ?? '');
        if (cell.trim() === '') {
          // Missing: the row check below fills the default or reports a required feature.
          continue;
        }
        const converted = convertCell(f, cell);
        if ('error' in converted) throw new Error(`${where(f.name)}: ${converted.error}`);
        setOwn(row, f.name, converted.value);
      }
      const checked = checkRow(row);
      if ('error' in checked) {
        const detail = checked.error.details?.[0];
        throw new Error(`${where(detail?.field ?? '')}: ${detail?.message ?? checked.error.message}`);
      }
      targets.push(parseTarget(record[targetAt] ?? '', spec, () => where(spec.target)));
      rows.push(row as Row);
    }
    if (rows.length === 0) throw new Error(`${path} has a header but no rows. Fix: add training rows.`);
    return { rows, targets };
  }
}

function parseTarget(cell: string, spec: ModelSpec, where: () => string): string | number {
  const text = cell.trim();
  if (text === '') throw new Error(`${where()}: missing target value`);
  if (spec.task === 'classification') return text;
  const x = Number(text);
  if (!Number.isFinite(x)) throw new Error(`${where()}: expected a number as regression target; got ${JSON.stringify(cell)}`);
  return x;
}
