import { MAX_LABEL_NAME_LENGTH } from './kubernetes-names.ts';

/**
 * Vendor prefixes renamed in label names, kept as the Go labeller had them so existing selectors match. A Map,
 * not an object literal: the vendor comes from the blob, and "constructor" or "__proto__" must find nothing.
 */
const VENDOR_ALIASES: ReadonlyMap<string, string> = new Map([['xlnx', 'xilinx']]);

const HASH_LENGTH = 8;

/**
 * Turns one compatible string into a valid label name, or undefined when nothing usable remains.
 * "nvidia,tegra210-gm20b" → "nvidia-tegra210-gm20b"; "xlnx,zynqmp" → "xilinx-zynqmp";
 * "qcom,msm8916-mtp/1" → "qcom-msm8916-mtp-1". Names longer than 63 characters are cut and end in a
 * hash of the whole compatible, so two long compatibles sharing a prefix still get distinct keys.
 */
export function compatibleToLabelName(compatible: string): string | undefined {
  const comma = compatible.indexOf(',');
  const vendor = compatible.slice(0, comma);
  const joined = comma < 0 ? compatible : `${VENDOR_ALIASES.get(vendor) ?? vendor}-${compatible.slice(comma + 1)}`;
  const name = trimToAlphanumeric(joined.replace(/[^A-Za-z0-9._-]/g, '-'));
  if (name === '') return undefined;
  if (name.length <= MAX_LABEL_NAME_LENGTH) return name;
  // node:crypto only now: loading it costs the dry run about 10 ms, for names few trees have.
  const hash = process.getBuiltinModule('node:crypto').createHash('sha256').update(compatible, 'latin1').digest('hex').slice(0, HASH_LENGTH);
  return `${trimToAlphanumeric(name.slice(0, MAX_LABEL_NAME_LENGTH - HASH_LENGTH - 1))}-${hash}`;
}

function trimToAlphanumeric(name: string): string {
  return name.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
}
