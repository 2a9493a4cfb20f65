// Kubernetes' own rules for label keys and values (apimachinery's validation), used to check what we emit
// and by the test API server to reject what a real one rejects.

export const MAX_LABEL_NAME_LENGTH = 63;
const MAX_DNS_SUBDOMAIN_LENGTH = 253;

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function isValidLabelName(name: string): boolean {
  return name.length <= MAX_LABEL_NAME_LENGTH && LABEL_NAME.test(name);
}

/** Label values follow the name rules but may also be empty. */
export function isValidLabelValue(value: string): boolean {
  return value === '' || isValidLabelName(value);
}

export function isValidDnsSubdomain(value: string): boolean {
  return value.length <= MAX_DNS_SUBDOMAIN_LENGTH && DNS_SUBDOMAIN.test(value);
}

/** An RFC 1123 label (namespace names, --instance): at most 63 of [a-z0-9-], alphanumeric at both ends. */
export function isValidDnsLabel(value: string): boolean {
  return value.length <= MAX_LABEL_NAME_LENGTH && DNS_LABEL.test(value);
}

/** A full key: `name` or `prefix/name`, the prefix a DNS subdomain. */
export function isValidLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return isValidLabelName(key);
  return isValidDnsSubdomain(key.slice(0, slash)) && isValidLabelName(key.slice(slash + 1));
}
