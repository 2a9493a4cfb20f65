import type { DtNode } from './tree.ts';

/**
 * What marks `root` as a devicetree overlay (a .dtbo, which patches a base tree and describes no board), or
 * undefined for a base tree. dtc writes an overlay's changes under <fragment>/__overlay__ and, for the
 * references it cannot resolve alone, __fixups__ and __local_fixups__ at the root (dtc's overlay format;
 * Documentation/devicetree/overlay-notes.rst). Base trees built with -@ carry only __symbols__.
 */
export function overlayMarker(root: DtNode): string | undefined {
  for (const name of ['__fixups__', '__local_fixups__']) if (root.child(name) !== undefined) return `/${name}`;
  for (const fragment of root.children) if (fragment.child('__overlay__') !== undefined) return `${fragment.path}/__overlay__`;
  return undefined;
}
