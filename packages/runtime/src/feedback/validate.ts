// The POST /feedback body: its JSON Schema (also the OpenAPI body) and the check that names each bad field.
import type { ErrorObject } from 'ajv';
import { HttpError, MAX_DETAILS, MAX_ROW_DETAILS, type ErrorDetail } from '../errors.js';
import { clipName, quoteList, show } from '../preview.js';
import type { ModelSpec } from '../schemas/model-spec.js';
import { createAjv, unsafeIdMessage } from '../validation.js';
import type { FeedbackInput } from './record.js';

export type JsonSchema = Record<string, unknown>;

/** Same limits as the x-request-id header and the entity ID of a /predict row. */
const REQUEST_ID_MAX = 128;
const ENTITY_ID_MAX = 256;
/** An ISO 8601 date-time, e.g. 2024-05-01T12:00:00Z or 2024-05-01T14:00:00.250+02:00 (checked again with Date.parse). */
const ISO_DATE_TIME = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:?\\d{2})$';

/** The field that carries the truth: `label` (classification) or `value` (regression). */
export const truthField = (spec: ModelSpec): 'label' | 'value' => (spec.task === 'classification' ? 'label' : 'value');

/** JSON Schema of the body; `classes` (from features.yaml or the loaded model) become the label's enum. */
export function feedbackBodySchema(spec: ModelSpec, maxBatchSize: number, classes: string[] | null = spec.classes): JsonSchema {
  const properties: Record<string, JsonSchema> = {
    request_id: {
      type: 'string',
      minLength: 1,
      maxLength: REQUEST_ID_MAX,
      description: 'request_id of the /predict answer (its x-request-id) that the truth is for',
      examples: ['3f1c9c2e-8a0b-4a43-9a55-1c1b7c1e0f00'],
    },
    row: {
      type: 'integer',
      minimum: 0,
      maximum: maxBatchSize - 1,
      default: 0,
      description: 'Index of the row in a batch /predict request (with request_id); default 0',
    },
  };
  if (spec.idField)
    properties.entity_id = {
      type: ['string', 'integer'],
      minLength: 1,
      maxLength: ENTITY_ID_MAX,
      description: `Entity ID (the ${JSON.stringify(spec.idField)} of the row): the truth is joined with the latest prediction of this entity (used when request_id is not sent or not found)`,
      examples: ['entity-42'],
    };
  if (spec.task === 'classification')
    properties.label = {
      type: 'string',
      ...(classes ? { enum: classes } : { minLength: 1 }),
      description: 'The true class',
      ...(classes?.[0] !== undefined ? { examples: [classes[0]] } : {}),
    };
  else properties.value = { type: 'number', description: `The true value of ${JSON.stringify(spec.target)}`, examples: [1.5] };
  properties.time = {
    type: 'string',
    pattern: ISO_DATE_TIME,
    description: 'When the truth was observed (ISO 8601 date-time); logged as observed_at',
    examples: ['2024-05-01T12:00:00Z'],
  };
  return {
    type: 'object',
    title: 'Feedback',
    description: `The true ${truthField(spec)} of an earlier prediction, found by request_id (+ row)${spec.idField ? ' or entity_id' : ''}`,
    properties,
    required: [truthField(spec)],
    additionalProperties: false,
  };
}

export type FeedbackCheck = { input: FeedbackInput } | { error: HttpError };

/**
 * The body check, compiled once. `classes()` gives the classes when features.yaml leaves them to the
 * training data (then the loaded model's classes are checked after the schema).
 */
export function createFeedbackValidator(
  spec: ModelSpec,
  maxBatchSize: number,
  classes: () => string[] | null = () => spec.classes,
): (body: unknown) => FeedbackCheck {
  const schema = feedbackBodySchema(spec, maxBatchSize);
  const allowed = Object.keys(schema.properties as object);
  const ajv = createAjv();
  const validate = ajv.compile(schema);
  const unknownHint = `allowed: ${quoteList(allowed)}`;
  const truth = truthField(spec);
  const idHint = spec.idField
    ? 'request_id (the request_id of the /predict answer) or entity_id'
    : 'request_id (the request_id of the /predict answer)';

  const describe = (e: ErrorObject): ErrorDetail => {
    let field = e.instancePath ? e.instancePath.slice(1).split('/')[0]! : undefined;
    let path = e.instancePath;
    // e.data is the whole body for `required` and unknown keys: quoted only where it is the value at fault.
    const got = () => `got ${show(e.data)}`;
    let message: string;
    switch (e.keyword) {
      case 'additionalProperties': {
        field = clipName(String(e.params.additionalProperty));
        path = `/${field.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        if (field === 'label' || field === 'value')
          message = `this model is a ${spec.task} model: send the truth as ${JSON.stringify(truth)}, not ${JSON.stringify(field)}`;
        else if (field === 'entity_id') message = 'this service has no entity ID field (features.yaml id_field): send request_id';
        else message = `unknown field ${show(field)}; ${unknownHint}`;
        break;
      }
      case 'required':
        field = String(e.params.missingProperty);
        path = `/${field}`;
        message =
          truth === 'label'
            ? `is required: the true class${spec.classes ? `, one of ${quoteList(spec.classes)}` : ''}`
            : 'is required: the true value (a number)';
        break;
      case 'type':
        message = field === undefined ? `expected a JSON object; ${got()}` : `expected ${[e.params.type].flat().join(' or ')}; ${got()}`;
        break;
      case 'enum':
        message = `must be one of ${quoteList((e.params.allowedValues as unknown[]).map(String))}; ${got()}`;
        break;
      case 'minimum':
      case 'maximum':
        message =
          field === 'row'
            ? `must be an index between 0 and ${maxBatchSize - 1} (service.max_batch_size ${maxBatchSize}); ${got()}`
            : `must be ${e.keyword === 'minimum' ? '>=' : '<='} ${e.params.limit}; ${got()}`;
        break;
      case 'minLength':
        message = `must not be empty; ${got()}`;
        break;
      case 'maxLength':
        message = `must be at most ${e.params.limit} characters long; got ${typeof e.data === 'string' ? `${e.data.length} characters` : show(e.data)}`;
        break;
      case 'pattern':
        message = `must be an ISO 8601 date-time such as 2024-05-01T12:00:00Z; ${got()}`;
        break;
      default:
        message = `${e.message ?? 'is invalid'}; ${got()}`;
    }
    return field === undefined ? { path, message } : { path, field, message };
  };

  const refuse = (details: ErrorDetail[]): { error: HttpError } => {
    const first = details[0]!;
    const count = details.length === 1 ? 'one problem' : `${details.length} problems`;
    const shown =
      details.length > MAX_DETAILS ? ` (details list the first ${MAX_DETAILS}; ${details.length - MAX_DETAILS} more not listed)` : '';
    return {
      error: new HttpError(
        400,
        `invalid feedback body: ${count}${shown}; first at ${first.path || '/'}: ${first.message}`,
        details.slice(0, MAX_DETAILS),
      ),
    };
  };

  /** The schema's problems; unknown fields beyond MAX_ROW_DETAILS are counted in one detail. */
  const schemaProblems = (): ErrorDetail[] => {
    const details: ErrorDetail[] = [];
    let unknown = 0;
    for (const e of validate.errors ?? [])
      if (e.keyword !== 'additionalProperties' || ++unknown <= MAX_ROW_DETAILS) details.push(describe(e));
    if (unknown > MAX_ROW_DETAILS)
      details.push({
        path: '',
        message: `${unknown - MAX_ROW_DETAILS} more unknown fields (${unknown} in all), not listed; ${unknownHint}`,
      });
    return details;
  };

  return (body) => {
    if (body === null || body === undefined)
      return { error: new HttpError(400, `request body is missing; send a JSON object with ${idHint} and ${JSON.stringify(truth)}`) };
    if (typeof body !== 'object' || Array.isArray(body))
      return {
        error: new HttpError(400, `feedback body must be one JSON object with ${idHint} and ${JSON.stringify(truth)}; got ${show(body)}`),
      };
    const details: ErrorDetail[] = [];
    if (!validate(body)) details.push(...schemaProblems());
    const b = body as FeedbackInput;
    if (typeof b.entity_id === 'number' && Number.isFinite(b.entity_id) && !Number.isSafeInteger(b.entity_id))
      details.push({ path: '/entity_id', field: 'entity_id', message: unsafeIdMessage(b.entity_id) });
    if (!Object.hasOwn(b, 'request_id') && !Object.hasOwn(b, 'entity_id'))
      details.unshift({ path: '', message: `send ${idHint}: which prediction the truth is for` });
    if (details.length === 0 && typeof b.time === 'string' && Number.isNaN(Date.parse(b.time)))
      details.push({ path: '/time', field: 'time', message: `is not a valid date-time; got ${show(b.time)}` });
    if (details.length === 0 && Object.hasOwn(b, 'row') && !Object.hasOwn(b, 'request_id'))
      details.push({
        path: '/row',
        field: 'row',
        message:
          'row is the index in the batch of a request_id: send request_id with it (entity_id finds the latest prediction of the entity)',
      });
    const known = classes();
    if (details.length === 0 && truth === 'label' && !spec.classes && known && !known.includes(b.label!))
      details.push({
        path: '/label',
        field: 'label',
        message: `must be one of ${quoteList(known)} (the model's classes); got ${show(b.label)}`,
      });
    if (details.length > 0) {
      const order = ['', ...allowed];
      const rank = (field: string | undefined) => {
        const i = order.indexOf(field ?? '');
        return i < 0 ? order.length : i;
      };
      details.sort((x, y) => rank(x.field) - rank(y.field));
      return refuse(details);
    }
    return { input: b };
  };
}
