// Output content negotiation, as the apiserver does it before serving any resource request (get.go's
// getResourceHandler and ListResource call negotiation.NegotiateOutputMediaType first), and the
// transformations an `as=` parameter asks for (handlers/response.go doTransformObject):
//
// - The Accept header is parsed as goautoneg.ParseAccept does: clauses split on ",", parameters on ";", q
//   taken out, then sorted with its Less (higher q, or a concrete type or subtype before "*").
// - negotiation.NegotiateMediaTypeOptions takes the first clause, and within it the first of the server's
//   serializers (application/json, application/yaml, application/vnd.kubernetes.protobuf) whose type it
//   matches, whose parameters acceptMediaTypeOptions accepts: `as`, `g`, `v` ask for a conversion, which
//   RequestScope.AllowsMediaTypeTransform allows only to meta.k8s.io v1 or v1beta1 Table (JSON or YAML) and
//   PartialObjectMetadata / PartialObjectMetadataList (any serializer); `stream` must be "watch"; `sv` must be
//   the meta version; others are ignored. Without a conversion, custom resources (which have no protobuf)
//   allow only JSON and YAML (RequestScope.StandardSerializers).
// - No clause acceptable: 406 NotAcceptable, "only the following media types are accepted: ..." (negotiation
//   errors.go errNotAcceptable). The error is then written by responsewriters.WriteObjectNegotiated, whose
//   own negotiation fails the same way, so it falls back to WriteRawJSON: indented JSON.
// - An empty Accept header gets the first serializer, JSON.
// - as=PartialObjectMetadata on a list, or as=PartialObjectMetadataList on one object, is a 406 from
//   asPartialObjectMetadata / asPartialObjectMetadataList, naming the Go type of the stored object.
//
// The fake writes JSON only: a clause that the real server would answer in YAML or protobuf is passed over
// here (client-go and kubectl always list JSON after protobuf), and a request that only accepts those is a
// 406 with a note saying why.

import type { JsonObject, KubeObject } from './json.ts';
import type { ResourceDef } from './resources.ts';
import { ApiError, type Status } from './status.ts';

const JSON_TYPE = 'application/json';
/** The media types a kube-apiserver serves for built-in resources, in its order. */
const SERVER_MEDIA_TYPES = [JSON_TYPE, 'application/yaml', 'application/vnd.kubernetes.protobuf'] as const;
const META_GROUP = 'meta.k8s.io';
const META_VERSIONS = ['v1', 'v1beta1'];

export type ConversionKind = 'Table' | 'PartialObjectMetadata' | 'PartialObjectMetadataList';

/** A conversion the client asked for and the server allows: always meta.k8s.io, v1 or v1beta1. */
export interface Conversion {
  kind: ConversionKind;
  version: string;
}

export interface Output {
  /** Undefined: the object as the resource's API serves it. */
  convert: Conversion | undefined;
}

interface Clause {
  type: string;
  subType: string;
  q: number;
  params: Map<string, string>;
}

/** goautoneg.ParseAccept. */
export function parseAccept(header: string): Clause[] {
  const clauses: Clause[] = [];
  for (const part of header.split(',')) {
    const [range = '', ...rawParams] = part.trim().split(';');
    const pieces = range.split('/');
    const type = (pieces[0] ?? '').trim();
    let subType: string;
    if (pieces.length === 1 && type === '*') subType = '*';
    else if (pieces.length === 2) subType = (pieces[1] ?? '').trim();
    else continue;
    const clause: Clause = { type, subType, q: 1, params: new Map() };
    for (const param of rawParams) {
      const equals = param.indexOf('=');
      if (equals < 0) continue;
      const token = param.slice(0, equals).trim();
      const value = param.slice(equals + 1);
      if (token === 'q') clause.q = Number.parseFloat(value) || 0;
      else clause.params.set(token, value.trim());
    }
    clauses.push(clause);
  }
  // accept_slice.Less is not a consistent order (a concrete type can come before a wildcard of higher q), so
  // the result depends on the algorithm: Go's sort.Sort insertion-sorts short slices (up to 12 elements,
  // more than any client sends), and so does this.
  const less = (a: Clause, b: Clause) => a.q > b.q || (a.type !== '*' && b.type === '*') || (a.subType !== '*' && b.subType === '*');
  for (let i = 1; i < clauses.length; i++) {
    for (let j = i; j > 0 && less(clauses[j] as Clause, clauses[j - 1] as Clause); j--) {
      [clauses[j - 1], clauses[j]] = [clauses[j] as Clause, clauses[j - 1] as Clause];
    }
  }
  return clauses;
}

const matches = (clause: Clause, mediaType: string) => {
  const [type, subType] = mediaType.split('/');
  return (clause.type === type && (clause.subType === subType || clause.subType === '*')) || (clause.type === '*' && clause.subType === '*');
};

/** acceptMediaTypeOptions with RequestScope.AllowsMediaTypeTransform: the clause's options for this serializer, or undefined. */
function acceptOptions(clause: Clause, mediaType: string, def: ResourceDef): Output | undefined {
  const as = clause.params.get('as');
  const group = clause.params.get('g');
  const version = clause.params.get('v');
  const stream = clause.params.get('stream');
  const serverVersion = clause.params.get('sv');
  if (stream !== undefined && stream !== '' && stream !== 'watch') return undefined;
  if (serverVersion !== undefined && serverVersion !== '' && serverVersion !== 'v1') return undefined;
  if (as === undefined && group === undefined && version === undefined) {
    // StandardSerializers: custom resources have no protobuf form.
    return def.builtIn || mediaType !== 'application/vnd.kubernetes.protobuf' ? { convert: undefined } : undefined;
  }
  if (group !== META_GROUP || version === undefined || !META_VERSIONS.includes(version)) return undefined;
  if (as === 'Table') return mediaType === 'application/vnd.kubernetes.protobuf' ? undefined : { convert: { kind: 'Table', version } };
  if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { convert: { kind: as, version } };
  return undefined;
}

function notAcceptable(message: string, options: { note?: string } = {}): ApiError {
  const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'NotAcceptable', code: 406 };
  return new ApiError(status, options);
}

/**
 * The output a request gets, or a 406. `accept` is the Accept header as sent (undefined or '' for none).
 */
export function negotiateOutput(accept: string | undefined, def: ResourceDef): Output {
  if (accept === undefined || accept.trim() === '') return { convert: undefined };
  let unservable: string | undefined;
  for (const clause of parseAccept(accept)) {
    for (const mediaType of SERVER_MEDIA_TYPES) {
      if (!matches(clause, mediaType)) continue;
      const options = acceptOptions(clause, mediaType, def);
      if (options === undefined) continue;
      if (mediaType === JSON_TYPE) return options;
      unservable ??= mediaType;
    }
  }
  const message = `only the following media types are accepted: ${SERVER_MEDIA_TYPES.join(', ')}`;
  const note = unservable === undefined ? undefined : `a real server would answer in ${unservable}; the fake API server writes JSON only`;
  throw notAcceptable(message, note === undefined ? {} : { note });
}

/**
 * True when an error can be written as an ordinary (compact) Status for this Accept header: when some
 * serializer is acceptable without a conversion. Otherwise WriteObjectNegotiated falls back to WriteRawJSON.
 */
export function acceptsPlainStatus(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return parseAccept(accept).some((clause) =>
    SERVER_MEDIA_TYPES.some((mediaType) => matches(clause, mediaType) && !clause.params.has('as') && !clause.params.has('g') && !clause.params.has('v')),
  );
}

/** The Go type of the stored object, as `%T` names it in asPartialObjectMetadata's messages. */
function goType(def: ResourceDef, list: boolean): string {
  if (!def.builtIn) return list ? '*unstructured.UnstructuredList' : '*unstructured.Unstructured';
  return `*core.${def.kind}${list ? 'List' : ''}`;
}

/** meta.AsPartialObjectMetadata: the object's metadata under PartialObjectMetadata's type. */
export function partialObjectMetadata(object: KubeObject, version: string): JsonObject {
  return { kind: 'PartialObjectMetadata', apiVersion: `${META_GROUP}/${version}`, metadata: object.metadata };
}

/** asPartialObjectMetadata, for a request that asked for one object's metadata. */
export function asPartialObjectMetadata(def: ResourceDef, object: KubeObject, convert: Conversion): JsonObject {
  if (convert.kind === 'PartialObjectMetadataList') {
    throw notAcceptable(`you requested PartialObjectMetadataList, but the requested object is not a list (${goType(def, false)})`);
  }
  return partialObjectMetadata(object, convert.version);
}

/** asPartialObjectMetadataList: the list's metadata (resourceVersion, continue, remainingItemCount) kept, items reduced. */
export function asPartialObjectMetadataList(def: ResourceDef, objects: readonly KubeObject[], listMetadata: JsonObject, convert: Conversion): JsonObject {
  if (convert.kind === 'PartialObjectMetadata') {
    throw notAcceptable(`you requested PartialObjectMetadata, but the requested object is a list (${goType(def, true)})`);
  }
  return {
    kind: 'PartialObjectMetadataList',
    apiVersion: `${META_GROUP}/${convert.version}`,
    metadata: listMetadata,
    items: objects.map((object) => partialObjectMetadata(object, convert.version)),
  };
}
