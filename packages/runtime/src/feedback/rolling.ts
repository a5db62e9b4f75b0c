// Rolling model performance over the last N matched feedbacks.

export type Task = 'classification' | 'regression';

/** The rolling figures: accuracy (classification) or mean absolute error (regression). */
export interface RollingFigures {
  /** monitoring.feedback.window: how many matched feedbacks the figures are over, at most. */
  window: number;
  /** Matched feedbacks in the window now (< window until that many arrived). */
  count: number;
  /** Share of correct predictions, 0..1; null before the first matched feedback. */
  accuracy?: number | null;
  /** Mean absolute error, in the unit of the target; null before the first matched feedback. */
  mae?: number | null;
}

/**
 * A ring of the last `window` scores: 1/0 for correct/wrong (classification) or the absolute error
 * (regression). The mean is summed on read (window is small), so no floating-point drift builds up.
 */
export class RollingPerformance {
  private readonly scores: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(
    readonly task: Task,
    readonly window: number,
  ) {
    this.scores = new Float64Array(window);
  }

  /** Classification: correct -> 1, wrong -> 0. Regression: the absolute error. */
  add(score: number): void {
    this.scores[this.next] = score;
    this.next = (this.next + 1) % this.window;
    if (this.filled < this.window) this.filled++;
  }

  get count(): number {
    return this.filled;
  }

  /** Mean of the scores in the window; null while it is empty. */
  mean(): number | null {
    if (this.filled === 0) return null;
    let sum = 0;
    for (let i = 0; i < this.filled; i++) sum += this.scores[i]!;
    return sum / this.filled;
  }

  figures(): RollingFigures {
    const mean = this.mean();
    return this.task === 'classification'
      ? { window: this.window, count: this.filled, accuracy: mean }
      : { window: this.window, count: this.filled, mae: mean };
  }

  reset(): void {
    this.next = 0;
    this.filled = 0;
  }
}
