// "Why is my GPU not labelled?": nodes that look like GPUs or AI accelerators but gave no labels. Hints
// for `labels -o wide`, never labels themselves.
import type { DtNode } from '../devicetree/tree.ts';
import type { Selection } from './select-nodes.ts';

export interface UnlabelledDevice {
  readonly node: DtNode;
  /** True when a rule picks it but its status is not "okay"; false when no rule picks it. */
  readonly selectedButDisabled: boolean;
}

/** Node base names (unit address and trailing index cut) of GPUs and accelerators in real trees. */
const ACCELERATOR_NAMES = /^(gpu|npu|tpu|dla|nvdla|pva|v3d|mali|galcore|rknpu|gk20a|gm20b|gp10b|gv11b|ga10b)$/;
/**
 * The model part of a compatible ("arm,mali-bifrost" → "mali-bifrost") that names a GPU or accelerator
 * itself, not one of its parts: "brcm,2711-v3d", "amlogic,meson-g12a-mali", "qcom,adreno-630.2" do;
 * "qcom,adreno-smmu", "qcom,adreno-gmu-630.2", "qcom,sc7180-npu-noc", "arm,mali-dp500" (a display) do not.
 */
const ACCELERATOR_MODELS =
  /^([a-z0-9.]+-)*(gpu|npu|tpu|v3d|vc4|mali|nvdla|pva|rknpu|galcore|edgetpu|gk20a|gm20b|gp10b|gv11b|ga10b)$|^(mali|adreno|powervr|sgx)(-(?!dp|smmu|gmu)[a-z0-9.]+)?$/;

/** The shortest -n name that selects this node: "nvdla" for nvdla0@15880000 (digits and @ may follow), else the full name. */
export function selectingName(node: DtNode): string {
  return node.unitAddress === undefined ? node.name : node.baseName.replace(/\d+$/, '') || node.baseName;
}

function looksLikeAccelerator(node: DtNode): boolean {
  if (ACCELERATOR_NAMES.test(node.baseName.replace(/\d+$/, ''))) return true;
  return node.compatibles.some((compatible) => {
    const comma = compatible.indexOf(',');
    return compatible.slice(0, comma).toLowerCase() === 'vivante' || ACCELERATOR_MODELS.test(compatible.slice(comma + 1).toLowerCase());
  });
}

/** GPU- and accelerator-like nodes, in tree order, that the selection left out (disabled or not selected). */
export function unlabelledAccelerators(root: DtNode, selection: Selection): UnlabelledDevice[] {
  const selected = new Set(selection.selected);
  const disabled = new Set(selection.disabled);
  const found: UnlabelledDevice[] = [];
  const reported = new Set<DtNode>();
  for (const node of root.walk()) {
    if (node === root || selected.has(node) || !looksLikeAccelerator(node)) continue;
    // Only nodes with a compatible can give labels; below a reported one are its parts (contexts, ports).
    if (node.compatibles.every((c) => c === '')) continue;
    if (node.parent !== undefined && reported.has(node.parent)) {
      reported.add(node);
      continue;
    }
    reported.add(node);
    found.push({ node, selectedButDisabled: disabled.has(node) });
  }
  return found;
}
