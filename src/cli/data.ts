/**
 * `powchain data check <dir>` and `powchain data repair <dir>`: what a data directory holds,
 * whether its block log is whole, and cutting a damaged log back to its valid prefix with the
 * rest set aside (docs/block-log.md). Exit codes: 0 whole (or repaired), 1 damaged (check),
 * 2 the directory could not be read or repaired (one `powchain:` line on stderr).
 */
import { Command } from 'commander';
import { formatTarget } from '../primitives/target.js';
import { type DataCheck, type DataRepair, checkDataDir, repairDataDir } from '../store/data-check.js';
import { describeStoreError } from '../store/errors.js';
import type { LogNetwork } from '../store/log-format.js';

const count = (value: number): string => value.toLocaleString('en-US');
const blocks = (value: number): string => `${count(value)} block${value === 1 ? '' : 's'}`;
const records = (value: number): string => `${count(value)} whole record${value === 1 ? '' : 's'}`;

function networkJson(network: LogNetwork | undefined): object | null {
  if (network === undefined) return null;
  return network.network === 'seed' ? { network: 'seed', target: '0x' + network.target.toString(16) } : network;
}

function describeNetwork(network: LogNetwork | undefined): string {
  if (network === undefined) return 'none yet (an empty log: the network is written with the first block)';
  return network.network === 'seed' ? `seed, target ${formatTarget(network.target)}` : 'powchain';
}

export function checkJson(check: DataCheck): object {
  return {
    dir: check.dir,
    log: check.log,
    bytes: check.bytes,
    network: networkJson(check.network),
    records: check.records,
    torn_bytes: check.tornBytes,
    damage: check.damage
      ? {
          offset: check.damage.offset,
          record: check.damage.record,
          reason: check.damage.reason,
          detail: check.damage.detail,
          whole_records_after: check.damage.wholeRecordsAfter,
        }
      : null,
    chain: check.chain
      ? {
          blocks: check.chain.blocks,
          height: check.chain.height,
          head: check.chain.head,
          root: check.chain.root,
          refusal: check.chain.refusal ?? null,
        }
      : null,
    keep: check.keep,
    whole: check.whole,
    locked_by: check.lockedBy ?? null,
  };
}

/** What repair would keep, in words. */
function keepText(check: DataCheck): string {
  return `the first ${blocks(check.keep.records)} (bytes 0..${count(check.keep.bytes)})`;
}

export function checkText(check: DataCheck): string {
  const rows: Array<[string, string]> = [
    ['data directory', check.dir],
    ['log', `${check.log}, ${count(check.bytes)} bytes`],
    ['network', check.damage?.record === 0 ? 'unknown (no block log header)' : describeNetwork(check.network)],
    ['records', `${count(check.records)} whole`],
    [
      'torn tail',
      check.tornBytes === 0
        ? 'none'
        : `${count(check.tornBytes)} bytes (a write a crash cut short: the next start cuts it off, nothing is lost)`,
    ],
  ];
  const { damage, chain } = check;
  rows.push([
    'damage',
    damage === undefined
      ? 'none'
      : `at byte ${count(damage.offset)}, ${damage.record === 0 ? 'the header' : `record ${count(damage.record)}`}: ` +
        `${damage.reason}: ${damage.detail}` +
        (damage.wholeRecordsAfter > 0 ? ` (${records(damage.wholeRecordsAfter)} after it)` : ''),
  ]);
  if (chain === undefined) {
    rows.push(['chain', 'no blocks']);
  } else {
    rows.push(['chain', `${blocks(chain.blocks)} valid, height ${chain.height}`]);
    if (chain.blocks > 0) rows.push(['head', chain.head], ['root', chain.root]);
    if (chain.refusal) {
      rows.push([
        'refused',
        `record ${count(chain.refusal.record)} at byte ${count(chain.refusal.offset)}: ${chain.refusal.reason}`,
      ]);
    }
  }
  if (check.lockedBy !== undefined) {
    rows.push(['in use', `by process ${check.lockedBy} (a node may be appending while this reads)`]);
  }
  rows.push([
    'verdict',
    check.whole
      ? 'whole'
      : damage?.record === 0
        ? 'damaged: this is not a block log that repair can cut'
        : `damaged: \`powchain data repair ${check.dir}\` keeps ${keepText(check)} and sets the other ` +
          `${count(check.bytes - check.keep.bytes)} bytes aside`,
  ]);
  const width = Math.max(...rows.map(([key]) => key.length)) + 2;
  return rows.map(([key, value]) => key.padEnd(width) + value + '\n').join('');
}

export function repairText(repair: DataRepair): string {
  const { check } = repair;
  const chain = check.chain;
  const kept =
    chain && chain.blocks > 0
      ? `${blocks(check.keep.records)}, height ${chain.height}, head ${chain.head}`
      : blocks(check.keep.records);
  switch (repair.action) {
    case 'none':
      return `${check.log} is whole (${kept}): nothing to repair\n`;
    case 'cut-torn-tail':
      return `cut a torn tail of ${count(check.tornBytes)} bytes (a write a crash cut short) off ${check.log}; kept ${kept}\n`;
    case 'set-aside': {
      const damage = check.damage!;
      const where = chain?.refusal
        ? `record ${count(chain.refusal.record)}, refused: ${chain.refusal.reason}`
        : `record ${count(damage.record)}, ${damage.reason}` +
          (damage.wholeRecordsAfter > 0 ? `; ${records(damage.wholeRecordsAfter)} were among them` : '');
      return (
        `kept ${keptBytes(check)} of ${check.log}: ${kept}\n` +
        `moved the other ${count(repair.movedBytes)} bytes (from byte ${count(check.keep.bytes)}: ${where}) to ${repair.movedTo}\n`
      );
    }
  }
}

function keptBytes(check: DataCheck): string {
  return `bytes 0..${count(check.keep.bytes)}`;
}

export function repairJson(repair: DataRepair): object {
  return {
    action: repair.action,
    kept_records: repair.check.keep.records,
    kept_bytes: repair.check.keep.bytes,
    moved_to: repair.movedTo ?? null,
    moved_bytes: repair.movedBytes,
    check: checkJson(repair.check),
  };
}

/** Runs `work`, printing a store error as one `powchain:` line; the exit code. */
function reportingErrors(work: () => number): number {
  try {
    return work();
  } catch (error) {
    const message = describeStoreError(error);
    if (message === undefined) throw error;
    process.stderr.write(`powchain: ${message}\n`);
    return 2;
  }
}

function checkCommand(): Command {
  return new Command('check')
    .description(
      'read a data directory without changing it: network, records, torn tail, damage, and the chain ' +
        're-validated (height, head, root); exit 0 when whole, 1 when damaged, 2 when it cannot be read',
    )
    .argument('<dir>', 'the --data-dir of a node')
    .option('--json', 'print one JSON object instead of lines of text')
    .action((dir: string, options: { json?: boolean }) => {
      process.exitCode = reportingErrors(() => {
        const check = checkDataDir(dir);
        process.stdout.write(options.json ? JSON.stringify(checkJson(check)) + '\n' : checkText(check));
        return check.whole ? 0 : 1;
      });
    });
}

function repairCommand(): Command {
  return new Command('repair')
    .description(
      'keep the longest valid prefix of the block log and move the rest, untouched, to a file beside it ' +
        '(blocks.log.damaged-<time>); cut off a torn tail; refuses while a node holds the LOCK',
    )
    .argument('<dir>', 'the --data-dir of a stopped node')
    .option('--json', 'print one JSON object instead of lines of text')
    .action((dir: string, options: { json?: boolean }) => {
      process.exitCode = reportingErrors(() => {
        const repair = repairDataDir(dir);
        process.stdout.write(options.json ? JSON.stringify(repairJson(repair)) + '\n' : repairText(repair));
        return 0;
      });
    });
}

export function dataCommand(): Command {
  return new Command('data')
    .description('inspect and repair a --data-dir: its block log and the chain in it')
    .addCommand(checkCommand())
    .addCommand(repairCommand());
}
