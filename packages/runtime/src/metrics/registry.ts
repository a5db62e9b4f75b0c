// The service's Prometheus metrics (docs/METRICS.md), all on one prom-client Registry that
// GET /metrics exposes. Other modules add their own metrics to the same registry:
//   new Gauge({ name: 'mlservice_...', help: '...', registers: [app.metrics.registry] })
// Hot path: the request and model metrics are FastCounter/FastHistogram (fast.ts: plain numbers,
// series kept per label values); values read from elsewhere (model, Fluentd forwarder, in-flight
// count) are read at scrape time only.
import { env as onnxruntimeEnv } from 'onnxruntime-node';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { FastCounter, FastHistogram, type CounterSeries, type HistogramSeries } from './fast.js';
import type { Config } from '../config.js';
import type { ModelMetadata, Prediction } from '../model/runtime.js';

/** The prefix of the service's own metrics (process and Node.js metrics keep their standard names). */
export const METRIC_PREFIX = 'mlservice_';

/** Why a request was refused (label `reason` of mlservice_http_requests_rejected_total), by status. */
export const REJECT_REASONS = {
  400: 'validation',
  404: 'not_found',
  413: 'size',
  415: 'media_type',
  429: 'overload',
  503: 'not_ready',
} as const satisfies Record<number, string>;
export type RejectReason = (typeof REJECT_REASONS)[keyof typeof REJECT_REASONS] | 'other';

/** What the Fluentd forwarder reports (src/logging/fluent-forwarder.ts stats()), or null when it is off. */
export interface ForwarderCounts {
  pending: number;
  dropped: number;
  delivered: number;
  lost: number;
  retried: number;
}

/** Observes model runs (src/predict-batcher.ts calls it once per run). */
export interface ModelRunObserver {
  /** One model run: its row count and how long runtime.predict took, in seconds. */
  observeModelRun(rows: number, seconds: number): void;
  /** How long one request waited in the batcher before its model run started, in seconds. */
  observeQueueWait(seconds: number): void;
  /** The predictions of a run: counted by predicted label. */
  countPredictions(predictions: readonly Prediction[]): void;
}

/** app.metrics: the registry and the service's metrics (see createMetrics). */
export interface ServiceMetrics extends ModelRunObserver {
  /** The one registry: GET /metrics exposes it; register further metrics on it. */
  readonly registry: Registry;
  /** config metrics.enabled: false means no /metrics route and no request hooks. */
  readonly enabled: boolean;
  /** Labels method, route, status_code. */
  readonly httpRequests: FastCounter;
  /** Labels method, route, status_code. */
  readonly httpDuration: FastHistogram;
  readonly httpInFlight: Gauge;
  /** Label reason. */
  readonly rejected: FastCounter;
  /** Label label. */
  readonly predictions: FastCounter;
  readonly inferenceSeconds: FastHistogram;
  readonly batchRows: FastHistogram;
  /** A request arrived: in flight until requestEnded (answered, or its client went away). */
  requestStarted(): void;
  requestEnded(): void;
  /** One answered request (route: the route pattern, e.g. /predict; 'unmatched' for a 404 without route). */
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void;
  /** A request the error handler refused (4xx, 503), by status code. */
  countRejected(statusCode: number): void;
  /** A model load (bundle, checks and warm-up) took this long, in seconds (src/server.ts). */
  observeModelLoad(seconds: number): void;
  /** Where mlservice_model_info reads the model at scrape time (null while not loaded). */
  trackModel(model: () => ModelMetadata | null): void;
  /** Where the Fluentd metrics read the forwarder's counters at scrape time (null: Fluentd is off). */
  trackForwarder(stats: () => ForwarderCounts | null): void;
}

type CounterChild = CounterSeries;
interface RequestSeries {
  count: CounterSeries;
  duration: HistogramSeries;
  /** An inference route: also counted per model (success below 400, else failure). */
  inference: boolean;
  success: boolean;
}

/** Routes whose answers are counted per model (mlservice_model_requests_{success,failure}_total); add your own inference routes. */
export const INFERENCE_ROUTES = new Set(['POST /predict', 'POST /v2/models/:name/infer', 'POST /v2/models/:name/versions/:version/infer']);

/**
 * prom-client prints NaN as `Nan`; the exposition format (and promtool) wants `NaN`.
 * Sample lines end with the value (this registry writes no timestamps).
 */
class ExpositionRegistry extends Registry {
  override async metrics(): Promise<string> {
    return (await super.metrics()).replace(/ Nan$/gm, ' NaN');
  }
}

/** Routes whose answers are counted with zero from the start, so rate() has a series before the first request. */
const PRECREATED: [string, string, number[]][] = [['POST', '/predict', [200, 400, 413, 415, 503]]];

/** Buckets of the batch size histogram: powers of two up to max_batch_size (and it). */
export function batchBuckets(maxBatchSize: number): number[] {
  const buckets: number[] = [];
  for (let b = 1; b < maxBatchSize; b *= 2) buckets.push(b);
  buckets.push(maxBatchSize);
  return buckets;
}

/**
 * Creates the registry and the service's metrics. `collectDefaultMetrics` adds process and Node.js
 * metrics (CPU, memory, file descriptors, GC, event-loop lag) to the same registry.
 */
export function createMetrics(config: Pick<Config, 'metrics' | 'service'>): ServiceMetrics {
  const registry = new ExpositionRegistry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  // prom-client's gauges named *_total break the naming convention (promtool check metrics flags
  // them); each is the sum of its labelled twin (nodejs_active_handles, ...): sum() gives the same.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
    registry.removeSingleMetric(name);

  const httpRequests = new FastCounter(
    `${METRIC_PREFIX}http_requests_total`,
    'HTTP requests answered, by method, route pattern and status code (GET /metrics itself is not counted)',
    ['method', 'route', 'status_code'],
    registers,
  );
  const httpDuration = new FastHistogram(
    `${METRIC_PREFIX}http_request_duration_seconds`,
    'Time from the arrival of a request to its answer, in seconds (buckets: config metrics.duration_buckets_seconds)',
    ['method', 'route', 'status_code'],
    config.metrics.duration_buckets_seconds,
    registers,
  );
  let inFlight = 0;
  const httpInFlight = new Gauge({
    name: `${METRIC_PREFIX}http_requests_in_flight`,
    help: 'HTTP requests received and not yet answered (GET /metrics itself is not counted)',
    registers,
    collect() {
      this.set(inFlight);
    },
  });
  const rejected = new FastCounter(
    `${METRIC_PREFIX}http_requests_rejected_total`,
    'Requests refused by the service, by reason: validation (400), size (413), media_type (415), not_ready (503), overload (429), not_found (404), other (other 4xx)',
    ['reason'],
    registers,
  );
  const predictions = new FastCounter(
    `${METRIC_PREFIX}predictions_total`,
    'Predicted rows, by predicted label (classification; empty for regression)',
    ['label'],
    registers,
  );
  const inferenceSeconds = new FastHistogram(
    `${METRIC_PREFIX}model_inference_duration_seconds`,
    'Time of one model run (preprocessing, ONNX session run, answers), in seconds (buckets: config metrics.inference_buckets_seconds)',
    [],
    config.metrics.inference_buckets_seconds,
    registers,
  );
  const batchRows = new FastHistogram(
    `${METRIC_PREFIX}model_batch_rows`,
    'Rows per model run (concurrent requests are coalesced into one run, up to service.max_batch_size rows)',
    [],
    batchBuckets(config.service.max_batch_size),
    registers,
  );

  const queueSeconds = new FastHistogram(
    `${METRIC_PREFIX}model_queue_duration_seconds`,
    'Time a request waited in the batcher for its model run to start, in seconds (apart from the run itself: mlservice_model_inference_duration_seconds; buckets: config metrics.inference_buckets_seconds)',
    [],
    config.metrics.inference_buckets_seconds,
    registers,
  );
  const modelRequests = (outcome: 'success' | 'failure', what: string) =>
    new FastCounter(
      `${METRIC_PREFIX}model_requests_${outcome}_total`,
      `Inference requests (${[...INFERENCE_ROUTES].join(', ')}) ${what}, by model name and version (the bundle's model UUID); none while no model is loaded`,
      ['model_name', 'model_version'],
      registers,
    );
  const modelSuccess = modelRequests('success', 'answered with a status below 400');
  const modelFailure = modelRequests('failure', 'answered with an error status (4xx or 5xx)');
  let loadSeconds = Number.NaN;
  new Gauge({
    name: `${METRIC_PREFIX}model_load_duration_seconds`,
    help: 'How long the last model load took (read the bundle, check it against the spec, open the ONNX session, warm-up run), in seconds; NaN before the first',
    registers,
    collect() {
      this.set(loadSeconds);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}build_info`,
    help: 'The service build (value 1): config service.name and service.version, and the Node.js and ONNX Runtime versions it runs on',
    labelNames: ['service', 'version', 'nodejs_version', 'onnxruntime_version'] as const,
    registers,
  })
    .labels(config.service.name, config.service.version, process.version, onnxruntimeEnv.versions.node ?? onnxruntimeEnv.versions.common)
    .set(1);

  let model: () => ModelMetadata | null = () => null;
  // The per-model counters of the loaded model, looked up again only when another model is loaded.
  let countedModel: ModelMetadata | null = null;
  let successOfModel: CounterSeries | null = null;
  let failureOfModel: CounterSeries | null = null;
  const countModelRequest = (success: boolean) => {
    const meta = model();
    if (!meta) return;
    if (meta !== countedModel) {
      countedModel = meta;
      successOfModel = modelSuccess.labels(meta.model_name, meta.model_uuid);
      failureOfModel = modelFailure.labels(meta.model_name, meta.model_uuid);
    }
    (success ? successOfModel! : failureOfModel!).inc();
  };
  let forwarder: () => ForwarderCounts | null = () => null;

  // Prediction counts per label: children kept by label; the model's classes start at zero.
  const byLabel = new Map<string, CounterChild>();
  const labelChild = (label: string): CounterChild => {
    let child = byLabel.get(label);
    if (!child) {
      child = predictions.labels(label);
      byLabel.set(label, child);
    }
    return child;
  };
  let labelsOf: ModelMetadata | null = null;
  const precreateLabels = (meta: ModelMetadata | null) => {
    if (!meta || meta === labelsOf) return;
    labelsOf = meta;
    if (meta.classes) for (const c of meta.classes) labelChild(c);
    modelSuccess.labels(meta.model_name, meta.model_uuid);
    modelFailure.labels(meta.model_name, meta.model_uuid);
  };

  new Gauge({
    name: `${METRIC_PREFIX}model_info`,
    help: 'The loaded model (value 1): name, UUID and creation time of the model bundle; absent while no model is loaded',
    labelNames: ['model_name', 'model_uuid', 'created_at'] as const,
    registers,
    collect() {
      this.reset();
      const meta = model();
      precreateLabels(meta);
      if (meta) this.labels(meta.model_name, meta.model_uuid, meta.created_at).set(1);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}fluentd_records_buffered`,
    help: 'Prediction and error log records held for Fluentd (queued, in flight or waiting for a retry); 0 when Fluentd is off or its transport is pino-fluentd (no acks: not known)',
    registers,
    collect() {
      this.set(forwarder()?.pending ?? 0);
    },
  });
  /** A counter that follows one of the forwarder's running totals. */
  const forwarderCounter = (name: string, help: string, read: (s: ForwarderCounts) => number) => {
    let seen = 0;
    new Counter({
      name: `${METRIC_PREFIX}fluentd_${name}`,
      help,
      registers,
      collect() {
        const stats = forwarder();
        const now = stats ? read(stats) : seen;
        if (now > seen) this.inc(now - seen);
        seen = now;
      },
    });
  };
  forwarderCounter(
    'records_dropped_total',
    'Log records dropped because the Fluentd buffer was full (logging.fluentd.buffer_max_records); transport forward only, pino-fluentd reports none',
    (s) => s.dropped,
  );
  forwarderCounter(
    'records_delivered_total',
    'Log records acknowledged by Fluentd; transport forward only (pino-fluentd has no acks: what it delivered is not known)',
    (s) => s.delivered,
  );
  forwarderCounter(
    'records_lost_total',
    'Log records accepted and then given up on (a record that could not be encoded); transport forward only, pino-fluentd reports none',
    (s) => s.lost,
  );
  forwarderCounter(
    'records_resent_total',
    'Log records sent to Fluentd again (a chunk not acked within ack_timeout_ms, or a connection lost): the duplicates Elasticsearch stores once by event_id; transport forward only',
    (s) => s.retried,
  );

  // Request series: one counter child and one histogram child per method/route/status.
  const series = new Map<string, RequestSeries>();
  const requestSeries = (method: string, route: string, statusCode: number): RequestSeries => {
    const key = `${method} ${route} ${statusCode}`;
    let s = series.get(key);
    if (!s) {
      const status = String(statusCode);
      s = {
        count: httpRequests.labels(method, route, status),
        duration: httpDuration.labels(method, route, status),
        inference: INFERENCE_ROUTES.has(`${method} ${route}`),
        success: statusCode < 400,
      };
      series.set(key, s);
    }
    return s;
  };
  for (const [method, route, statuses] of PRECREATED) for (const status of statuses) requestSeries(method, route, status);

  const rejectedBy = new Map<number, CounterChild>();
  for (const reason of [...Object.values(REJECT_REASONS), 'other'] as const) rejected.labels(reason);
  const rejectedChild = (statusCode: number): CounterChild => {
    let child = rejectedBy.get(statusCode);
    if (!child) {
      child = rejected.labels((REJECT_REASONS as Record<number, RejectReason>)[statusCode] ?? 'other');
      rejectedBy.set(statusCode, child);
    }
    return child;
  };
  const runs = inferenceSeconds.labels();
  const rows = batchRows.labels();
  const queue = queueSeconds.labels();

  return {
    registry,
    enabled: config.metrics.enabled,
    httpRequests,
    httpDuration,
    httpInFlight,
    rejected,
    predictions,
    inferenceSeconds,
    batchRows,
    requestStarted() {
      inFlight++;
    },
    requestEnded() {
      inFlight--;
    },
    observeRequest(method, route, statusCode, seconds) {
      const s = requestSeries(method, route, statusCode);
      s.count.inc();
      s.duration.observe(seconds);
      if (s.inference) countModelRequest(s.success);
    },
    countRejected(statusCode) {
      if (statusCode >= 500 && statusCode !== 503) return; // a failure, not a refusal
      rejectedChild(statusCode).inc();
    },
    observeModelRun(n, seconds) {
      runs.observe(seconds);
      rows.observe(n);
    },
    observeQueueWait(seconds) {
      queue.observe(seconds);
    },
    observeModelLoad(seconds) {
      loadSeconds = seconds;
    },
    countPredictions(answers) {
      // Runs of one label (e.g. a batch of one row) cost one child look-up each.
      let last: string | null = null;
      let child: CounterChild | null = null;
      let n = 0;
      for (const p of answers) {
        const label = p.label ?? '';
        if (label !== last) {
          if (child && n) child.inc(n);
          child = labelChild(label);
          last = label;
          n = 0;
        }
        n++;
      }
      if (child && n) child.inc(n);
    },
    trackModel(source) {
      model = source;
    },
    trackForwarder(stats) {
      forwarder = stats;
    },
  };
}
