export const LABEL_OUTPUT_FORMATS = ['text', 'json', 'yaml'] as const;
export type LabelOutputFormat = (typeof LABEL_OUTPUT_FORMATS)[number];

/**
 * text: `key=value` lines, sorted, ready for `kubectl label node NAME ...`;
 * json: one flat object; yaml: a mapping with quoted values, pasteable under `nodeSelector:`. The YAML
 * library is loaded only for yaml: the dry run's usual outputs do not pay for it.
 */
export async function formatLabels(labels: Readonly<Record<string, string>>, format: LabelOutputFormat): Promise<string> {
  switch (format) {
    case 'text':
      return Object.entries(labels)
        .map(([key, value]) => `${key}=${value}\n`)
        .join('');
    case 'json':
      return `${JSON.stringify(labels, null, 2)}\n`;
    case 'yaml': {
      const { quotedYaml } = await import('./yaml-output.ts');
      return Object.keys(labels).length === 0 ? '{}\n' : quotedYaml(labels);
    }
  }
}
