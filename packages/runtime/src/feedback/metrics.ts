// The feedback metrics on the service's prom-client registry (app.metrics.registry, src/metrics/).
import { Counter, Gauge, type Registry } from 'prom-client';
import { METRIC_PREFIX } from '../metrics/registry.js';
import type { FeedbackMonitor } from './monitor.js';

/**
 * - <prefix>feedback_received_total{matched="true"|"false"}: feedbacks that passed validation.
 * - <prefix>model_rolling_accuracy_ratio (classification) or <prefix>model_rolling_mae (regression):
 *   over the last monitoring.feedback.window matched feedbacks; NaN before the first.
 * - <prefix>model_rolling_feedbacks: matched feedbacks in that window now.
 * The gauges are read from the monitor at scrape time (nothing on the request path).
 */
export function registerFeedbackMetrics(registry: Registry, monitor: FeedbackMonitor, prefix = METRIC_PREFIX): void {
  const registers = [registry];
  const received = new Counter({
    name: `${prefix}feedback_received_total`,
    help: 'Ground-truth feedbacks received (POST /feedback, valid), by whether a recent prediction matched them (matched="false" answered 404)',
    labelNames: ['matched'] as const,
    registers,
  });
  const matched = received.labels('true');
  const unmatched = received.labels('false');
  matched.inc(0);
  unmatched.inc(0);
  monitor.onFeedback((record) => (record.matched ? matched : unmatched).inc());

  const rolling = monitor.rolling;
  if (monitor.rolling.task === 'classification')
    new Gauge({
      name: `${prefix}model_rolling_accuracy_ratio`,
      help: `Share of correct predictions (0..1) over the last ${rolling.window} matched feedbacks (monitoring.feedback.window); NaN before the first`,
      registers,
      collect() {
        this.set(rolling.mean() ?? Number.NaN);
      },
    });
  else
    new Gauge({
      name: `${prefix}model_rolling_mae`,
      help: `Mean absolute error of predictions, in the unit of the target, over the last ${rolling.window} matched feedbacks (monitoring.feedback.window); NaN before the first`,
      registers,
      collect() {
        this.set(rolling.mean() ?? Number.NaN);
      },
    });
  new Gauge({
    name: `${prefix}model_rolling_feedbacks`,
    help: `Matched feedbacks the rolling figures are over now (at most monitoring.feedback.window = ${rolling.window})`,
    registers,
    collect() {
      this.set(rolling.count);
    },
  });
}
