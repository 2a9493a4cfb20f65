import { readFileSync } from 'node:fs';
import { fsErrorText, LabellerError } from '../errors.ts';
import { formatFeatureFile, writeFileAtomically } from '../nfd/feature-file.ts';
import type { DesiredState, LabelTarget, ReconcileOutcome } from './label-target.ts';

/** The feature file as a target: rewritten when its content differs from what the devicetree says. */
export class FeatureFileTarget implements LabelTarget {
  readonly description: string;
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
    this.description = `feature file ${path}`;
  }

  /** A feature file holds labels only; features are ignored. */
  async reconcile({ labels: desired }: DesiredState): Promise<ReconcileOutcome> {
    const text = formatFeatureFile(desired);
    const labels = Object.keys(desired).length;
    if (readIfExists(this.#path) === text) return { result: 'unchanged', labels };
    writeFileAtomically(this.#path, text);
    return { result: 'applied', labels };
  }
}

/** The file's text, or undefined when there is none yet (or its folder is missing: the write then says so). */
function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new LabellerError(code === 'EACCES' || code === 'EPERM' ? 'FEATURES_FOLDER' : 'FEATURES_WRITE', `cannot read ${path}: ${fsErrorText(error)}`, { cause: error });
  }
}
