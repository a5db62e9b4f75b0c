// The seam between the HTTP side and the prediction log (src/logging/): buildApp's listeners.
import type { FastifyRequest } from 'fastify';
import type { ErrorDetail } from './errors.js';
import type { ModelMetadata, Prediction } from './model/runtime.js';
import type { Row } from './schemas/model-spec.js';

/** A row's answer as sent back and logged: with the caller's entity ID when the row has one. */
export type AnsweredPrediction = Prediction & { entity_id?: string | number };

/**
 * Adds each row's entity ID (features.yaml id_field) to its answer, in place: the runtime's answers
 * are fresh objects, so no copy per row is needed. Shared by /predict and the OIP infer route.
 */
export function attachEntityIds(rows: readonly Row[], predictions: Prediction[], idField: string | null): AnsweredPrediction[] {
  const answered: AnsweredPrediction[] = predictions;
  if (idField)
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as unknown as Record<string, unknown>;
      if (Object.hasOwn(row, idField)) answered[i]!.entity_id = row[idField] as string | number;
    }
  return answered;
}

/** What POST /predict hands on after each answered request. */
export interface PredictionEvent {
  requestId: string;
  /** The validated rows (defaults filled in), in request order. */
  rows: Row[];
  /** One per row, in the same order; entity_id as sent back to the client. */
  predictions: AnsweredPrediction[];
  /** From the request's arrival to the model's answer. */
  latencyMs: number;
  model: ModelMetadata;
}

/** What the error handler hands on for each refused or failed request (status >= 400, 404 included). */
export interface RequestErrorEvent {
  requestId: string;
  method: string;
  url: string;
  statusCode: number;
  latencyMs: number;
  /** The body the client received. */
  body: { error: string; details?: ErrorDetail[] };
  /** The loaded model, or null before it is loaded. */
  model: ModelMetadata | null;
}

/**
 * Listeners are called synchronously on the request path, before the response is sent: they must
 * only hand the event on (e.g. to a buffered transport), never block. A throw is logged and does not
 * change the response.
 */
export type PredictionListener = (event: PredictionEvent) => void;
export type RequestErrorListener = (event: RequestErrorEvent) => void;

/** Hands an answered request to the listener; every predicting route calls it, so a throw is logged one way. */
export function notifyPrediction(request: FastifyRequest, listener: PredictionListener | undefined, event: () => PredictionEvent): void {
  if (!listener) return;
  try {
    listener(event());
  } catch (err) {
    request.log.error({ err }, 'prediction listener failed');
  }
}
