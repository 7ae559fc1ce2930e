/**
 * Where a mining node's rewards go on a powchain network (docs/wallet.md): `--pay-to
 * <address>`, or else a wallet the node keeps in its `--data-dir` (`wallet.json`, made at
 * the first start: encrypted under POWCHAIN_PASSPHRASE when it is set, unprotected
 * otherwise), or else nobody.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAddress } from '../primitives/coin-address.js';
import { newKeyFile } from '../wallet/key-file.js';
import { readKeyFile, writeNewKeyFile } from '../wallet/key-store.js';

export const NODE_WALLET_FILE = 'wallet.json';

export interface NodeWallet {
  readonly path: string;
  readonly address: string;
  readonly keyHash: Uint8Array;
  /** Made at this start (not found in the data directory). */
  readonly created: boolean;
  readonly protected: boolean;
}

/** The wallet of a data directory: read, or made now. Throws WalletError (one line) on a file problem. */
export async function nodeWallet(dataDir: string): Promise<NodeWallet> {
  const path = join(dataDir, NODE_WALLET_FILE);
  const created = !existsSync(path);
  if (created) writeNewKeyFile(path, await newKeyFile(process.env.POWCHAIN_PASSPHRASE ?? ''));
  const file = readKeyFile(path);
  const decoded = decodeAddress(file.address);
  if (!decoded.ok) throw new RangeError(`${path}: ${decoded.reason}`);
  return { path, address: file.address, keyHash: decoded.keyHash, created, protected: file.protected };
}
