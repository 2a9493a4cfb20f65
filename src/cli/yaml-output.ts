// The YAML library, behind a dynamic import of this module: only `-o yaml` and `-o nodefeature` load it.
import { stringify } from 'yaml';

/** A mapping with double-quoted string values and plain keys: pasteable under `nodeSelector:`. */
export const quotedYaml = (value: unknown): string => stringify(value, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' });

export const plainYaml = (value: unknown): string => stringify(value);
