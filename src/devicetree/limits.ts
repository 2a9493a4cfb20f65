/**
 * What a devicetree may cost. A tree beyond these is refused with one error rather than read, so a hostile
 * or corrupt input cannot make the labeller (a 128 MiB pod) grow without bound. Measured worst cases at
 * these limits are in the README; the largest real blob seen (NVIDIA Orin, L4T) is 440 KB with 2,632 nodes,
 * 12,768 properties and nesting 11 deep.
 */

/**
 * Largest blob read: 2 MiB, 4.7× the largest real blob and the most an arm64 kernel accepts from its
 * bootloader (MAX_FDT_SIZE), so no arm64 machine's /sys/firmware/fdt is larger. Also bounds the property
 * bytes of an expanded tree, and the distinct property names of a blob, decoded.
 */
export const MAX_BLOB_BYTES = 2 * 1024 * 1024;

/** Nodes in one tree: 6× the largest real tree; about the node density of real blobs at MAX_BLOB_BYTES. */
export const MAX_NODES = 16_384;

/** Properties in one tree: 5× the largest real tree; about the property density of real blobs at MAX_BLOB_BYTES. */
export const MAX_PROPERTIES = 65_536;

/**
 * Node paths together, in bytes: 40× the largest real tree's (102 KB). Long names nested deep would
 * otherwise make every path, and a JSON dump that prints each, far larger than the blob.
 */
export const MAX_PATH_BYTES = 4 * 1024 * 1024;

/** Memory reservations in one blob: real ones have a handful (the corpus: at most 1). */
export const MAX_MEMORY_RESERVATIONS = 1024;

/** Linux refuses to unflatten trees deeper than this (FDT_MAX_DEPTH); deeper is corruption, not hardware. */
export const MAX_DEPTH = 64;

/** Human form of a byte limit for messages: "2 MiB". */
export const mebibytes = (bytes: number) => `${bytes / (1024 * 1024)} MiB`;
