// The drift monitor's Prometheus gauges (docs/DRIFT.md). Values are computed at scrape time only
// (collect callbacks), from one drift check per scrape; a scrape also reports threshold crossings.
import { Gauge, type Registry } from 'prom-client';
import { METRIC_PREFIX } from '../metrics/registry.js';
import type { DriftMonitor, DriftReport } from './drift.js';

/** Registers the drift gauges on `registry` (app.metrics.registry). `prefix` as the service's other metrics. */
export function registerDriftMetrics(registry: Registry, monitor: DriftMonitor, prefix = METRIC_PREFIX): void {
  const registers = [registry];
  // A registry shared by two apps (tests) gets the newer monitor's gauges.
  for (const name of ['feature_drift_psi', 'feature_drift_ks', 'feature_drifted', 'drift_window_rows'])
    registry.removeSingleMetric(`${prefix}${name}`);
  // One check per scrape: the gauges' collect callbacks run together, each asks for a report.
  let cached: { at: number; report: DriftReport } | null = null;
  const report = (): DriftReport => {
    const now = Date.now();
    if (!cached || now - cached.at > 250) cached = { at: now, report: monitor.check() };
    return cached.report;
  };
  const perFeature = (name: string, help: string, value: (f: DriftReport['features'][number]) => number | null) =>
    new Gauge({
      name: `${prefix}${name}`,
      help,
      labelNames: ['feature'] as const,
      registers,
      collect() {
        this.reset();
        for (const f of report().features) {
          const v = value(f);
          if (v !== null) this.set({ feature: f.name }, v);
        }
      },
    });
  perFeature(
    'feature_drift_psi',
    'Population stability index of each feature: the recent request rows (monitoring.drift window) against the training data; > monitoring.drift.psi_threshold counts as drift',
    (f) => f.psi,
  );
  perFeature(
    'feature_drift_ks',
    'Two-sample Kolmogorov-Smirnov statistic of each numeric feature: the recent request rows against the training sample; > monitoring.drift.ks_threshold counts as drift',
    (f) => f.ks,
  );
  perFeature(
    'feature_drifted',
    '1 when the feature is over a drift threshold (PSI or KS), else 0; absent until the window holds min_rows rows',
    (f) => (f.psi === null && f.ks === null ? null : f.drifted ? 1 : 0),
  );
  new Gauge({
    name: `${prefix}drift_window_rows`,
    help: 'Request rows in the drift window (at most monitoring.drift.window_size)',
    registers,
    collect() {
      this.set(report().window.rows);
    },
  });
}
