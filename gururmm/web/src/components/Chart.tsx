// A time-series chart drawn by uPlot (a small, maintained canvas chart library). The component
// owns one uPlot instance: created on mount, fed new data on each render, resized with its
// container, destroyed on unmount. The latest value is also written as text, which screen
// readers and tests can read (a canvas has no text).
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  values: (number | null)[];
  color: string;
}

interface ChartProps {
  title: string;
  /** Unix seconds, ascending. */
  times: number[];
  series: Series[];
  format: (value: number) => string;
  /** Fixed y range, e.g. [0, 100] for percentages. */
  range?: [number, number];
  /** The time window shown, Unix seconds: the axis spans it even with one sample. */
  span: [number, number];
}

function latest(values: (number | null)[]): number | null {
  for (let i = values.length - 1; i >= 0; i -= 1) {
    const v = values[i];
    if (v !== null && v !== undefined) return v;
  }
  return null;
}

export function Chart({ title, times, series, format, range, span }: ChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // Read by uPlot at each redraw, so a new window needs no new chart.
  const spanRef = useRef(span);
  spanRef.current = span;
  const data = [times, ...series.map((s) => s.values)] as uPlot.AlignedData;
  const shape = series.map((s) => s.label).join('|');

  useEffect(() => {
    const el = container.current;
    if (!el) return;
    const options: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: 160,
      legend: { show: false },
      scales: {
        x: { time: true, range: () => spanRef.current },
        y: range ? { range: () => range } : {},
      },
      axes: [{}, { values: (_u, ticks) => ticks.map(format), size: 70 }],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, spanGaps: true }))],
    };
    const instance = new uPlot(options, data, el);
    plot.current = instance;
    const observer = new ResizeObserver(() => instance.setSize({ width: Math.max(200, el.clientWidth), height: 160 }));
    observer.observe(el);
    return () => {
      observer.disconnect();
      instance.destroy();
      plot.current = null;
    };
    // Recreated only when the set of series changes (`shape`); new data goes through setData
    // below, and the format and range in effect at creation are kept on purpose.
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  return (
    <figure
      className="chart"
      aria-label={title}
      data-samples={times.length}
      data-span-from={Math.floor(span[0])}
      data-span-to={Math.ceil(span[1])}
    >
      <figcaption>
        <span className="chart-title">{title}</span>
        {series.map((s) => {
          const value = latest(s.values);
          return (
            <span key={s.label} className="chart-latest">
              {s.label}: <output>{value === null ? '—' : format(value)}</output>
            </span>
          );
        })}
        <span className="chart-count">{times.length} samples</span>
      </figcaption>
      <div ref={container} className="chart-canvas" aria-hidden="true" />
    </figure>
  );
}
