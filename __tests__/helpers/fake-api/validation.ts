// What the real API server checks in object metadata, with its messages, written from apimachinery's
// validation code (not from this project's own validators, which are what the tests check):
//
// - k8s.io/apimachinery/pkg/util/validation/validation.go: IsQualifiedName, IsValidLabelValue,
//   IsDNS1123Subdomain, IsDNS1123Label, MaxLenError, RegexError, EmptyError (newer releases moved the first
//   two to k8s.io/apimachinery/pkg/api/validate/content/kube.go as IsLabelKey/IsLabelValue);
// - k8s.io/apimachinery/pkg/apis/meta/v1/validation/validation.go: ValidateLabels, ValidateLabelName;
// - k8s.io/apimachinery/pkg/api/validation/objectmeta.go: ValidateAnnotations (TotalAnnotationSizeLimitB),
//   ValidateObjectMetaAccessor, ValidateFinalizers;
// - k8s.io/apimachinery/pkg/api/validation/generic.go: NameIsDNSSubdomain, ValidateNamespaceName,
//   maskTrailingDash; k8s.io/apimachinery/pkg/api/validation/path/name.go: ValidatePathSegmentName.
//
// Wording is that of the release the fake announces (v1.32, see discovery.ts): "a qualified name ...",
// "must be no more than 63 characters", "Too long: must have at most 262144 bytes". Go measures lengths
// with len(), in bytes of UTF-8, and so does this file.

import { type JsonObject, type JsonValue, type KubeObject, type ObjectMeta, isJsonObject } from './json.ts';
import { type FieldError, badRequest, fieldInvalid, fieldRequired } from './status.ts';

const byteLength = (value: string) => Buffer.byteLength(value, 'utf8');

// ---- util/validation ----

const QUALIFIED_NAME_CHAR = '[A-Za-z0-9]';
const QUALIFIED_NAME_EXT_CHAR = '[-A-Za-z0-9_.]';
/** qualifiedNameFmt: what a label key's name part, and a non-empty label value, must look like. */
export const QUALIFIED_NAME_FORMAT = `(${QUALIFIED_NAME_CHAR}${QUALIFIED_NAME_EXT_CHAR}*)?${QUALIFIED_NAME_CHAR}`;
const QUALIFIED_NAME_MESSAGE = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_MAX_LENGTH = 63;
const QUALIFIED_NAME = new RegExp(`^${QUALIFIED_NAME_FORMAT}$`);

export const LABEL_VALUE_FORMAT = `(${QUALIFIED_NAME_FORMAT})?`;
const LABEL_VALUE_MESSAGE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_MAX_LENGTH = 63;
const LABEL_VALUE = new RegExp(`^${LABEL_VALUE_FORMAT}$`);

export const DNS1123_LABEL_FORMAT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_LABEL_MESSAGE = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_LABEL_MAX_LENGTH = 63;
const DNS1123_LABEL = new RegExp(`^${DNS1123_LABEL_FORMAT}$`);

export const DNS1123_SUBDOMAIN_FORMAT = `${DNS1123_LABEL_FORMAT}(\\.${DNS1123_LABEL_FORMAT})*`;
const DNS1123_SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_SUBDOMAIN_FORMAT}$`);

/** `MaxLenError`. */
const maxLenError = (length: number) => `must be no more than ${length} characters`;
/** `EmptyError`. */
const EMPTY_ERROR = 'must be non-empty';

/** `RegexError`: the message, the examples each quoted and followed by ", " (so " or " makes a double space), the regex. */
export function regexError(message: string, format: string, ...examples: string[]): string {
  if (examples.length === 0) return `${message} (regex used for validation is '${format}')`;
  return `${message} (e.g. ${examples.map((example) => `'${example}', `).join(' or ')}regex used for validation is '${format}')`;
}

/** `IsDNS1123Subdomain`: at most 253 bytes, dot-separated lowercase RFC 1123 labels. */
export function isDns1123Subdomain(value: string): string[] {
  const errors: string[] = [];
  if (byteLength(value) > DNS1123_SUBDOMAIN_MAX_LENGTH) errors.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!DNS1123_SUBDOMAIN.test(value)) errors.push(regexError(DNS1123_SUBDOMAIN_MESSAGE, DNS1123_SUBDOMAIN_FORMAT, 'example.com'));
  return errors;
}

/** `IsDNS1123Label`: at most 63 bytes; a valid subdomain that is not a label can only be one with dots. */
export function isDns1123Label(value: string): string[] {
  const errors: string[] = [];
  if (byteLength(value) > DNS1123_LABEL_MAX_LENGTH) errors.push(maxLenError(DNS1123_LABEL_MAX_LENGTH));
  if (!DNS1123_LABEL.test(value)) {
    errors.push(DNS1123_SUBDOMAIN.test(value) ? 'must not contain dots' : regexError(DNS1123_LABEL_MESSAGE, DNS1123_LABEL_FORMAT, 'my-name', '123-abc'));
  }
  return errors;
}

/**
 * `IsQualifiedName` (label keys, annotation keys, finalizers): `name` or `prefix/name`, the prefix a DNS
 * subdomain, the name at most 63 bytes of [-A-Za-z0-9_.] starting and ending alphanumeric.
 */
export function isQualifiedName(value: string): string[] {
  const parts = value.split('/');
  if (parts.length > 2) {
    const shape = regexError(QUALIFIED_NAME_MESSAGE, QUALIFIED_NAME_FORMAT, 'MyName', 'my.name', '123-abc');
    return [`a qualified name ${shape} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  const errors: string[] = [];
  const name = parts.length === 2 ? (parts[1] ?? '') : (parts[0] ?? '');
  if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    if (prefix === '') errors.push(`prefix part ${EMPTY_ERROR}`);
    else errors.push(...isDns1123Subdomain(prefix).map((error) => `prefix part ${error}`));
  }
  if (name === '') errors.push(`name part ${EMPTY_ERROR}`);
  else if (byteLength(name) > QUALIFIED_NAME_MAX_LENGTH) errors.push(`name part ${maxLenError(QUALIFIED_NAME_MAX_LENGTH)}`);
  if (!QUALIFIED_NAME.test(name)) errors.push(`name part ${regexError(QUALIFIED_NAME_MESSAGE, QUALIFIED_NAME_FORMAT, 'MyName', 'my.name', '123-abc')}`);
  return errors;
}

/** `IsValidLabelValue`: empty, or at most 63 bytes shaped like a qualified name's name part. */
export function isValidLabelValue(value: string): string[] {
  const errors: string[] = [];
  if (byteLength(value) > LABEL_VALUE_MAX_LENGTH) errors.push(maxLenError(LABEL_VALUE_MAX_LENGTH));
  if (!LABEL_VALUE.test(value)) errors.push(regexError(LABEL_VALUE_MESSAGE, LABEL_VALUE_FORMAT, 'MyValue', 'my_value', '12345'));
  return errors;
}

// ---- Name rules (api/validation/generic.go, api/validation/path/name.go) ----

/** A ValidateNameFunc: `prefix` is true for a generateName, to which random characters will be appended. */
export type NameRule = (name: string, prefix: boolean) => string[];

/** `maskTrailingDash`, as written: a trailing dash and the character before it become one "a". */
function maskTrailingDash(name: string): string {
  return name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}

/** `NameIsDNSSubdomain` (ValidateNodeName, and the rule for custom resources and events.k8s.io Events). */
export const nameIsDnsSubdomain: NameRule = (name, prefix) => isDns1123Subdomain(prefix ? maskTrailingDash(name) : name);

/** `ValidateNamespaceName` = `NameIsDNSLabel`. */
export const namespaceName: NameRule = (name, prefix) => isDns1123Label(prefix ? maskTrailingDash(name) : name);

/**
 * `path.ValidatePathSegmentName`: the only rule the generic registry applies to every name (rest.BeforeCreate
 * runs ValidateObjectMetaAccessor with it after the kind's own validation), so it is all a core/v1 Event's
 * name must satisfy.
 */
export const pathSegmentName: NameRule = (name, prefix) => {
  if (!prefix && (name === '.' || name === '..')) return [`may not be '${name}'`];
  return ['/', '%'].filter((bad) => name.includes(bad)).map((bad) => `may not contain '${bad}'`);
};

// ---- ObjectMeta (meta/v1/validation, api/validation/objectmeta.go) ----

/** apimachinery's TotalAnnotationSizeLimitB: the sum of the byte lengths of every key and value. */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;

/** `ValidateLabels`: each key a qualified name, each value a label value, errors on the one field. */
export function validateLabels(labels: Readonly<Record<string, string>>, field = 'metadata.labels'): FieldError[] {
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(labels)) {
    for (const detail of isQualifiedName(key)) errors.push(fieldInvalid(field, key, detail));
    for (const detail of isValidLabelValue(value)) errors.push(fieldInvalid(field, value, detail));
  }
  return errors;
}

/** `ValidateAnnotations`: keys are qualified names compared in lower case; values are free, but limited in total. */
export function validateAnnotations(annotations: Readonly<Record<string, string>>, field = 'metadata.annotations'): FieldError[] {
  const errors: FieldError[] = [];
  let size = 0;
  for (const [key, value] of Object.entries(annotations)) {
    for (const detail of isQualifiedName(key.toLowerCase())) errors.push(fieldInvalid(field, key, detail));
    size += byteLength(key) + byteLength(value);
  }
  if (size > MAX_ANNOTATIONS_BYTES) errors.push({ type: 'Too long', field, detail: `must have at most ${MAX_ANNOTATIONS_BYTES} bytes` });
  return errors;
}

/** `ValidateFinalizers`: each a qualified name; orphan and foreground deletion finalizers not both. */
function validateFinalizers(finalizers: JsonValue | undefined, field: string): FieldError[] {
  if (!Array.isArray(finalizers)) return [];
  const names = finalizers.filter((finalizer): finalizer is string => typeof finalizer === 'string');
  const errors = names.flatMap((name) => isQualifiedName(name).map((detail) => fieldInvalid(field, name, detail)));
  if (names.includes('orphan') && names.includes('foregroundDeletion')) {
    errors.push({ type: 'Invalid value', field, rendered: `[]string{${names.map((name) => JSON.stringify(name)).join(', ')}}`, detail: 'finalizer orphan and foregroundDeletion cannot be both set' });
  }
  return errors;
}

/** What ValidateObjectMetaAccessor checks besides the name: namespace, labels, annotations, finalizers. */
function commonMetaErrors(metadata: ObjectMeta, namespaced: boolean): FieldError[] {
  const errors: FieldError[] = [];
  const namespace = metadata.namespace ?? '';
  if (namespaced) {
    if (namespace === '') errors.push(fieldRequired('metadata.namespace'));
    else for (const detail of namespaceName(namespace, false)) errors.push(fieldInvalid('metadata.namespace', namespace, detail));
  } else if (namespace !== '') {
    errors.push({ type: 'Forbidden', field: 'metadata.namespace', detail: 'not allowed on this type' });
  }
  errors.push(...validateLabels(metadata.labels ?? {}));
  errors.push(...validateAnnotations(metadata.annotations ?? {}));
  errors.push(...validateFinalizers(metadata.finalizers, 'metadata.finalizers'));
  return errors;
}

/**
 * `ValidateObjectMetaAccessor(meta, namespaced, nameFn, "metadata")`, for a create (after name generation):
 * generateName checked as a prefix, name required (`name or generateName is required`) and checked, then the
 * common parts. Owner references and managed fields are not checked.
 */
export function objectMetaCreateErrors(metadata: ObjectMeta, namespaced: boolean, nameRule: NameRule): FieldError[] {
  const errors: FieldError[] = [];
  const { generateName, name } = metadata;
  if (generateName) for (const detail of nameRule(generateName, true)) errors.push(fieldInvalid('metadata.generateName', generateName, detail));
  if (name === '') errors.push(fieldRequired('metadata.name', 'name or generateName is required'));
  else for (const detail of nameRule(name, false)) errors.push(fieldInvalid('metadata.name', name, detail));
  errors.push(...commonMetaErrors(metadata, namespaced));
  return errors;
}

/**
 * The metadata checks of an update that can fail here: ValidateObjectMetaAccessorUpdate's label, annotation
 * and finalizer checks (name and namespace cannot change: the URL fixes them; the server keeps uid and
 * creationTimestamp).
 */
export function objectMetaUpdateErrors(metadata: ObjectMeta): FieldError[] {
  return [
    ...validateLabels(metadata.labels ?? {}),
    ...validateAnnotations(metadata.annotations ?? {}),
    ...validateFinalizers(metadata.finalizers, 'metadata.finalizers'),
  ];
}

// ---- Shape: what decoding into the Go type would refuse ----

function checkStringMap(value: JsonValue | undefined, field: string, what: string): void {
  if (value === undefined || value === null) return;
  if (!isJsonObject(value)) throw badRequest(`${what}: json: cannot unmarshal ${typeName(value)} into Go struct field ObjectMeta.${field} of type map[string]string`);
  for (const member of Object.values(value)) {
    if (typeof member !== 'string' && member !== undefined) {
      throw badRequest(`${what}: json: cannot unmarshal ${typeName(member)} into Go struct field ObjectMeta.${field} of type string`);
    }
  }
}

function typeName(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'object' : typeof value;
}

/**
 * Checks that a request body (or a patch result) decodes as an object with metadata, the way the Go
 * decoder would, and returns it typed; `kind` is only for the messages. Label and
 * annotation maps that are `null` are dropped, as decoding into a Go map would.
 */
export function asKubeObject(body: JsonValue, kind: { kind: string; version: string }): KubeObject {
  const what = kind.kind;
  const context = `${what} in version "${kind.version}" cannot be handled as a ${what}`;
  if (!isJsonObject(body)) throw badRequest(`${context}: json: cannot unmarshal ${typeName(body)} into Go value of type ${what}`);
  const metadata: JsonValue = body.metadata ?? {};
  if (!isJsonObject(metadata)) throw badRequest(`${context}: json: cannot unmarshal ${typeName(metadata)} into Go struct field ${what}.metadata of type ObjectMeta`);
  checkStringMap(metadata.labels, 'metadata.labels', context);
  checkStringMap(metadata.annotations, 'metadata.annotations', context);
  for (const field of ['name', 'generateName', 'namespace', 'resourceVersion', 'uid'] as const) {
    const value = metadata[field];
    if (value !== undefined && value !== null && typeof value !== 'string') {
      throw badRequest(`${context}: json: cannot unmarshal ${typeName(value)} into Go struct field ObjectMeta.metadata.${field} of type string`);
    }
  }
  const cleaned: JsonObject = { ...metadata };
  for (const field of ['labels', 'annotations', 'name', 'generateName', 'namespace', 'resourceVersion', 'uid'] as const) {
    if (cleaned[field] === null) delete cleaned[field];
  }
  cleaned.name ??= '';
  return { ...body, metadata: cleaned } as KubeObject;
}
