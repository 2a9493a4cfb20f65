import { LabellerError } from '../errors.ts';

/** A kubeconfig (or --api-server) that cannot be used, said in one line. Kept apart from kube-config.ts so the CLI can recognise it without loading client-node. */
export class KubeConfigError extends LabellerError {
  override readonly name = 'KubeConfigError';

  constructor(message: string) {
    super('KUBECONFIG', message);
  }
}
