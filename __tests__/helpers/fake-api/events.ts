// Events are one kind of object served by two APIs: core v1 and events.k8s.io/v1, which renames fields.
// The real server stores one form and converts; so does the fake (it stores core v1), which lets tests read
// what the labeller recorded through either API, and kubectl `get events` see them all.

import { type JsonObject, type JsonValue, type KubeObject, isJsonObject, jsonEqual } from './json.ts';
import { type FieldError, fieldInvalid, fieldInvalidRendered, fieldRequired, goQuote } from './status.ts';
import { isDns1123Subdomain, isQualifiedName, nameIsDnsSubdomain, objectMetaCreateErrors } from './validation.ts';

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

// ---- Validation: kubernetes/kubernetes pkg/apis/core/validation/events.go ----
//
// Both APIs store the internal core.Event, and the event strategy (pkg/registry/core/event/strategy.go)
// validates that, so field paths are the internal names whichever API the client used: `involvedObject`
// (events.k8s.io's `regarding`), `reportingController` (core/v1's `reportingComponent`), `message` (`note`),
// `source`, `firstTimestamp`, `lastTimestamp`, `count` (the `deprecated*` fields). The functions below read
// the stored form, which is core/v1 JSON.

/** ReportingInstanceLengthLimit, ActionLengthLimit, ReasonLengthLimit. */
const LIMIT_128 = 128;
/** NoteLengthLimit. */
const NOTE_LIMIT = 1024;
/** The zero time.Time, which Go's validation treats as "unset". */
const ZERO_TIME = Date.parse('0001-01-01T00:00:00Z');

const text = (object: JsonObject, member: string): string => {
  const value = object[member];
  return typeof value === 'string' ? value : '';
};

const byteLength = (value: string) => Buffer.byteLength(value, 'utf8');

/** A metav1.Time or MicroTime member that is set: present and not the zero time (null decodes to zero). */
function timeIsSet(object: JsonObject, member: string): boolean {
  const value = object[member];
  return typeof value === 'string' && value !== '' && Date.parse(value) !== ZERO_TIME;
}

const objectAt = (object: JsonObject, member: string): JsonObject => {
  const value = object[member];
  return isJsonObject(value) ? value : {};
};

/** The request's API: core/v1 (and events.k8s.io/v1beta1) get only the legacy checks, events.k8s.io/v1 the strict ones. */
export type EventApi = 'core' | 'events.k8s.io';

/**
 * `legacyValidateEvent`, which every create and update passes whatever the API. An event without eventTime
 * (an "old" event) must live in its object's namespace, or for a cluster-scoped object (a Node: empty
 * involvedObject.namespace) in "" or "default". An event with eventTime about a cluster-scoped object must
 * live in "default" or "kube-system", needs reportingController (a qualified name), reportingInstance, action
 * and reason, with length limits; its namespace is not compared otherwise.
 */
function legacyEventErrors(event: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const namespace = event.metadata.namespace ?? '';
  const involvedNamespace = text(objectAt(event, 'involvedObject'), 'namespace');
  const mismatch = () => errors.push(fieldInvalid('involvedObject.namespace', involvedNamespace, 'does not match event.namespace'));
  if (!timeIsSet(event, 'eventTime')) {
    if (involvedNamespace === '') {
      if (namespace !== '' && namespace !== 'default') mismatch();
    } else if (namespace !== involvedNamespace) {
      mismatch();
    }
  } else {
    if (involvedNamespace === '' && namespace !== 'default' && namespace !== 'kube-system') mismatch();
    const controller = text(event, 'reportingComponent');
    if (controller === '') errors.push(fieldRequired('reportingController'));
    for (const detail of isQualifiedName(controller)) errors.push(fieldInvalid('reportingController', controller, detail));
    const limited: Array<[string, string, number, boolean]> = [
      ['reportingInstance', 'reportingInstance', LIMIT_128, true],
      ['action', 'action', LIMIT_128, true],
      ['reason', 'reason', LIMIT_128, true],
      ['message', 'message', NOTE_LIMIT, false],
    ];
    for (const [member, field, limit, required] of limited) {
      const value = text(event, member);
      if (required && value === '') errors.push(fieldRequired(field));
      if (byteLength(value) > limit) errors.push(fieldInvalid(field, '', `can have at most ${limit} characters`));
    }
  }
  for (const detail of isDns1123Subdomain(namespace)) errors.push(fieldInvalid('namespace', namespace, detail));
  return errors;
}

/** `validateV1EventSeries`: a series counts at least 2 and has a lastObservedTime. */
function seriesErrors(event: KubeObject): FieldError[] {
  const series = event.series;
  if (!isJsonObject(series)) return [];
  const errors: FieldError[] = [];
  if (typeof series.count !== 'number' || series.count < 2) errors.push(fieldInvalid('series.count', '', 'should be at least 2'));
  if (!timeIsSet(series, 'lastObservedTime')) errors.push(fieldRequired('series.lastObservedTime'));
  return errors;
}

/**
 * `ValidateEventCreate`. Through events.k8s.io/v1 it adds: ObjectMeta with DNS-subdomain names, the series
 * rules, eventTime required, type Normal or Warning, and the deprecated fields (firstTimestamp,
 * lastTimestamp, count, source) unset.
 */
export function validateEventCreate(event: KubeObject, api: EventApi): FieldError[] {
  const errors = legacyEventErrors(event);
  if (api === 'core') return errors;
  errors.push(...objectMetaCreateErrors(event.metadata, true, nameIsDnsSubdomain));
  errors.push(...seriesErrors(event));
  if (!timeIsSet(event, 'eventTime')) errors.push(fieldRequired('eventTime'));
  const type = text(event, 'type');
  if (type !== 'Normal' && type !== 'Warning') errors.push(fieldInvalid('type', '', `has invalid value: ${type}`));
  if (timeIsSet(event, 'firstTimestamp')) errors.push(fieldInvalid('firstTimestamp', '', 'needs to be unset'));
  if (timeIsSet(event, 'lastTimestamp')) errors.push(fieldInvalid('lastTimestamp', '', 'needs to be unset'));
  if (typeof event.count === 'number' && event.count !== 0) errors.push(fieldInvalid('count', '', 'needs to be unset'));
  const source = objectAt(event, 'source');
  if (text(source, 'component') !== '' || text(source, 'host') !== '') errors.push(fieldInvalid('source', '', 'needs to be unset'));
  return errors;
}

// Go's rendering of the non-string values ValidateImmutableField reports (field.Error.ErrorBody): structs
// with %#v, times through their String method (the server's local time zone taken as UTC), int32 as digits.

/** core.ObjectReference's fields in declaration order, JSON name and Go name. */
const REFERENCE_FIELDS = [
  ['kind', 'Kind'],
  ['namespace', 'Namespace'],
  ['name', 'Name'],
  ['uid', 'UID'],
  ['apiVersion', 'APIVersion'],
  ['resourceVersion', 'ResourceVersion'],
  ['fieldPath', 'FieldPath'],
] as const;

function goObjectReference(value: JsonValue | undefined): string {
  const ref = isJsonObject(value) ? value : {};
  return `core.ObjectReference{${REFERENCE_FIELDS.map(([member, goName]) => `${goName}:${goQuote(text(ref, member))}`).join(', ')}}`;
}

/** Go struct equality: an absent string member is the empty string. */
const sameStrings = (a: JsonValue | undefined, b: JsonValue | undefined, members: readonly string[]) =>
  members.every((member) => text(isJsonObject(a) ? a : {}, member) === text(isJsonObject(b) ? b : {}, member));
const REFERENCE_MEMBERS = REFERENCE_FIELDS.map(([member]) => member);

function goTime(value: JsonValue | undefined): string {
  const millis = typeof value === 'string' && value !== '' ? Date.parse(value) : ZERO_TIME;
  const iso = new Date(Number.isNaN(millis) ? ZERO_TIME : millis).toISOString();
  const [date, clock] = [iso.slice(0, 10), iso.slice(11, 19)];
  // time.Time.String prints the fraction without trailing zeros; the JSON text may carry microseconds.
  const fraction = typeof value === 'string' ? (/\.(\d+)/.exec(value)?.[1] ?? '').replace(/0+$/, '') : '';
  return `${date} ${clock}${fraction === '' ? '' : `.${fraction}`} +0000 UTC`;
}

const sameTime = (a: JsonValue | undefined, b: JsonValue | undefined) =>
  (typeof a === 'string' && a !== '' ? Date.parse(a) : ZERO_TIME) === (typeof b === 'string' && b !== '' ? Date.parse(b) : ZERO_TIME);

/**
 * `ValidateEventUpdate`: the legacy checks on the new event; through events.k8s.io/v1 also the series rules
 * when the series changed, and involvedObject, reason, message, source, firstTimestamp, lastTimestamp, count,
 * type, eventTime, action, related, reportingController and reportingInstance immutable (in that order; the
 * source checks reason twice).
 */
export function validateEventUpdate(event: KubeObject, old: KubeObject, api: EventApi): FieldError[] {
  const errors = legacyEventErrors(event);
  if (api === 'core') return errors;
  if (!jsonEqual(event.series, old.series)) errors.push(...seriesErrors(event));
  const immutable = (field: string, changed: boolean, rendered: () => string) => {
    if (changed) errors.push(fieldInvalidRendered(field, rendered(), 'field is immutable'));
  };
  const string = (member: string, field = member) => immutable(field, text(event, member) !== text(old, member), () => goQuote(text(event, member)));
  const time = (member: string) => immutable(member, !sameTime(event[member], old[member]), () => goTime(event[member]));
  immutable('involvedObject', !sameStrings(event.involvedObject, old.involvedObject, REFERENCE_MEMBERS), () => goObjectReference(event.involvedObject));
  string('reason');
  string('message');
  const source = objectAt(event, 'source');
  immutable('source', !sameStrings(source, old.source, ['component', 'host']), () => `core.EventSource{Component:${goQuote(text(source, 'component'))}, Host:${goQuote(text(source, 'host'))}}`);
  time('firstTimestamp');
  time('lastTimestamp');
  immutable('count', (event.count ?? 0) !== (old.count ?? 0), () => String(event.count ?? 0));
  string('reason');
  string('type');
  time('eventTime');
  string('action');
  const related = isJsonObject(event.related) || isJsonObject(old.related);
  const relatedChanged = related && (isJsonObject(event.related) !== isJsonObject(old.related) || !sameStrings(event.related, old.related, REFERENCE_MEMBERS));
  immutable('related', relatedChanged, () => (isJsonObject(event.related) ? goObjectReference(event.related) : 'null'));
  string('reportingComponent', 'reportingController');
  string('reportingInstance');
  return errors;
}
