import Handlebars from 'handlebars';
import { NODE_VERSION } from '../dependencies.js';
import type { ServiceSpec } from '../spec/types.js';
import { exampleRow } from './json-schema.js';

/** Everything a `.hbs` template may print. Templates print; they do not decide. */
export function templateContext(spec: ServiceSpec) {
  const example = exampleRow(spec);
  return {
    spec,
    name: spec.config.service.name,
    config: spec.config,
    nodeVersion: NODE_VERSION,
    exampleRow: example,
    /** One-line JSON of a valid /predict body, for curl examples and smoke tests. */
    exampleBody: JSON.stringify(example),
    isClassification: spec.task === 'classification',
    fluentdEnabled: spec.config.logging.fluentd.enabled,
  };
}
export type TemplateContext = ReturnType<typeof templateContext>;

/** A Handlebars instance that never HTML-escapes and prints user values only through quoting helpers. */
export function createHandlebars(): typeof Handlebars {
  const hb = Handlebars.create();
  /** Any value as JSON: a safe JS/TS literal, and also a valid YAML scalar or flow collection. */
  hb.registerHelper('json', (value: unknown) => JSON.stringify(value ?? null));
  /** A single-quoted Groovy string literal (no interpolation). */
  hb.registerHelper('groovy', (value: unknown) => `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`);
  /** A shell word in single quotes. */
  hb.registerHelper('shell', (value: unknown) => `'${String(value).replace(/'/g, `'\\''`)}'`);
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  return hb;
}
