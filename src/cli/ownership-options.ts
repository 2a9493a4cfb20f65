import { type Command, Option } from 'commander';
import { NVIDIA_KEYS } from '../facts/nvidia-labels.ts';
import { isValidDnsLabel, isValidDnsSubdomain } from '../labels/kubernetes-names.ts';
import { type Ownership, ownership } from '../patch/ownership.ts';
import { accepting } from './arg-parsers.ts';
import { type LabelFlags, tegraPrefixOf } from './tree-options.ts';
import { UsageError } from './usage-error.ts';

/** --instance: which labeller this is, when several run on one node with the same --prefix. */
export function addInstanceOption(command: Command): Command {
  return command.addOption(
    new Option('--instance <name>', 'name of this labeller instance, for several on one node with the same --prefix (default: one instance per prefix)').argParser(parseInstance),
  );
}

export interface InstanceFlags {
  instance?: string;
}

/** The ownership record and namespaces of the instance the flags describe. */
export function labelOwnership(flags: LabelFlags & InstanceFlags): Ownership {
  const owner = ownership({ prefix: flags.prefix, tegraPrefix: tegraPrefixOf(flags), instance: flags.instance, borrowedKeys: NVIDIA_KEYS });
  const domain = owner.annotation.slice(0, owner.annotation.indexOf('/'));
  if (!isValidDnsSubdomain(domain)) throw new UsageError(`the ownership annotation ${owner.annotation} would be too long: use a shorter --prefix or --instance`);
  return owner;
}

const parseInstance = accepting(isValidDnsLabel, 'an instance name is a DNS label: lower-case letters, digits and "-", at most 63 characters');
