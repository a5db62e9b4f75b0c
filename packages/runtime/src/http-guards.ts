// The HTTP layer under the routes: Node's server timeouts, malformed HTTP answered in the { error }
// shape, and requests the service refuses before reading their body (encodings, no Host).
import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyHttpOptions, FastifyInstance, FastifyReply } from 'fastify';
import type { Config } from './config.js';
import { HttpError } from './errors.js';

/**
 * The fastify options that set up Node's HTTP server. Node reads `connectionsCheckingInterval` only
 * when the server is created (fastify would set the timeouts afterwards, checked every 30 s), so they
 * all go to http.createServer: a client that trickles its headers or body is cut at
 * service.request_timeout_ms plus at most one check interval.
 */
export function httpServerOptions(service: Config['service']): FastifyHttpOptions<Server> {
  const checkEveryMs = Math.min(1_000, Math.max(50, Math.floor(service.request_timeout_ms / 4)));
  return {
    requestTimeout: service.request_timeout_ms,
    // Socket inactivity (no byte either way, e.g. a client that reads no answer): later than the
    // request timeout, so that a stalled request gets its 408 rather than a silent close.
    connectionTimeout: service.request_timeout_ms + 2 * checkEveryMs,
    keepAliveTimeout: service.keep_alive_timeout_ms,
    http: {
      requestTimeout: service.request_timeout_ms,
      headersTimeout: service.request_timeout_ms,
      keepAliveTimeout: service.keep_alive_timeout_ms,
      connectionsCheckingInterval: checkEveryMs,
      // A request without Host is answered by the request guard below in the { error } shape;
      // Node's own check would answer 400 with an empty body.
      requireHostHeader: false,
    },
    // While closing (the end of a drain), a request on an open connection is answered, with
    // `Connection: close`, instead of fastify's 503.
    return503OnClosing: false,
    clientErrorHandler,
    // A URL fastify cannot route (a bad percent-escape, a path parameter over 100 characters):
    // answered here, before any hook, in the { error } shape.
    frameworkErrors: (error, _request, reply) => {
      void (reply as FastifyReply).code(error.statusCode ?? 400).send({ error: `${error.message}; the API is described at /docs` });
    },
  };
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/** Malformed HTTP, or a client too slow: Node has no request object, so the answer is written to the socket. */
function clientErrorHandler(this: FastifyInstance, err: ConnectionError & { reason?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const timeoutMs = this.config.service.request_timeout_ms;
  const [status, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, `the request (headers and body) did not arrive within ${timeoutMs} ms (service.request_timeout_ms); send it at once`]
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'the request headers are too large (over 16 KB); send fewer or shorter headers']
        : [400, `malformed HTTP request (${err.code}: ${err.reason ?? err.message}); send an HTTP/1.1 request`];
  this.metrics.countRejected(status);
  const started = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage?.headersSent === true;
  if (socket.writable && !started) {
    const body = JSON.stringify({ error: message });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/**
 * Refuses, before the body is read, a request whose body the service could not read as sent: a
 * content or transfer coding other than chunked (fastify would parse gzip bytes as JSON, or the
 * header would be ignored) and an HTTP/1.1 request without Host.
 */
export function registerRequestGuards(app: FastifyInstance): void {
  app.addHook('preParsing', (request, _reply, payload, done) => {
    const { headers, raw } = request;
    const contentEncoding = headers['content-encoding'];
    if (contentEncoding !== undefined && contentEncoding.trim().toLowerCase() !== 'identity')
      return done(
        new HttpError(
          415,
          `content-encoding ${JSON.stringify(contentEncoding)} is not decoded by this service; send the body uncompressed, without a Content-Encoding header`,
        ),
      );
    const transferEncoding = headers['transfer-encoding'];
    if (transferEncoding !== undefined && transferEncoding.trim().toLowerCase() !== 'chunked')
      return done(
        new HttpError(
          415,
          `transfer-encoding ${JSON.stringify(transferEncoding)} is not supported; send the body as it is (Content-Length) or with "Transfer-Encoding: chunked" only`,
        ),
      );
    if (headers.host === undefined && raw.httpVersionMajor === 1 && raw.httpVersionMinor >= 1)
      return done(new HttpError(400, 'the request has no Host header, which HTTP/1.1 requires; send one, e.g. "Host: localhost"'));
    done(null, payload);
  });
}
