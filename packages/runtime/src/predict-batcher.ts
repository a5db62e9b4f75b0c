import type { ModelRunObserver } from './metrics/registry.js';
import type { ModelRuntime, Prediction } from './model/runtime.js';
import type { Row } from './schemas/model-spec.js';

interface Job {
  rows: Row[];
  topN: number;
  resolve: (predictions: Prediction[]) => void;
  reject: (err: unknown) => void;
  /** performance.now() when it was queued (0 without an observer). */
  queued: number;
}

/**
 * Coalesces the requests that arrive in the same event-loop turn into one model run. An onnxruntime
 * run costs about the same for 1 row as for 64, and it is most of the CPU time of a one-row request:
 * under concurrent load, one run for many requests is what keeps /predict close to a bare server.
 * A request waits at most one event-loop turn (setImmediate) for others to join. One batcher serves
 * every predicting route (/predict, OIP v2, the template's API): requests asking for the same top-N share a run.
 */
export class PredictBatcher {
  private queue: Job[] = [];
  private scheduled = false;

  constructor(
    private readonly runtime: ModelRuntime,
    /** Rows per model run at most (service.max_batch_size). */
    private readonly maxRows: number,
    /** Metrics of each model run: time, rows, predicted labels (app.metrics). */
    private readonly observer?: ModelRunObserver,
  ) {}

  /** `topN`: classes per answer (the runtime clamps it to the number of classes). */
  predict(rows: Row[], topN: number): Promise<Prediction[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ rows, topN, resolve, reject, queued: this.observer ? performance.now() : 0 });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const jobs = this.queue;
    this.queue = [];
    let start = 0;
    while (start < jobs.length) {
      let end = start + 1;
      const topN = jobs[start]!.topN;
      let rows = jobs[start]!.rows.length;
      while (end < jobs.length && jobs[end]!.topN === topN && rows + jobs[end]!.rows.length <= this.maxRows)
        rows += jobs[end++]!.rows.length;
      void this.run(jobs.slice(start, end));
      start = end;
    }
  };

  private async run(jobs: Job[]): Promise<void> {
    try {
      const rows = jobs.length === 1 ? jobs[0]!.rows : jobs.flatMap((j) => j.rows);
      const started = this.observer ? performance.now() : 0;
      if (this.observer) for (const job of jobs) this.observer.observeQueueWait((started - job.queued) / 1000);
      const predictions = await this.runtime.predict(rows, jobs[0]!.topN);
      if (this.observer) {
        this.observer.observeModelRun(rows.length, (performance.now() - started) / 1000);
        this.observer.countPredictions(predictions);
      }
      let at = 0;
      for (const job of jobs) {
        job.resolve(jobs.length === 1 ? predictions : predictions.slice(at, at + job.rows.length));
        at += job.rows.length;
      }
    } catch (err) {
      for (const job of jobs) job.reject(err);
    }
  }
}
