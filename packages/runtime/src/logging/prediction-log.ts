// The prediction log: one record per predicted row and one per failed request, written as JSON
// to stdout (pino) and, when logging.fluentd.enabled, forwarded to Fluentd with these tags:
//   <tag_prefix>.prediction   one record per row of an answered POST /predict (records.ts)
//   <tag_prefix>.error        one record per request answered with status >= 400
//   <tag_prefix>.drift        one record per drift threshold crossing of a feature (logDrift, src/monitoring/drift.ts)
//   <tag_prefix>.feedback     one record per valid POST /feedback, matched or not (logFeedback, src/feedback/record.ts)
// logging.fluentd.transport chooses how: `forward` (fluent-forwarder.ts, acked) or `pino-fluentd`
// (pino-fluentd-sink.ts, no acks). The service's other logs (start-up, request logs, the Fluentd
// transport's own state) go to stdout only.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from '../config.js';
import type { ModelMetadata } from '../model/runtime.js';
import type { PredictionEvent, PredictionListener } from '../prediction-event.js';
import type { ModelSpec } from '../schemas/model-spec.js';
import { isNotReadyAnswer } from '../routes/probe.js';
import type { FeedbackRecord } from '../feedback/record.js';
import { EventIds } from './event-ids.js';
import { FluentForwarder, type ForwarderStats } from './fluent-forwarder.js';
import type { FluentSink } from './fluent-sink.js';
import { PinoFluentdSink } from './pino-fluentd-sink.js';
import { PredictionJson } from './record-json.js';
import { PredictionMsgpack } from './record-msgpack.js';
import { writeLines } from './stdout.js';
import { driftRecord, errorRecord, predictionRecords, type DriftRecord, type RecordContext } from './records.js';

export const PREDICTION_TAG = 'prediction';
export const ERROR_TAG = 'error';
export const DRIFT_TAG = 'drift';
export const FEEDBACK_TAG = 'feedback';

export interface PredictionLogOptions {
  config: Pick<Config, 'logging' | 'service'>;
  /** The stdout logger (createLogger). */
  logger: Logger;
  /** The loaded model's metadata, or null while it is not loaded (error records only). */
  model: () => ModelMetadata | null;
  /** The service's features (redaction, entity IDs). */
  spec: ModelSpec;
}

const kErrorBody = Symbol('predictionLogErrorBody');
type WithErrorBody = FastifyRequest & { [kErrorBody]?: unknown };

export class PredictionLog {
  /** Where the Fluentd records go; null when logging.fluentd.enabled is false. */
  readonly sink: FluentSink | null;
  /** The sink when logging.fluentd.transport is `forward`. */
  readonly forwarder: FluentForwarder | null;
  private readonly ctx: RecordContext;
  private readonly log: Logger;
  private readonly model: () => ModelMetadata | null;
  private readonly json: PredictionJson;
  private readonly msgpack: PredictionMsgpack | null;
  /** The forwarder takes the records as JSON: slices of the stdout lines. */
  private readonly forwardJson: boolean;

  constructor(opts: PredictionLogOptions) {
    const { logging, service } = opts.config;
    this.ctx = { spec: opts.spec, service: { name: service.name, version: service.version } };
    this.log = opts.logger;
    this.model = opts.model;
    this.json = new PredictionJson(this.ctx);
    const f = logging.fluentd;
    const tagPrefix = f.tag_prefix ?? service.name;
    this.forwarder =
      f.enabled && f.transport === 'forward'
        ? new FluentForwarder({
            host: f.host,
            port: f.port,
            tagPrefix,
            encoding: f.encoding,
            bufferMaxRecords: f.buffer_max_records,
            reconnectIntervalMs: f.reconnect_interval_ms,
            ackTimeoutMs: f.ack_timeout_ms,
            flushTimeoutMs: f.flush_timeout_ms,
            logger: opts.logger,
          })
        : null;
    this.sink =
      this.forwarder ??
      (f.enabled && f.transport === 'pino-fluentd'
        ? new PinoFluentdSink({
            host: f.host,
            port: f.port,
            tagPrefix,
            reconnectIntervalMs: f.reconnect_interval_ms,
            flushTimeoutMs: f.flush_timeout_ms,
            logger: opts.logger,
          })
        : null);
    // The forwarder takes the prediction records already encoded: as JSON, the stdout lines' bytes; as
    // msgpack, encoded again here. pino-fluentd takes objects.
    this.msgpack = this.forwarder && f.encoding === 'msgpack' ? new PredictionMsgpack(this.ctx) : null;
    this.forwardJson = this.forwarder !== null && f.encoding === 'json';
  }

  /** The /predict seam (src/prediction-event.ts): builds the records and hands them on; never throws or waits. */
  readonly onPrediction: PredictionListener = (event: PredictionEvent) => {
    try {
      const toStdout = this.log.isLevelEnabled('info');
      if (!toStdout && this.sink === null) return;
      const now = new Date();
      // One event_id per row, the same on stdout and in Fluentd.
      const eventIds = EventIds.draw(event.predictions.length);
      const ends: number[] | undefined = this.forwardJson ? [] : undefined;
      const lines = toStdout || ends ? this.json.serialise(event, now, eventIds, ends) : null;
      // The logger's own stream: the lines keep their order with the service's other log lines.
      if (toStdout && lines) writeLines((this.log as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym]!, lines);
      if (this.forwarder) {
        const records = ends && lines ? this.json.recordMembers(lines, ends) : this.msgpack!.serialise(event, now, eventIds);
        const ms = now.getTime();
        for (const record of records) this.forwarder.sendPacked(PREDICTION_TAG, record, ms);
      } else if (this.sink)
        for (const record of predictionRecords(this.ctx, event, now, eventIds.strings()))
          this.sink.send(PREDICTION_TAG, record as unknown as Record<string, unknown>, now.getTime());
    } catch (err) {
      this.log.error({ err, request_id: event.requestId }, 'prediction log record could not be built');
    }
  };

  /** Logs a failed request (status >= 400) with the `{ error, details }` body the client received. */
  logError(req: { requestId: string; method: string; url: string; statusCode: number; latencyMs: number; body: unknown }): void {
    try {
      const now = new Date();
      const record = errorRecord(this.ctx, { ...req, model: this.model() }, now);
      const fields = stdoutFields(record);
      if (record.status_code >= 500) this.log.error(fields, 'request error');
      else this.log.warn(fields, 'request error');
      this.sink?.send(ERROR_TAG, record as unknown as Record<string, unknown>, now.getTime());
    } catch (err) {
      this.log.error({ err, request_id: req.requestId }, 'error log record could not be built');
    }
  }

  /** buildApp's onDrift: a feature's drift crossed a threshold (warn) or came back (info); stdout and Fluentd. */
  readonly logDrift = (warning: Omit<DriftRecord, 'time' | 'log_type' | 'event_id' | 'service'>): void => {
    try {
      const now = new Date();
      const record = driftRecord(this.ctx, warning, now);
      const fields = stdoutFields(record);
      if (record.status === 'drifted') this.log.warn(fields, 'feature drift');
      else this.log.info(fields, 'feature drift recovered');
      this.sink?.send(DRIFT_TAG, record as unknown as Record<string, unknown>, now.getTime());
    } catch (err) {
      this.log.error({ err }, 'drift log record could not be built');
    }
  };

  /** buildApp's onFeedback: one ground-truth feedback (src/feedback/record.ts), matched or not; stdout and Fluentd. */
  readonly logFeedback = (record: FeedbackRecord): void => {
    try {
      const fields = stdoutFields(record);
      this.log.info(fields, record.matched ? 'feedback' : 'feedback unmatched');
      this.sink?.send(FEEDBACK_TAG, record as unknown as Record<string, unknown>, Date.parse(record.time));
    } catch (err) {
      this.log.error({ err }, 'feedback log record could not be sent');
    }
  };

  /**
   * Adds the hooks that log failed requests (a readiness probe's 503 is not one: routes/probe.ts) and
   * flush on close. Call once in buildApp; the /predict route calls onPrediction itself.
   */
  attach(app: FastifyInstance): void {
    // Callback hooks (not async ones): they run on every request, and an async hook costs a promise each time.
    app.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void) => {
      if (isFailed(request, reply.statusCode)) (request as WithErrorBody)[kErrorBody] = payload;
      done(null, payload);
    });
    app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      if (isFailed(request, reply.statusCode)) this.onFailedResponse(request, reply);
      done();
    });
    app.addHook('onClose', async () => {
      await this.close();
    });
  }

  private onFailedResponse(request: FastifyRequest, reply: FastifyReply): void {
    const raw = (request as WithErrorBody)[kErrorBody];
    let body: unknown = raw;
    if (typeof raw === 'string' || Buffer.isBuffer(raw)) {
      try {
        body = JSON.parse(raw.toString());
      } catch {
        body = {};
      }
    }
    this.logError({
      requestId: String(request.id),
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      latencyMs: reply.elapsedTime,
      body,
    });
  }

  /** The forwarder's delivery counters; null when Fluentd is off or the transport (pino-fluentd) has no acks to count. */
  stats(): ForwarderStats | null {
    return this.sink?.stats() ?? null;
  }

  /** Flushes buffered records to Fluentd (bounded by logging.fluentd.flush_timeout_ms). */
  async close(): Promise<void> {
    await this.sink?.close();
  }
}

/** An answer that gets an error record: status >= 400, but not a readiness probe's "not ready". */
const isFailed = (request: FastifyRequest, statusCode: number): boolean => statusCode >= 400 && !isNotReadyAnswer(request, statusCode);

/** A record as a stdout line: pino writes its own ISO `time`, and its base already carries `service`. */
function stdoutFields<T extends { time: string; service?: unknown }>(record: T): Omit<T, 'time' | 'service'> {
  const { time: _time, service: _service, ...fields } = record;
  return fields;
}
