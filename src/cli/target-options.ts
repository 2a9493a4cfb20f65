import { type Command, Option } from 'commander';

/** --nfd-features-file / --publish-nodefeature: where labels go when NFD, not the labeller, owns node labels. */
export function addTargetOptions(command: Command, verb: string): Command {
  return command
    .addOption(
      new Option('--nfd-features-file <path>', `${verb} the labels in this NFD feature file (in NFD's features.d/) instead of on the node`).conflicts(
        'publishNodefeature',
      ),
    )
    .addOption(new Option('--publish-nodefeature', `${verb} the labels in an NFD NodeFeature object for nfd-master, instead of on the node`))
    .addOption(new Option('--nodefeature-namespace <ns>', 'namespace of the NodeFeature objects').env('POD_NAMESPACE').default('default'));
}

export interface TargetFlags {
  nfdFeaturesFile?: string;
  publishNodefeature?: boolean;
  nodefeatureNamespace: string;
}
