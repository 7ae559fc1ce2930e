/**
 * `powchain wallet new|address|balance|send|history` (docs/wallet.md): a key in an encrypted
 * key file, and coins watched and sent through a node's HTTP API. Amounts are read and
 * printed in coins with 8 decimals. Every failure is one `powchain: ...` line on stderr and
 * exit code 1; results go to stdout (`--json` for scripts), prompts and notes to stderr.
 */
import { homedir } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { FormatError, hexToBytes } from '../primitives/bytes.js';
import { formatCoins, parseCoins } from '../primitives/amount.js';
import { decodeAddress, encodeAddress } from '../primitives/coin-address.js';
import { HASH_BYTES } from '../primitives/limits.js';
import { quote } from '../primitives/quote.js';
import type { KeyPair } from '../primitives/keys.js';
import type { AddressAnswer, HistoryEntry, UnspentOutput } from '../wallet/api-answers.js';
import { DEFAULT_NODE_URL, NodeClient, NodeTransportError, parseNodeUrl } from '../wallet/api-client.js';
import { sortCoins, sumOf, type WalletCoins } from '../wallet/coins.js';
import { WalletError } from '../wallet/errors.js';
import { newKeyFile, openKeyFile, type KeyFile } from '../wallet/key-file.js';
import { checkNoWalletAt, defaultWalletPath, readKeyFile, writeNewKeyFile } from '../wallet/key-store.js';
import { askHidden } from '../wallet/prompt.js';
import { DEFAULT_FEE_RATE, MAX_FEE_RATE, NODE_MIN_FEE_RATE, buildTransfer, planTransfer } from '../wallet/transfer.js';
import { integerOption } from './options.js';

const PASSPHRASE_VARIABLE = 'POWCHAIN_PASSPHRASE';

interface WalletOptions {
  wallet: string;
}

interface NodeOptions extends WalletOptions {
  node: URL;
  json?: boolean;
}

interface SendOptions extends NodeOptions {
  feeRate: number;
}

// ---- options ---------------------------------------------------------------------------

function nodeUrlOption(text: string): URL {
  const verdict = parseNodeUrl(text);
  if (!verdict.ok) throw new InvalidArgumentError(verdict.reason);
  return verdict.value;
}

const walletOption = (): Option =>
  new Option('--wallet <file>', 'the key file').default(defaultWalletPath(homedir()), '~/.powchain/wallet.json');

const nodeOption = (): Option =>
  new Option('--node <url>', "a node's HTTP API: http(s)://host:port[/path], or host:port (the node's --api address)")
    .argParser(nodeUrlOption)
    .default(nodeUrlOption(DEFAULT_NODE_URL), DEFAULT_NODE_URL);

const jsonOption = (): Option => new Option('--json', 'print one JSON object instead of text (amounts in coins)');

/** A command whose parse errors are `powchain: ...` lines too, like its own failures. */
function commandWithPowchainErrors(name: string): Command {
  return new Command(name).configureOutput({
    outputError: (text, write) => write(`powchain: ${text.replace(/^error: /, '')}`),
  });
}

/** Runs an action, printing a WalletError as one `powchain:` line with exit code 1. */
function reporting<A extends unknown[]>(work: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await work(...args);
    } catch (error) {
      if (!(error instanceof WalletError)) throw error;
      process.stderr.write(`powchain: ${error.message}\n`);
      process.exitCode = 1;
    }
  };
}

// ---- passphrases -----------------------------------------------------------------------

const NO_PASSPHRASE = `no passphrase: set ${PASSPHRASE_VARIABLE}, or run on a terminal to be asked for it`;

/** Asks on the terminal; `undefined` when there is none. */
async function ask(question: string): Promise<string | undefined> {
  if (!process.stdin.isTTY) return undefined;
  return askHidden(question, process.stdin, process.stderr);
}

/** The passphrase of a new wallet: the variable, or typed twice. */
async function newPassphrase(): Promise<string> {
  const fromEnvironment = process.env[PASSPHRASE_VARIABLE];
  const empty = 'an empty passphrase protects nothing: choose one, or use --insecure-no-passphrase for a test network';
  if (fromEnvironment !== undefined) {
    if (fromEnvironment === '') throw new WalletError(`${PASSPHRASE_VARIABLE} is empty; ${empty}`);
    return fromEnvironment;
  }
  const first = await ask('passphrase for the new wallet: ');
  if (first === undefined)
    throw new WalletError(`${NO_PASSPHRASE} (or use --insecure-no-passphrase for a test network)`);
  if (first === '') throw new WalletError(empty);
  const again = await ask('the same passphrase again: ');
  if (again !== first) throw new WalletError('the two passphrases differ; nothing was written');
  return first;
}

/** The keys of a wallet: no passphrase for an unprotected file, else the variable or one typed. */
async function unlock(file: KeyFile, path: string): Promise<KeyPair> {
  let passphrase = '';
  if (file.protected) {
    const given = process.env[PASSPHRASE_VARIABLE] ?? (await ask(`passphrase for ${path}: `));
    if (given === undefined) throw new WalletError(NO_PASSPHRASE);
    passphrase = given;
  }
  const opened = await openKeyFile(file, passphrase);
  if (!opened.ok) throw new WalletError(`cannot open the wallet ${path}: ${opened.reason}`);
  return opened.value;
}

// ---- output ----------------------------------------------------------------------------

function rows(pairs: Array<[string, string]>): string {
  const width = Math.max(...pairs.map(([key]) => key.length)) + 2;
  return pairs.map(([key, value]) => key.padEnd(width) + value + '\n').join('');
}

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

function signedCoins(units: bigint): string {
  return (units > 0n ? '+' : '') + formatCoins(units);
}

/** Unconfirmed first, then by height, newest first; the node's order among equals. */
function newestFirst(history: readonly HistoryEntry[]): HistoryEntry[] {
  const rank = (entry: HistoryEntry): number => entry.height ?? Infinity;
  return history
    .map((entry, position) => ({ entry, position }))
    .sort((a, b) => rank(b.entry) - rank(a.entry) || a.position - b.position)
    .map(({ entry }) => entry);
}

/** The coins that are not spendable now, by reason: the key, its row in the balance report, a note. */
const WAITING: Array<[keyof Omit<WalletCoins, 'spendable'>, string, string]> = [
  ['immature', 'immature', 'coinbase outputs, spendable once mature'],
  ['spending', 'being spent', 'by transfers waiting in the mempool'],
  ['unconfirmed', 'unconfirmed', 'not in a block yet'],
  ['locked', 'not spendable', 'the node did not say why'],
];

function balanceReport(answer: AddressAnswer, json: boolean): string {
  const coins = sortCoins(answer.unspent);
  if (json) {
    const summary: Record<string, unknown> = {
      address: answer.address,
      balance: formatCoins(answer.balance),
      spendable: formatCoins(sumOf(coins.spendable)),
    };
    for (const [kind] of WAITING) summary[kind] = formatCoins(sumOf(coins[kind]));
    summary.outputs = Object.fromEntries(Object.entries(coins).map(([kind, list]) => [kind, list.length]));
    return JSON.stringify(summary) + '\n';
  }
  const amount = (list: readonly UnspentOutput[]): string =>
    `${formatCoins(sumOf(list))} in ${plural(list.length, 'output')}`;
  const lines: Array<[string, string]> = [
    ['address', answer.address],
    ['balance', `${formatCoins(answer.balance)} (confirmed)`],
    ['spendable', amount(coins.spendable)],
  ];
  for (const [kind, label, note] of WAITING) {
    if (coins[kind].length > 0) lines.push([label, `${amount(coins[kind])} (${note})`]);
  }
  return rows(lines);
}

function historyReport(answer: AddressAnswer, json: boolean): string {
  const history = newestFirst(answer.history);
  if (json) {
    const entries = history.map((entry) => ({
      txid: entry.txid,
      height: entry.height,
      amount: signedCoins(entry.delta),
    }));
    return JSON.stringify({ address: answer.address, history: entries }) + '\n';
  }
  if (history.length === 0) return `no transactions yet for ${answer.address}\n`;
  const table = [
    ['height', 'amount', 'txid'],
    ...history.map((entry) => [
      entry.height === null ? 'pending' : String(entry.height),
      signedCoins(entry.delta),
      entry.txid,
    ]),
  ];
  const heightWidth = Math.max(...table.map((row) => row[0]!.length));
  const amountWidth = Math.max(...table.map((row) => row[1]!.length));
  return table
    .map(([height, amount, txid]) => `${height!.padStart(heightWidth)}  ${amount!.padStart(amountWidth)}  ${txid}\n`)
    .join('');
}

// ---- commands --------------------------------------------------------------------------

function newCommand(): Command {
  return commandWithPowchainErrors('new')
    .description(
      `create a wallet: a new key in a key file (mode 0600, its folder 0700), the key encrypted with ` +
        `scrypt + AES-256-GCM under a passphrase (from ${PASSPHRASE_VARIABLE}, or asked twice on the terminal); ` +
        'never overwrites a file; prints the address',
    )
    .addOption(walletOption())
    .option(
      '--insecure-no-passphrase',
      'for a test network: an empty passphrase (anyone who can read the file can spend the coins)',
    )
    .action(
      reporting(async (options: WalletOptions & { insecureNoPassphrase?: boolean }) => {
        checkNoWalletAt(options.wallet);
        const passphrase = options.insecureNoPassphrase ? '' : await newPassphrase();
        const file = await newKeyFile(passphrase);
        writeNewKeyFile(options.wallet, file);
        process.stdout.write(file.address + '\n');
        process.stderr.write(
          `wrote ${options.wallet}` +
            (file.protected
              ? '; keep a copy of it and of the passphrase: without both, its coins are lost\n'
              : '; it has no passphrase: use it on test networks only\n'),
        );
      }),
    );
}

function addressCommand(): Command {
  return commandWithPowchainErrors('address')
    .description("print the wallet's address (no passphrase needed)")
    .addOption(walletOption())
    .action(
      reporting(async (options: WalletOptions) => {
        process.stdout.write(readKeyFile(options.wallet).address + '\n');
      }),
    );
}

/** A read-only report on the wallet's address, as the node answers for it (no passphrase needed). */
function addressReportCommand(
  name: string,
  description: string,
  report: (answer: AddressAnswer, json: boolean) => string,
): Command {
  return commandWithPowchainErrors(name)
    .description(description)
    .addOption(walletOption())
    .addOption(nodeOption())
    .addOption(jsonOption())
    .action(
      reporting(async (options: NodeOptions) => {
        const file = readKeyFile(options.wallet);
        const answer = await new NodeClient(options.node).address(file.address);
        process.stdout.write(report(answer, options.json === true));
      }),
    );
}

function balanceCommand(): Command {
  return addressReportCommand(
    'balance',
    "the wallet's confirmed balance, what it can spend now and what is not spendable yet, " +
      'as the node tells (no passphrase needed)',
    balanceReport,
  );
}

function historyCommand(): Command {
  return addressReportCommand(
    'history',
    "the wallet's transactions as the node lists them, newest first (pending ones on top): " +
      'height, what each added to or took from the balance in coins, txid (no passphrase needed)',
    historyReport,
  );
}

function parseAmount(text: string): bigint {
  let units: bigint;
  try {
    units = parseCoins(text);
  } catch (error) {
    if (error instanceof FormatError) throw new WalletError(error.message);
    throw error;
  }
  if (units === 0n) throw new WalletError('the amount must be more than 0');
  return units;
}

function sendCommand(): Command {
  return commandWithPowchainErrors('send')
    .description(
      'pay <amount> coins (up to 8 decimals, like 1.5) to <address>: takes coins largest first, adds change back to ' +
        "the wallet (unless it is smaller than the fee to spend it), signs for the node's network, submits, prints the txid",
    )
    .argument('<address>', 'the payee, pow1... (a typo fails its checksum)')
    .argument('<amount>', 'coins, at most 8 decimals')
    .addOption(walletOption())
    .addOption(nodeOption())
    .addOption(
      new Option(
        '--fee-rate <units>',
        `fee in base units per byte of the transaction (nodes ask at least ${NODE_MIN_FEE_RATE})`,
      )
        .argParser(integerOption('fee rate', Number(NODE_MIN_FEE_RATE), Number(MAX_FEE_RATE)))
        .default(Number(DEFAULT_FEE_RATE)),
    )
    .addOption(jsonOption())
    .action(
      reporting(async (to: string, amountText: string, options: SendOptions) => {
        const payee = decodeAddress(to.trim());
        if (!payee.ok) throw new WalletError(`cannot pay ${quote(to)}: ${payee.reason}`);
        const amount = parseAmount(amountText);
        const file = readKeyFile(options.wallet);
        const node = new NodeClient(options.node);
        const status = await node.status();
        if (status.network !== 'powchain') {
          throw new WalletError(`the node at ${node.name} runs the seed network, which has no transactions`);
        }
        const coins = sortCoins((await node.address(file.address)).unspent);
        const feeRate = BigInt(options.feeRate);
        const plan = planTransfer({ coins: coins.spendable, amount, feeRate });
        if (!plan.ok) {
          const waiting = WAITING.reduce((sum, [kind]) => sum + sumOf(coins[kind]), 0n);
          const more = waiting > 0n ? ` (${formatCoins(waiting)} more is not spendable yet)` : '';
          throw new WalletError(plan.reason + more);
        }
        const keys = await unlock(file, options.wallet);
        const built = buildTransfer(plan.value, keys, payee.keyHash, hexToBytes(status.root, 'root', HASH_BYTES));
        const txid = await node.submit(built.encoded).catch((error: unknown) => {
          if (!(error instanceof NodeTransportError)) throw error;
          // The transaction may have reached the node: say which one, so it can be looked up.
          throw new WalletError(`${error.message}; transaction ${built.txid} may or may not have reached it`);
        });
        if (txid !== built.txid) {
          throw new WalletError(`the node answered txid ${txid} for the transaction ${built.txid}`);
        }
        const { fee, change, bytes, inputs } = plan.value;
        const address = encodeAddress(payee.keyHash);
        if (options.json) {
          const summary = {
            txid,
            to: address,
            amount: formatCoins(amount),
            fee: formatCoins(fee),
            change: formatCoins(change),
            bytes,
            inputs: inputs.length,
          };
          process.stdout.write(JSON.stringify(summary) + '\n');
          return;
        }
        process.stderr.write(
          `sent ${formatCoins(amount)} to ${address}, fee ${formatCoins(fee)} (${bytes} bytes, ` +
            `${plural(inputs.length, 'input')}), change ${formatCoins(change)}\n`,
        );
        process.stdout.write(txid + '\n');
      }),
    );
}

export function walletCommand(): Command {
  return commandWithPowchainErrors('wallet')
    .description("a key in an encrypted file, and coins watched and sent through a node's HTTP API (docs/wallet.md)")
    .addCommand(newCommand())
    .addCommand(addressCommand())
    .addCommand(balanceCommand())
    .addCommand(sendCommand())
    .addCommand(historyCommand());
}
