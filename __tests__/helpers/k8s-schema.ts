// Validates one Kubernetes object (a parsed manifest) against the API's schemas, for tests of the Helm chart
// and of examples/.
//
// Two checks:
// 1. Types, enums, formats and required fields: the OpenAPI schemas compiled into kubernetes-models (built-in
//    kinds) and @kubernetes-models/prometheus-operator (monitoring.coreos.com), loaded per kind on first use.
// 2. Unknown fields. Those schemas do not reject them (a misspelt `readOnlyRootFileSystem` would pass), so
//    every field is also looked up in the type map of @kubernetes/client-node's generated models, the way
//    `kubectl apply --validate=strict` would reject it. That map exists for built-in kinds only: for custom
//    resources (ServiceMonitor, PodMonitor) unknown fields are NOT detected — see hasStrictFieldCheck().
import * as client from '@kubernetes/client-node';

/** API groups whose models live outside kubernetes-models. */
const MODEL_PACKAGES: Readonly<Record<string, string>> = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

interface Attribute {
  readonly baseName: string;
  readonly type: string;
}

const models = new Map<string, Promise<ModelClass | undefined>>();

/** Splits "apps/v1" into group and version; the core group is "". */
function groupVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

function loadModel(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  const key = `${apiVersion}/${kind}`;
  let model = models.get(key);
  if (model === undefined) {
    const { group, version } = groupVersion(apiVersion);
    // Checked before they become part of a module specifier.
    const wellFormed = /^[a-z0-9.-]*$/.test(group) && /^v\d+(?:(?:alpha|beta)\d+)?$/.test(version) && /^[A-Z][A-Za-z0-9]*$/.test(kind);
    const specifier = `${MODEL_PACKAGES[group] ?? 'kubernetes-models'}/${group === '' ? '' : `${group}/`}${version}/${kind}`;
    model = wellFormed
      ? import(specifier).then(
          (module: Record<string, unknown>) => {
            const found = module[kind] as (ModelClass & { apiVersion?: string; kind?: string }) | undefined;
            return found?.apiVersion === apiVersion && found.kind === kind ? found : undefined;
          },
          () => undefined,
        )
      : Promise.resolve(undefined);
    models.set(key, model);
  }
  return model;
}

function attributesOf(typeName: string): readonly Attribute[] | undefined {
  const candidate = (client as unknown as Record<string, unknown>)[typeName];
  if (typeof candidate !== 'function' || !('getAttributeTypeMap' in candidate)) return undefined;
  return (candidate as { getAttributeTypeMap(): readonly Attribute[] }).getAttributeTypeMap();
}

/** The @kubernetes/client-node model of a top-level kind, e.g. V1DaemonSet or CoreV1Event. */
function rootType(apiVersion: string, kind: string): string | undefined {
  const { group, version } = groupVersion(apiVersion);
  const v = version.charAt(0).toUpperCase() + version.slice(1);
  const firstLabel = group === '' ? 'core' : (group.split('.')[0] ?? '');
  const g = firstLabel.charAt(0).toUpperCase() + firstLabel.slice(1);
  return [`${g}${v}${kind}`, `${v}${kind}`].find((name) => {
    const fields = attributesOf(name)?.map((a) => a.baseName);
    return fields?.includes('apiVersion') === true && fields.includes('kind');
  });
}

/** Whether validate() also rejects unknown fields for this kind (true for built-in kinds, false for CRDs). */
export function hasStrictFieldCheck(apiVersion: string, kind: string): boolean {
  return rootType(apiVersion, kind) !== undefined;
}

const pointer = (path: string, key: string | number) => `${path}/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`;
const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Walks `value` as client-node type `type` and reports fields the type does not have. */
function unknownFields(value: unknown, type: string, path: string, errors: string[]): void {
  if (value === null || value === undefined) return;
  const list = /^Array<(.+)>$/.exec(type);
  if (list) {
    if (Array.isArray(value)) for (const [index, item] of value.entries()) unknownFields(item, list[1]!, pointer(path, index), errors);
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (isPlainObject(value)) for (const [key, item] of Object.entries(value)) unknownFields(item, map[1]!, pointer(path, key), errors);
    return;
  }
  const attributes = attributesOf(type);
  // Scalars, IntOrString, `any` and anything that is not an object here (the schema check reports wrong types).
  if (attributes === undefined || !isPlainObject(value)) return;
  const fields = new Map(attributes.map((a) => [a.baseName, a.type]));
  for (const [key, item] of Object.entries(value)) {
    const fieldType = fields.get(key);
    if (fieldType === undefined) errors.push(`${pointer(path, key)}: unknown field "${key}"`);
    else unknownFields(item, fieldType, pointer(path, key), errors);
  }
}

/**
 * Validates a parsed manifest; returns one line per problem (JSON-pointer path, then the message), empty when
 * valid. An unknown apiVersion/kind is an error, as is an object without metadata.name or generateName.
 */
export async function validate(object: unknown): Promise<string[]> {
  if (!isPlainObject(object)) return ['/: not an object'];
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return ['/: apiVersion and kind must be strings'];
  const Model = await loadModel(apiVersion, kind);
  if (Model === undefined) return [`/: unknown kind ${kind} in ${apiVersion}`];

  const errors: string[] = [];
  try {
    new Model(object).validate();
  } catch (error) {
    const details = (error as { errors?: readonly { instancePath?: string; message?: string }[] }).errors;
    if (details === undefined) throw error;
    for (const detail of details) errors.push(`${detail.instancePath === '' || detail.instancePath === undefined ? '/' : detail.instancePath}: ${detail.message ?? 'invalid'}`);
  }
  const metadata = object.metadata;
  if (!isPlainObject(metadata) || (typeof metadata.name !== 'string' && typeof metadata.generateName !== 'string')) {
    errors.push('/metadata: name or generateName is required');
  }
  const root = rootType(apiVersion, kind);
  if (root !== undefined) unknownFields(object, root, '', errors);
  return errors;
}
