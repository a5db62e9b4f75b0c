// GET /monitoring/drift: the current per-feature drift against the training reference (docs/DRIFT.md).
import type { FastifyPluginAsync } from 'fastify';
import type { DriftMonitor } from './drift.js';

export interface DriftRouteOptions {
  monitor: DriftMonitor;
}

const nullableNumber = { type: ['number', 'null'] } as const;
const modelRef = {
  type: ['object', 'null'],
  properties: { name: { type: 'string' }, uuid: { type: 'string' }, created_at: { type: 'string' } },
} as const;

export const driftResponse = {
  type: 'object',
  description: 'Per-feature drift of the recent request rows against the training data',
  properties: {
    enabled: { type: 'boolean', description: 'config.yaml monitoring.drift.enabled' },
    status: {
      type: 'string',
      enum: ['ok', 'warming_up', 'no_reference', 'not_loaded', 'disabled'],
      description:
        'ok: values computed; warming_up: fewer rows than min_rows; no_reference: the model bundle has no reference.json (retrain); not_loaded: no model yet; disabled',
    },
    model: modelRef,
    window: {
      type: 'object',
      properties: {
        rows: { type: 'integer' },
        size: { type: 'integer' },
        seconds: { type: ['integer', 'null'] },
        min_rows: { type: 'integer' },
      },
    },
    thresholds: { type: 'object', properties: { psi: { type: 'number' }, ks: { type: 'number' } } },
    drifted: { type: 'array', items: { type: 'string' }, description: 'Names of the features over a threshold' },
    features: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          type: { type: 'string', enum: ['number', 'integer', 'boolean', 'category', 'string'] },
          psi: {
            ...nullableNumber,
            description: 'Population stability index over the reference bins (missing values are a bin); null until min_rows rows',
          },
          ks: {
            ...nullableNumber,
            description: 'Two-sample Kolmogorov-Smirnov statistic against the training sample (number / integer features)',
          },
          drifted: { type: 'boolean' },
          reference: {
            type: 'object',
            additionalProperties: true,
            description:
              'Training statistics: missing_rate, and edges + fractions per bin (numeric) or values + fractions (boolean, category)',
          },
          window: {
            type: 'object',
            properties: {
              rows: { type: 'integer' },
              missing: { type: 'integer' },
              counts: { type: 'array', items: { type: 'integer' }, description: 'Rows per reference bin / value' },
              other: { type: 'integer', description: 'Rows with a value outside the reference values (boolean, category)' },
            },
          },
        },
      },
    },
  },
} as const;

const driftRoute: FastifyPluginAsync<DriftRouteOptions> = async (app, { monitor }) => {
  app.get('/monitoring/drift', {
    schema: {
      tags: ['monitoring'],
      summary: 'Feature drift: PSI and KS of the recent inputs against the training data',
      description:
        `The last ${monitor.config.window_size} predicted rows` +
        (monitor.config.window_seconds ? ` of the last ${monitor.config.window_seconds} s` : '') +
        ` are compared, feature by feature, with reference statistics of the training data. A feature drifts when its PSI reaches ${monitor.config.psi_threshold} ` +
        `or its KS statistic reaches ${monitor.config.ks_threshold}; the crossing is logged (tag <tag_prefix>.drift). Values appear once the window holds ${Math.min(monitor.config.min_rows, monitor.config.window_size)} rows.`,
      response: { 200: driftResponse },
    },
    handler: async () => monitor.check(),
  });
};

export default driftRoute;
