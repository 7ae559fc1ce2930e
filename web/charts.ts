/**
 * The two charts of the page, drawn with uPlot: time between main-chain blocks (with the
 * network's target interval), and hashrate over time (this node's, and the network's as
 * estimated from block times). Each keeps a bounded number of points.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatDuration, formatHashrate } from './format.js';

const MAX_POINTS = 500;
const HEIGHT_STEPS = Array.from({ length: 8 }, (_, power) => [1, 2, 5].map((step) => step * 10 ** power)).flat();

function sizeOf(container: HTMLElement): { width: number; height: number } {
  return { width: Math.max(240, container.clientWidth - 8), height: 180 };
}

function track(container: HTMLElement, plot: uPlot): void {
  new ResizeObserver(() => plot.setSize(sizeOf(container))).observe(container);
}

/** Block interval by height: one point per main-chain block that has a time and a parent with one. */
export class IntervalChart {
  readonly #plot: uPlot;
  readonly #heights: number[] = [];
  readonly #intervals: Array<number | null> = [];
  readonly #targets: Array<number | null> = [];
  #target: number | null = null;

  constructor(container: HTMLElement) {
    this.#plot = new uPlot(
      {
        ...sizeOf(container),
        title: 'Block interval',
        scales: { x: { time: false } },
        axes: [
          // Heights are whole numbers: ticks at 1, 2, 5, 10, 20, 50... apart, never 2.5.
          { label: 'height', incrs: HEIGHT_STEPS },
          { label: 'seconds', size: 60, values: (_plot, values) => values.map((value) => String(value)) },
        ],
        series: [
          { label: 'height' },
          {
            label: 'interval',
            stroke: '#3b82f6',
            width: 1.5,
            value: (_plot, value) => (value === null ? '–' : formatDuration(value * 1000)),
          },
          { label: 'target', stroke: '#f59e0b', dash: [6, 4], width: 1, points: { show: false } },
        ],
      },
      [[], [], []],
      container,
    );
    track(container, this.#plot);
  }

  setTarget(targetMs: number | null): void {
    this.#target = targetMs === null ? null : targetMs / 1000;
  }

  /** Replaces the points with these (height, interval in ms) pairs, ascending by height. */
  set(points: Array<[number, number]>): void {
    this.#heights.length = 0;
    this.#intervals.length = 0;
    this.#targets.length = 0;
    for (const [height, ms] of points.slice(-MAX_POINTS)) {
      this.#heights.push(height);
      this.#intervals.push(ms / 1000);
      this.#targets.push(this.#target);
    }
    this.#plot.setData([this.#heights, this.#intervals, this.#targets]);
  }
}

/** Hashrate over time (x in seconds since the epoch). */
export class HashrateChart {
  readonly #plot: uPlot;
  readonly #times: number[] = [];
  readonly #node: Array<number | null> = [];
  readonly #network: Array<number | null> = [];

  constructor(container: HTMLElement) {
    this.#plot = new uPlot(
      {
        ...sizeOf(container),
        title: 'Hashrate',
        axes: [{}, { size: 80, values: (_plot, values) => values.map((value) => formatHashrate(value)) }],
        series: [
          {},
          {
            label: 'this node',
            stroke: '#10b981',
            width: 1.5,
            spanGaps: true,
            value: (_plot, value) => formatHashrate(value),
          },
          {
            label: 'network (estimated)',
            stroke: '#8b5cf6',
            width: 1.5,
            spanGaps: true,
            value: (_plot, value) => formatHashrate(value),
          },
        ],
      },
      [[], [], []],
      container,
    );
    track(container, this.#plot);
  }

  /** Adds a sample at `timeMs` (a sample older than the last one is dropped: x must ascend). */
  add(timeMs: number, node: number | null, network: number | null): void {
    const seconds = timeMs / 1000;
    const last = this.#times[this.#times.length - 1];
    if (last !== undefined && seconds <= last) return;
    this.#times.push(seconds);
    this.#node.push(node);
    this.#network.push(network);
    if (this.#times.length > MAX_POINTS) {
      this.#times.shift();
      this.#node.shift();
      this.#network.shift();
    }
    this.#plot.setData([this.#times, this.#node, this.#network]);
  }
}
