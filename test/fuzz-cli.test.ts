import fc from 'fast-check';
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { AddressError, parseAddress, parseAddressList } from '../src/net/address.js';
import {
  base64Option,
  engineOption,
  hashHexOption,
  hashOption,
  integerOption,
  targetOption,
  threadsOption,
} from '../src/cli/options.js';

// The fuzzing suite's command-line half (docs/reliability.md): every parser of a value
// typed by a person answers the value or a refusal commander prints in one line, whatever
// the text.

const text = fc.oneof(
  fc.string({ maxLength: 100 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.constantFrom(
    '',
    ' ',
    '0',
    '-1',
    '1e9',
    '0x',
    '2^',
    '2^256',
    '2^999',
    'NaN',
    '１２',
    '127.0.0.1:',
    ':80',
    'a'.repeat(300),
  ),
);

function refusesInOneLine(parse: (input: string) => unknown, refusal: new (...args: never[]) => Error) {
  fc.assert(
    fc.property(text, (input) => {
      try {
        parse(input);
      } catch (error) {
        expect(error).toBeInstanceOf(refusal);
        expect((error as Error).message).not.toContain('\n');
      }
    }),
    { numRuns: 1_500 },
  );
}

describe('command-line values', () => {
  it('numbers, targets, hashes, data, engines and thread counts', () => {
    for (const parse of [
      integerOption('n', 0, 1e9),
      targetOption,
      hashOption,
      hashHexOption,
      base64Option,
      engineOption,
      threadsOption,
    ]) {
      refusesInOneLine(parse, InvalidArgumentError);
    }
  });

  it('addresses and address lists', () => {
    refusesInOneLine((input) => parseAddress(input), AddressError);
    refusesInOneLine((input) => parseAddress(input, { allowAnyPort: true }), AddressError);
    refusesInOneLine(parseAddressList, AddressError);
  });
});
