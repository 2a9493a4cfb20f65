import { type Command, Option } from 'commander';
import type { TargetOptions } from '../app/options.ts';
import { isValidDnsLabel } from '../labels/kubernetes-names.ts';
import { accepting, fileInWritableFolder } from './arg-parsers.ts';

/** --nfd-features-file / --publish-nodefeature: where labels go when NFD, not the labeller, owns node labels. */
export function addTargetOptions(command: Command, verb: string): Command {
  return command
    .addOption(
      new Option('--nfd-features-file <path>', `${verb} the labels in this NFD feature file (in NFD's features.d/) instead of on the node`)
        .argParser(fileInWritableFolder)
        .conflicts('publishNodefeature'),
    )
    .addOption(new Option('--publish-nodefeature', `${verb} the labels in an NFD NodeFeature object for nfd-master, instead of on the node`))
    .addOption(new Option('--nodefeature-namespace <ns>', 'namespace of the NodeFeature objects').env('POD_NAMESPACE').default('default').argParser(parseNamespace));
}

export interface TargetFlags {
  nfdFeaturesFile?: string;
  publishNodefeature?: boolean;
  nodefeatureNamespace: string;
}

export function targetOptions(flags: TargetFlags): TargetOptions {
  if (flags.nfdFeaturesFile !== undefined) return { kind: 'features-file', path: flags.nfdFeaturesFile };
  if (flags.publishNodefeature === true) return { kind: 'node-feature', namespace: flags.nodefeatureNamespace };
  return { kind: 'node' };
}

const parseNamespace = accepting(isValidDnsLabel, 'a namespace name is a DNS label: lower-case letters, digits and "-", at most 63 characters');
