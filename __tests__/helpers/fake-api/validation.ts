// What the real API server checks on every write of object metadata (apimachinery's ValidateObjectMeta),
// with its messages. Whether a key or value is valid is decided by the project's own validators in
// src/labels/kubernetes-names.ts, so the fake and the labeller cannot drift apart; the wording of the
// explanation follows apimachinery's validation package.

import { isValidDnsSubdomain, isValidLabelKey, isValidLabelName, isValidLabelValue } from '../../../src/labels/kubernetes-names.ts';
import { type JsonObject, type JsonValue, type KubeObject, isJsonObject } from './json.ts';
import { type FieldError, badRequest, fieldInvalid, fieldRequired } from './status.ts';

const QUALIFIED_NAME_MESSAGE = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_FORMAT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED_NAME_PATTERN = new RegExp(`^${QUALIFIED_NAME_FORMAT}$`);
const DNS_SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS_SUBDOMAIN_FORMAT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';
const DNS_SUBDOMAIN_PATTERN = new RegExp(`^${DNS_SUBDOMAIN_FORMAT}$`);
const LABEL_VALUE_MESSAGE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FORMAT = `(${QUALIFIED_NAME_FORMAT})?`;
const MAX_NAME_PART = 63;
const MAX_SUBDOMAIN = 253;
/** apimachinery's TotalAnnotationSizeLimitB. */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;

/** apimachinery's RegexError, double spaces between examples included. */
function regexError(message: string, format: string, ...examples: string[]): string {
  const shown = examples.map((example) => `'${example}', `).join(' or ');
  return `${message} (e.g. ${shown}regex used for validation is '${format}')`;
}

const maxLengthError = (length: number) => `must be no more than ${length} characters`;

function dnsSubdomainErrors(value: string): string[] {
  if (isValidDnsSubdomain(value)) return [];
  const errors: string[] = [];
  if (value.length > MAX_SUBDOMAIN) errors.push(maxLengthError(MAX_SUBDOMAIN));
  if (!DNS_SUBDOMAIN_PATTERN.test(value)) errors.push(regexError(DNS_SUBDOMAIN_MESSAGE, DNS_SUBDOMAIN_FORMAT, 'example.com'));
  return errors;
}

function namePartErrors(name: string): string[] {
  if (isValidLabelName(name)) return [];
  const errors: string[] = [];
  if (name === '') errors.push('name part must be non-empty');
  else if (name.length > MAX_NAME_PART) errors.push(`name part ${maxLengthError(MAX_NAME_PART)}`);
  if (!QUALIFIED_NAME_PATTERN.test(name)) errors.push(`name part ${regexError(QUALIFIED_NAME_MESSAGE, QUALIFIED_NAME_FORMAT, 'MyName', 'my.name', '123-abc')}`);
  return errors;
}

/** `validation.IsQualifiedName`: why a label (or annotation) key is not valid; empty when it is. */
export function qualifiedNameErrors(key: string): string[] {
  if (isValidLabelKey(key)) return [];
  const parts = key.split('/');
  if (parts.length > 2) {
    const shape = regexError(QUALIFIED_NAME_MESSAGE, QUALIFIED_NAME_FORMAT, 'MyName', 'my.name', '123-abc');
    return [`a qualified name ${shape} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  const errors: string[] = [];
  if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    if (prefix === '') errors.push('prefix part must be non-empty');
    else errors.push(...dnsSubdomainErrors(prefix).map((error) => `prefix part ${error}`));
  }
  errors.push(...namePartErrors(parts[parts.length - 1] ?? ''));
  return errors;
}

/** `validation.IsValidLabelValue`. */
export function labelValueErrors(value: string): string[] {
  if (isValidLabelValue(value)) return [];
  const errors: string[] = [];
  if (value.length > MAX_NAME_PART) errors.push(maxLengthError(MAX_NAME_PART));
  if (value !== '' && !QUALIFIED_NAME_PATTERN.test(value)) {
    errors.push(regexError(LABEL_VALUE_MESSAGE, LABEL_VALUE_FORMAT, 'MyValue', 'my_value', '12345'));
  }
  return errors;
}

export function validateLabels(labels: Readonly<Record<string, string>>, field = 'metadata.labels'): FieldError[] {
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(labels)) {
    for (const detail of qualifiedNameErrors(key)) errors.push(fieldInvalid(field, key, detail));
    for (const detail of labelValueErrors(value)) errors.push(fieldInvalid(field, value, detail));
  }
  return errors;
}

/** Annotation keys are qualified names compared case-insensitively; values are free, but limited in total. */
export function validateAnnotations(annotations: Readonly<Record<string, string>>): FieldError[] {
  const field = 'metadata.annotations';
  const errors: FieldError[] = [];
  let size = 0;
  for (const [key, value] of Object.entries(annotations)) {
    for (const detail of qualifiedNameErrors(key.toLowerCase())) errors.push(fieldInvalid(field, key, detail));
    size += key.length + value.length;
  }
  if (size > MAX_ANNOTATIONS_BYTES) errors.push({ type: 'Too long', field, detail: `must have at most ${MAX_ANNOTATIONS_BYTES} bytes` });
  return errors;
}

/** What ValidateObjectMeta checks that matters here: the name (on create), labels and annotations. */
export function validateMetadata(object: KubeObject, options: { checkName: boolean }): FieldError[] {
  const { metadata } = object;
  const errors: FieldError[] = [];
  if (options.checkName) {
    if (metadata.name === '') errors.push(fieldRequired('metadata.name', 'name or generateName is required'));
    else for (const detail of dnsSubdomainErrors(metadata.name)) errors.push(fieldInvalid('metadata.name', metadata.name, detail));
  }
  errors.push(...validateLabels(metadata.labels ?? {}));
  errors.push(...validateAnnotations(metadata.annotations ?? {}));
  return errors;
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
