// Events are one kind of object served by two APIs: core v1 and events.k8s.io/v1, which renames fields.
// The real server stores one form and converts; so does the fake (it stores core v1), which lets tests read
// what the labeller recorded through either API, and kubectl `get events` see them all.

import { type JsonObject, type KubeObject, isJsonObject } from './json.ts';
import { type FieldError, fieldInvalid, fieldRequired } from './status.ts';

/** [core v1 name, events.k8s.io/v1 name] for every member that differs or is shared. */
const RENAMES: ReadonlyArray<readonly [string, string]> = [
  ['eventTime', 'eventTime'],
  ['series', 'series'],
  ['reportingComponent', 'reportingController'],
  ['reportingInstance', 'reportingInstance'],
  ['action', 'action'],
  ['reason', 'reason'],
  ['involvedObject', 'regarding'],
  ['related', 'related'],
  ['message', 'note'],
  ['type', 'type'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
];

function renamed(from: KubeObject, apiVersion: string, pairs: ReadonlyArray<readonly [string, string]>): KubeObject {
  const out: KubeObject = { apiVersion, kind: 'Event', metadata: from.metadata };
  for (const [source, target] of pairs) {
    const value = from[source];
    if (value !== undefined) out[target] = value;
  }
  return out;
}

export function coreToEventsV1(core: KubeObject): KubeObject {
  return renamed(core, 'events.k8s.io/v1', RENAMES);
}

export function eventsV1ToCore(event: KubeObject): KubeObject {
  return renamed(
    event,
    'v1',
    RENAMES.map(([core, v1]) => [v1, core] as const),
  );
}

/** Field selectors on events.k8s.io/v1 names read the stored (core) members they were renamed from. */
export function eventsV1FieldPath(field: string): string {
  if (field.startsWith('regarding.')) return `involvedObject.${field.slice('regarding.'.length)}`;
  if (field === 'reportingController') return 'reportingComponent';
  return coreEventFieldPath(field);
}

export function coreEventFieldPath(field: string): string {
  return field === 'source' ? 'source.component' : field;
}

const LIMIT_128 = 128;
const NOTE_LIMIT = 1024;

const text = (object: JsonObject, member: string): string => {
  const value = object[member];
  return typeof value === 'string' ? value : '';
};

const isSet = (object: JsonObject, member: string): boolean => object[member] !== undefined && object[member] !== null && object[member] !== '';

/**
 * ValidateEventCreate, on the stored (core) form. Events with an eventTime ("new" events) need the
 * reporting fields; every event about a cluster-scoped object such as a Node must live in `default`
 * (or `kube-system` for new ones), a classic mistake for a node controller. Creation through
 * events.k8s.io/v1 is stricter still: eventTime required, type Normal or Warning, no deprecated fields.
 */
export function validateEventCreate(event: KubeObject, requestGroup: string): FieldError[] {
  const v1Names = requestGroup === 'events.k8s.io';
  const errors = legacyEventErrors(event, v1Names);
  if (!v1Names) return errors;
  if (!isSet(event, 'eventTime')) errors.push(fieldRequired('eventTime'));
  const type = text(event, 'type');
  if (type !== 'Normal' && type !== 'Warning') errors.push(fieldInvalid('type', '', `has invalid value: ${type}`));
  for (const [core, v1] of [
    ['firstTimestamp', 'deprecatedFirstTimestamp'],
    ['lastTimestamp', 'deprecatedLastTimestamp'],
  ] as const) {
    if (isSet(event, core)) errors.push(fieldInvalid(v1, '', 'needs to be unset'));
  }
  if (typeof event.count === 'number' && event.count !== 0) errors.push(fieldInvalid('deprecatedCount', '', 'needs to be unset'));
  const source = event.source;
  if (isJsonObject(source) && (isSet(source, 'component') || isSet(source, 'host'))) errors.push(fieldInvalid('deprecatedSource', '', 'needs to be unset'));
  return errors;
}

function legacyEventErrors(event: KubeObject, v1Names: boolean): FieldError[] {
  const errors: FieldError[] = [];
  const namespace = event.metadata.namespace ?? '';
  const involved = isJsonObject(event.involvedObject) ? event.involvedObject : {};
  const involvedNamespace = text(involved, 'namespace');
  const involvedField = v1Names ? 'regarding.namespace' : 'involvedObject.namespace';
  const mismatch = () => errors.push(fieldInvalid(involvedField, involvedNamespace, 'does not match event.namespace'));
  if (!isSet(event, 'eventTime')) {
    if (involvedNamespace === '' ? namespace !== '' && namespace !== 'default' : namespace !== involvedNamespace) mismatch();
    return errors;
  }
  if (involvedNamespace === '' && namespace !== 'default' && namespace !== 'kube-system') mismatch();
  const controllerField = v1Names ? 'reportingController' : 'reportingComponent';
  if (!isSet(event, 'reportingComponent')) errors.push(fieldRequired(controllerField));
  if (!isSet(event, 'reportingInstance')) errors.push(fieldRequired('reportingInstance'));
  if (text(event, 'reportingInstance').length > LIMIT_128) errors.push(fieldInvalid('reportingInstance', '', `can have at most ${LIMIT_128} characters`));
  if (!isSet(event, 'action')) errors.push(fieldRequired('action'));
  if (text(event, 'action').length > LIMIT_128) errors.push(fieldInvalid('action', '', `can have at most ${LIMIT_128} characters`));
  if (!isSet(event, 'reason')) errors.push(fieldRequired('reason'));
  if (text(event, 'reason').length > LIMIT_128) errors.push(fieldInvalid('reason', '', `can have at most ${LIMIT_128} characters`));
  if (text(event, 'message').length > NOTE_LIMIT) errors.push(fieldInvalid(v1Names ? 'note' : 'message', '', `can have at most ${NOTE_LIMIT} characters`));
  return errors;
}
