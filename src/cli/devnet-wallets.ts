/**
 * The wallets of a powchain devnet (docs/wallet.md): one per node, written as key files (test
 * network: unprotected) in a folder devnet prints, whose addresses the nodes' blocks pay; and
 * the payments devnet makes between them through the nodes' HTTP APIs while the network runs,
 * built and signed as `powchain wallet send` does it.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { hexToBytes } from '../primitives/bytes.js';
import { decodeAddress } from '../primitives/coin-address.js';
import { type KeyPair, keyPairFromSeed } from '../primitives/keys.js';
import { COIN } from '../primitives/params.js';
import { NodeClient } from '../wallet/api-client.js';
import { sortCoins } from '../wallet/coins.js';
import { sealSeed } from '../wallet/key-file.js';
import { writeNewKeyFile } from '../wallet/key-store.js';
import { DEFAULT_FEE_RATE, buildTransfer, planTransfer } from '../wallet/transfer.js';

export interface DevnetWallet {
  readonly path: string;
  readonly address: string;
  readonly keys: KeyPair;
}

/** Makes `count` wallets in `dir` (node-0.json, ...). */
export async function makeDevnetWallets(dir: string, count: number): Promise<DevnetWallet[]> {
  const wallets: DevnetWallet[] = [];
  for (let i = 0; i < count; i++) {
    const seed = new Uint8Array(randomBytes(32));
    const file = await sealSeed(seed, '');
    const path = join(dir, `node-${i}.json`);
    writeNewKeyFile(path, file);
    wallets.push({ path, address: file.address, keys: keyPairFromSeed(seed) });
    seed.fill(0);
  }
  return wallets;
}

/**
 * Pays `amount` from `from` to `to` through the node at `url`: its spendable coins, a transfer
 * with change at the wallet's default fee rate, signed for the node's network. The txid, or
 * why not (not enough yet, a refusal, a node that does not answer).
 */
export async function payBetween(
  url: string,
  from: DevnetWallet,
  to: DevnetWallet,
  amount: bigint,
): Promise<{ ok: true; txid: string } | { ok: false; reason: string }> {
  const client = new NodeClient(new URL(url), { timeoutMs: 5_000 });
  try {
    const status = await client.status();
    const coins = sortCoins((await client.address(from.address)).unspent).spendable;
    const plan = planTransfer({ coins, amount, feeRate: DEFAULT_FEE_RATE });
    if (!plan.ok) return plan;
    const payee = decodeAddress(to.address);
    if (!payee.ok) return payee;
    const built = buildTransfer(plan.value, from.keys, payee.keyHash, hexToBytes(status.root));
    return { ok: true, txid: await client.submit(built.encoded) };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

/** A payment of 0.1 to 2 coins, in whole hundredths. */
export function randomAmount(): bigint {
  return (BigInt(10 + Math.floor(Math.random() * 191)) * COIN) / 100n;
}

/** Every wallet's confirmed balance and the node's supply figures, read from the node at `url`. */
export async function readBalances(
  url: string,
  wallets: readonly DevnetWallet[],
): Promise<{ balances: bigint[]; unspent: bigint; subsidies: bigint } | { error: string }> {
  const status = async (): Promise<{ head: string; unspent: bigint; subsidies: bigint } | undefined> => {
    const response = await fetch(new URL('api/status', url), { signal: AbortSignal.timeout(5_000) });
    const answer = (await response.json()) as {
      head?: string;
      supply?: { unspent?: string; subsidies?: string } | null;
    };
    if (!answer.head || !answer.supply?.unspent || !answer.supply.subsidies) return undefined;
    return { head: answer.head, unspent: BigInt(answer.supply.unspent), subsidies: BigInt(answer.supply.subsidies) };
  };
  try {
    const client = new NodeClient(new URL(url), { timeoutMs: 5_000 });
    // The network is still mining: the balances count only if the head did not move while they were read.
    for (let attempt = 0; attempt < 20; attempt++) {
      const before = await status();
      if (!before) return { error: 'the node reports no supply' };
      const balances: bigint[] = [];
      for (const wallet of wallets) balances.push((await client.address(wallet.address)).balance);
      const after = await status();
      if (after?.head === before.head) return { balances, unspent: after.unspent, subsidies: after.subsidies };
    }
    return { error: 'the head kept moving while the balances were read' };
  } catch (error) {
    return { error: (error as Error).message };
  }
}
