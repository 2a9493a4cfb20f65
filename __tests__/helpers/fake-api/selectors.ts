// Label and field selectors, parsed as apimachinery's labels.Parse and fields.ParseSelector do, for lists
// and watches. A selector that does not parse is a 400, as on a real server.

import { type KubeObject, readPath } from './json.ts';
import type { ResourceDef } from './resources.ts';
import { badRequest } from './status.ts';

export type LabelRequirement =
  | { key: string; op: 'exists' | '!' }
  | { key: string; op: '=' | '!='; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'gt' | 'lt'; value: number };

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** Splits on commas outside parentheses: `a in (x,y),b` is two requirements. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '(') depth++;
    else if (char === ')') depth--;
    else if (char === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((part) => part.trim());
}

const KEY = '[A-Za-z0-9][-A-Za-z0-9_./]*';
const SET_PATTERN = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^)]*)\\)$`);
const COMPARE_PATTERN = new RegExp(`^(${KEY})\\s*(==|=|!=|>|<)\\s*([^\\s=!<>]*)$`);
const EXISTS_PATTERN = new RegExp(`^(!?)\\s*(${KEY})$`);

function parseLabelRequirement(text: string): LabelRequirement {
  const set = SET_PATTERN.exec(text);
  if (set) {
    const values = (set[3] ?? '').split(',').map((value) => value.trim());
    return { key: set[1] ?? '', op: set[2] === 'in' ? 'in' : 'notin', values };
  }
  const compare = COMPARE_PATTERN.exec(text);
  if (compare) {
    const [, key = '', op, value = ''] = compare;
    if (op === '>' || op === '<') {
      if (!/^-?\d+$/.test(value)) throw badRequest(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer: ${value}`);
      return { key, op: op === '>' ? 'gt' : 'lt', value: Number(value) };
    }
    return { key, op: op === '!=' ? '!=' : '=', value };
  }
  const exists = EXISTS_PATTERN.exec(text);
  if (exists) return { key: exists[2] ?? '', op: exists[1] === '!' ? '!' : 'exists' };
  throw badRequest(`unable to parse requirement: found '${text}', expected: identifier, '!', '=', '==', '!=', 'in' or 'notin'`);
}

export function parseLabelSelector(selector: string | null): LabelRequirement[] {
  if (selector === null || selector.trim() === '') return [];
  return splitTopLevel(selector).map(parseLabelRequirement);
}

function matchesRequirement(labels: Readonly<Record<string, string>>, requirement: LabelRequirement): boolean {
  const present = Object.hasOwn(labels, requirement.key);
  const actual = labels[requirement.key];
  switch (requirement.op) {
    case 'exists':
      return present;
    case '!':
      return !present;
    case '=':
      return present && actual === requirement.value;
    case '!=':
      return !present || actual !== requirement.value;
    case 'in':
      return present && requirement.values.includes(actual ?? '');
    case 'notin':
      return !present || !requirement.values.includes(actual ?? '');
    case 'gt':
      return present && /^-?\d+$/.test(actual ?? '') && Number(actual) > requirement.value;
    case 'lt':
      return present && /^-?\d+$/.test(actual ?? '') && Number(actual) < requirement.value;
  }
}

export function matchesLabels(labels: Readonly<Record<string, string>> | undefined, requirements: readonly LabelRequirement[]): boolean {
  return requirements.every((requirement) => matchesRequirement(labels ?? {}, requirement));
}

/** Field selector values escape `\`, `,` and `=` with a backslash. */
function unescapeFieldValue(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

/** Splits on separators not preceded by a backslash. */
function splitUnescaped(text: string, separator: ','): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i] ?? '';
    if (char === '\\' && i + 1 < text.length) {
      current += char + (text[i + 1] ?? '');
      i++;
    } else if (char === separator) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts;
}

function parseFieldRequirement(term: string): FieldRequirement {
  const match = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term.trim());
  if (!match) throw badRequest(`invalid selector: '${term}'; can't understand '${term}'`);
  const [, field = '', op, value = ''] = match;
  return { field, op: op === '!=' ? '!=' : '=', value: unescapeFieldValue(value) };
}

/** Parses and checks every field against what the resource supports (a real server refuses others). */
export function parseFieldSelector(selector: string | null, supported: readonly string[]): FieldRequirement[] {
  if (selector === null || selector.trim() === '') return [];
  const requirements = splitUnescaped(selector, ',').map(parseFieldRequirement);
  for (const { field } of requirements) {
    if (!supported.includes(field)) throw badRequest(`field label not supported: ${field}`);
  }
  return requirements;
}

/** `fieldValue` reads a field's value as the selector sees it (a string; "" when absent). */
export function matchesFields(fieldValue: (field: string) => string, requirements: readonly FieldRequirement[]): boolean {
  return requirements.every(({ field, op, value }) => (fieldValue(field) === value) === (op === '='));
}

/** A stored field as a selector compares it: scalars as text, booleans like Go's fmt ("false" when unset). */
function selectableValue(object: KubeObject, path: string, field: string): string {
  const value = readPath(object, path);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return field === 'spec.unschedulable' ? 'false' : '';
}

/**
 * The objects a list or watch request selects, from its namespace, `labelSelector` and `fieldSelector`.
 * Works on the stored form; parsing errors are thrown (400) before anything is sent.
 */
export function selectionFromQuery(def: ResourceDef, namespace: string | undefined, query: URLSearchParams): (stored: KubeObject) => boolean {
  const labels = parseLabelSelector(query.get('labelSelector'));
  const fields = parseFieldSelector(query.get('fieldSelector'), def.fieldSelectors);
  return (stored) =>
    (namespace === undefined || stored.metadata.namespace === namespace) &&
    matchesLabels(stored.metadata.labels, labels) &&
    matchesFields((field) => selectableValue(stored, def.fieldPath(field), field), fields);
}
