/**
 * Runs `powchain mine ... --log json` as a real process and collects its JSON events, so
 * integration tests observe a node exactly as an operator's tooling (and devnet) would.
 */
import { type NodeProcess, isExit, isHead, spawnNode } from '../../src/cli/node-process.js';

export { isExit, isHead };

export interface PowchainNodeOptions {
  address: string;
  others: string[];
  genesis?: boolean;
  target: bigint;
  stopAtHeight?: number;
  threads?: number;
  engine?: string;
  extraArgs?: string[];
}

export type PowchainNode = NodeProcess & { readonly address: string };

export function startPowchainNode(options: PowchainNodeOptions): PowchainNode {
  const args = [
    options.address,
    options.others.join(','),
    ...(options.genesis ? ['genesis'] : []),
    '--target',
    '0x' + options.target.toString(16),
    '--threads',
    String(options.threads ?? 1),
    ...(options.engine ? ['--engine', options.engine] : []),
    ...(options.stopAtHeight !== undefined ? ['--stop-at-height', String(options.stopAtHeight)] : []),
    ...(options.extraArgs ?? []),
  ];
  return Object.assign(spawnNode(args, options.address), { address: options.address });
}
