import { InvalidArgumentError } from 'commander';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** An interval flag's value: milliseconds, or 'off' (the feature is disabled). Never undefined or '': Commander would store ''. */
export type Interval = number | 'off';

/** "500ms", "30s", "5m", "1h", "1m30s" → milliseconds; "0" or "off" → 'off'. */
export function parseDuration(text: string): Interval {
  if (text === '0' || text === 'off') return 'off';
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new InvalidArgumentError('must be a duration such as 30s, 5m, 1h30m, or off');
  }
  return parts.reduce((sum, [, value, unit]) => sum + Number(value) * UNITS[unit!]!, 0);
}

/**
 * A parser for an interval flag with sane bounds: below `min` the labeller would load the API server or
 * spin; above 24 h is no schedule (and Node's timers overflow past about 596 h).
 */
export function intervalParser(bounds: { min: number; max?: number }): (text: string) => Interval {
  const max = bounds.max ?? 24 * 3_600_000;
  return (text) => {
    const ms = parseDuration(text);
    if (ms !== 'off' && (ms < bounds.min || ms > max)) throw new InvalidArgumentError(`must be off, or between ${formatDuration(bounds.min)} and ${formatDuration(max)}`);
    return ms;
  };
}

const formatDuration = (ms: number): string =>
  ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
