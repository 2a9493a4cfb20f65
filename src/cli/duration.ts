import { InvalidArgumentError } from 'commander';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "500ms", "30s", "5m", "1h", "1m30s" → milliseconds; "0" or "off" → undefined (disabled). */
export function parseDuration(text: string): number | undefined {
  if (text === '0' || text === 'off') return undefined;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new InvalidArgumentError('must be a duration such as 30s, 5m, 1h30m, or off');
  }
  return parts.reduce((sum, [, value, unit]) => sum + Number(value) * UNITS[unit!]!, 0);
}
