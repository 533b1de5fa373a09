/**
 * A tiny Prometheus registry and text exposition (format 0.0.4): counters, gauges and
 * histograms with labels, and gauges read at scrape time. Written here rather than pulling in
 * prom-client for five metrics.
 */

export type Labels = Readonly<Record<string, string>>;

export interface Counter {
  inc(labels?: Labels, by?: number): void;
}

export interface Gauge {
  set(value: number, labels?: Labels): void;
}

export interface Histogram {
  observe(value: number, labels?: Labels): void;
}

/** Samples of a gauge computed when scraped (e.g. from the database). */
export type GaugeCollector = () => Promise<ReadonlyArray<{ labels?: Labels; value: number }>>;

export interface MetricsRegistry {
  counter(name: string, help: string): Counter;
  gauge(name: string, help: string, collect?: GaugeCollector): Gauge;
  histogram(name: string, help: string, buckets: readonly number[]): Histogram;
  /** The exposition text; a collector that fails leaves its metric without samples (and says so in a comment). */
  render(): Promise<string>;
}

/** The content type Prometheus expects for this text. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const escapeHelp = (text: string) => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeValue = (text: string) => text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

/** Labels in a stable order, so one label set is one series whatever order the caller used. */
function labelKey(labels: Labels | undefined): string {
  if (!labels) return '';
  const keys = Object.keys(labels).sort();
  for (const key of keys) if (!LABEL.test(key)) throw new Error(`bad metric label name ${key}`);
  return keys.map((key) => `${key}="${escapeValue(labels[key]!)}"`).join(',');
}

const series = (name: string, key: string, value: number) => `${name}${key ? `{${key}}` : ''} ${formatNumber(value)}`;

interface Metric {
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  lines(): Promise<string[]>;
}

export function createMetricsRegistry(): MetricsRegistry {
  const metrics = new Map<string, Metric>();

  const add = (name: string, metric: Metric): void => {
    if (!NAME.test(name)) throw new Error(`bad metric name ${name}`);
    if (metrics.has(name)) throw new Error(`metric ${name} registered twice`);
    metrics.set(name, metric);
  };

  return {
    counter(name, help) {
      const values = new Map<string, number>();
      add(name, { type: 'counter', help, lines: async () => [...values].map(([key, value]) => series(name, key, value)) });
      return {
        inc(labels, by = 1) {
          if (by < 0) throw new Error(`counter ${name} cannot go down`);
          const key = labelKey(labels);
          values.set(key, (values.get(key) ?? 0) + by);
        },
      };
    },

    gauge(name, help, collect) {
      const values = new Map<string, number>();
      const lines = async () => {
        const sampled = collect ? (await collect()).map((s) => series(name, labelKey(s.labels), s.value)) : [];
        return [...[...values].map(([key, value]) => series(name, key, value)), ...sampled];
      };
      add(name, { type: 'gauge', help, lines });
      return { set: (value, labels) => void values.set(labelKey(labels), value) };
    },

    histogram(name, help, buckets) {
      const bounds = [...buckets].sort((a, b) => a - b);
      const data = new Map<string, { counts: number[]; sum: number; count: number }>();
      const lines = async () =>
        [...data].flatMap(([key, d]) => {
          const sep = key ? `${key},` : '';
          let cumulative = 0;
          const out = bounds.map((le, i) => {
            cumulative += d.counts[i]!;
            return `${name}_bucket{${sep}le="${formatNumber(le)}"} ${cumulative}`;
          });
          out.push(`${name}_bucket{${sep}le="+Inf"} ${d.count}`, series(`${name}_sum`, key, d.sum), series(`${name}_count`, key, d.count));
          return out;
        });
      add(name, { type: 'histogram', help, lines });
      return {
        observe(value, labels) {
          const key = labelKey(labels);
          let d = data.get(key);
          if (!d) data.set(key, (d = { counts: bounds.map(() => 0), sum: 0, count: 0 }));
          const i = bounds.findIndex((le) => value <= le);
          if (i >= 0) d.counts[i]!++;
          d.sum += value;
          d.count++;
        },
      };
    },

    async render() {
      const blocks = await Promise.all(
        [...metrics].map(async ([name, m]) => {
          const head = [`# HELP ${name} ${escapeHelp(m.help)}`, `# TYPE ${name} ${m.type}`];
          try {
            return [...head, ...(await m.lines())];
          } catch (err) {
            // One unreachable dependency must not take the whole scrape down.
            return [...head, `# ${name} unavailable: ${escapeHelp((err as Error).message ?? String(err))}`];
          }
        }),
      );
      return `${blocks.flat().join('\n')}\n`;
    },
  };
}
