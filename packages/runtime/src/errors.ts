import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RequestErrorListener } from './prediction-event.js';

/** At most this many details in one answer (a 256-row batch of bad rows would be huge otherwise); the message counts the rest. */
export const MAX_DETAILS = 50;
/** At most this many unknown keys of one row (or feedback body) are listed; the rest are counted. */
export const MAX_ROW_DETAILS = 20;

/** One problem with a request: where it is (JSON Pointer into the body) and what was wrong. */
export interface ErrorDetail {
  path: string;
  field?: string;
  row?: number;
  message: string;
}

/** An error that carries its HTTP status; the error handler answers it as `{ error, details? }`. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly statusCode: number,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
  }
}

export interface ErrorHandlerOptions {
  bodyLimitBytes: number;
  onRequestError?: RequestErrorListener;
}

/** The one place errors become responses: every status answers `{ error, details? }`. */
export function registerErrorHandler(app: FastifyInstance, opts: ErrorHandlerOptions): void {
  const { runtime, metrics } = app;
  const answer = (request: FastifyRequest, reply: FastifyReply, error: HttpError) => {
    const body = error.details ? { error: error.message, details: error.details } : { error: error.message };
    if (opts.onRequestError) {
      try {
        const model = runtime.ready ? runtime.metadata : null;
        opts.onRequestError({
          requestId: request.id,
          method: request.method,
          url: request.url,
          statusCode: error.statusCode,
          latencyMs: reply.elapsedTime,
          body,
          model,
        });
      } catch (err) {
        request.log.error({ err }, 'request error listener failed');
      }
    }
    metrics.countRejected(error.statusCode); // by reason (src/metrics/registry.ts REJECT_REASONS)
    if (error.statusCode === 503) reply.header('retry-after', '5');
    reply.code(error.statusCode).send(body);
  };

  app.setNotFoundHandler((request, reply) => {
    answer(request, reply, new HttpError(404, `no route ${request.method} ${request.url.split('?')[0]}; the API is described at /docs`));
  });

  app.setErrorHandler((err: FastifyError | HttpError, request, reply) => {
    const error = toHttpError(err, request, opts.bodyLimitBytes);
    // Refusals are logged as error records by the prediction log (onRequestError / src/logging);
    // here only at debug. A 500 is a bug: logged with its stack. A 503 of ours (the model is not
    // loaded yet) is a refusal like a 400, not a bug.
    if (error.statusCode >= 500 && !(err instanceof HttpError)) request.log.error({ err }, 'request failed');
    else request.log.debug({ status: error.statusCode, error: error.message }, 'request refused');
    answer(request, reply, error);
  });
}

function toHttpError(err: FastifyError | HttpError, request: FastifyRequest, bodyLimitBytes: number): HttpError {
  if (err instanceof HttpError) return err;
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError(
        413,
        `request body is over the limit of ${bodyLimitBytes} bytes (service.body_limit_bytes); send fewer rows per request`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError(
        415,
        `unsupported content type ${JSON.stringify(request.headers['content-type'] ?? '')}; send the body as application/json`,
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HttpError(400, 'request body is empty; send one row object or an array of rows as JSON');
  }
  // Fastify's own client errors (bad content length, malformed URL, ...) keep their status and message.
  const status = err.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return new HttpError(status, err.message);
  return new HttpError(500, 'internal error while answering the request; it has been logged');
}
