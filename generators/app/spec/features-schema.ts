import { z } from 'zod';

export const FEATURE_TYPES = ['number', 'integer', 'boolean', 'string', 'category'] as const;
export const TASKS = ['classification', 'regression'] as const;

const scalar = z.union([z.number(), z.string(), z.boolean()]);

/** One input feature, as written in the native features.yaml. */
export const FeatureInput = z
  .strictObject({
    name: z.string().min(1).max(200),
    type: z.enum(FEATURE_TYPES),
    description: z.string().optional(),
    required: z.boolean().optional(),
    default: scalar.optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    values: z.array(z.string().min(1)).min(1).optional(),
    max_length: z.number().int().positive().optional(),
    example: scalar.optional(),
    /** Left out of prediction logs (sensitive data). */
    redact: z.boolean().optional(),
  })
  .superRefine((f, ctx) => {
    const numeric = f.type === 'number' || f.type === 'integer';
    for (const key of ['min', 'max'] as const) {
      if (f[key] !== undefined && !numeric)
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `only number and integer features take "${key}"; this feature is ${f.type}. Fix: remove it.`,
        });
    }
    if (f.min !== undefined && f.max !== undefined && f.min > f.max)
      ctx.addIssue({ code: 'custom', path: ['min'], message: `min (${f.min}) is greater than max (${f.max}). Fix: swap them.` });
    if (f.type === 'category' && !f.values)
      ctx.addIssue({
        code: 'custom',
        path: ['values'],
        message: 'a category feature needs its allowed values. Fix: add `values: [a, b, ...]`.',
      });
    if (f.type !== 'category' && f.values)
      ctx.addIssue({
        code: 'custom',
        path: ['values'],
        message: `only category features take "values"; this feature is ${f.type}. Fix: use type: category or remove values.`,
      });
    if (f.values && new Set(f.values).size !== f.values.length)
      ctx.addIssue({ code: 'custom', path: ['values'], message: `values repeat: ${JSON.stringify(f.values)}. Fix: list each value once.` });
    if (f.max_length !== undefined && f.type !== 'string')
      ctx.addIssue({ code: 'custom', path: ['max_length'], message: `only string features take "max_length"; this feature is ${f.type}.` });
    if (f.required === true && f.default !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['default'],
        message: 'a required feature cannot have a default. Fix: remove `required: true` or the default.',
      });
    for (const key of ['default', 'example'] as const) {
      const v = f[key];
      if (v === undefined) continue;
      const problem = valueProblem(f, v);
      if (problem) ctx.addIssue({ code: 'custom', path: [key], message: problem });
    }
  });
export type FeatureInput = z.infer<typeof FeatureInput>;

/** Why `v` is not a valid value of feature `f`, or undefined when it is. */
export function valueProblem(f: Pick<FeatureInput, 'type' | 'min' | 'max' | 'values' | 'max_length'>, v: unknown): string | undefined {
  const got = `got ${JSON.stringify(v)}`;
  switch (f.type) {
    case 'number':
    case 'integer':
      if (typeof v !== 'number' || (f.type === 'integer' && !Number.isInteger(v)))
        return `expected ${f.type === 'integer' ? 'an integer' : 'a number'}, ${got}.`;
      if (f.min !== undefined && v < f.min) return `${got}, below min ${f.min}.`;
      if (f.max !== undefined && v > f.max) return `${got}, above max ${f.max}.`;
      return undefined;
    case 'boolean':
      return typeof v === 'boolean' ? undefined : `expected true or false, ${got}.`;
    case 'string':
      if (typeof v !== 'string') return `expected a string, ${got}.`;
      return f.max_length !== undefined && v.length > f.max_length ? `${got}, longer than max_length ${f.max_length}.` : undefined;
    case 'category':
      return typeof v === 'string' && f.values?.includes(v)
        ? undefined
        : `${got}; allowed: ${(f.values ?? []).map((x) => JSON.stringify(x)).join(', ')}.`;
  }
}

/** The native features.yaml. */
export const FeaturesFile = z
  .strictObject({
    task: z.enum(TASKS).default('classification'),
    target: z.string().min(1).default('target'),
    classes: z.array(z.string().min(1)).min(2).optional(),
    id_field: z.string().min(1).optional(),
    features: z.array(FeatureInput).min(1),
  })
  .superRefine((spec, ctx) => {
    const seen = new Map<string, number>();
    spec.features.forEach((f, i) => {
      const first = seen.get(f.name);
      if (first !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['features', i, 'name'],
          message: `"${f.name}" is already the name of features[${first}]. Fix: give each feature its own name.`,
        });
      else seen.set(f.name, i);
    });
    if (spec.task === 'regression' && spec.classes)
      ctx.addIssue({
        code: 'custom',
        path: ['classes'],
        message: 'a regression task has no classes. Fix: remove classes or set task: classification.',
      });
    if (spec.classes && new Set(spec.classes).size !== spec.classes.length)
      ctx.addIssue({
        code: 'custom',
        path: ['classes'],
        message: `classes repeat: ${JSON.stringify(spec.classes)}. Fix: list each class once.`,
      });
    if (spec.id_field && seen.has(spec.id_field))
      ctx.addIssue({
        code: 'custom',
        path: ['id_field'],
        message: `"${spec.id_field}" is also a feature name; the entity ID is not a model input. Fix: pick another name.`,
      });
    if (seen.has(spec.target))
      ctx.addIssue({
        code: 'custom',
        path: ['target'],
        message: `"${spec.target}" is also a feature name; the target cannot be an input. Fix: rename one of them.`,
      });
  });
export type FeaturesFile = z.infer<typeof FeaturesFile>;

/** The Python template's features.yaml: only a list of numeric input names. */
export const LegacyFeaturesFile = z.strictObject({
  input_features: z.array(z.string().min(1)).min(1),
});
