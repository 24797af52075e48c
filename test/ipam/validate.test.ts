// `network create` IPAM validation: moby v28's exact texts (api/types/network/ipam.go).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { poolRequestProblems, validatePoolRequests } from '../../src/ipam/validate.js';
import { isWeftError } from '../../src/errors.js';

describe('IPAM config validation', () => {
  it('accepts a full valid entry and an empty one', () => {
    assert.deepEqual(poolRequestProblems({}), []);
    assert.deepEqual(poolRequestProblems({
      subnet: '10.10.0.0/24', ipRange: '10.10.0.128/25', gateway: '10.10.0.1', auxAddresses: { host1: '10.10.0.5' },
    }), []);
    assert.deepEqual(poolRequestProblems({ subnet: '10.10.0.0/24', gateway: '' }), []);
  });

  it('words each problem as moby does', () => {
    const cases: [Parameters<typeof poolRequestProblems>[0], string[]][] = [
      [{ subnet: '10.0.0/24' }, ['invalid subnet 10.0.0/24: invalid CIDR block notation']],
      [{ subnet: '10.0.0.1/24' }, ['invalid subnet 10.0.0.1/24: it should be 10.0.0.0/24']],
      [{ subnet: '10.0.0.0/24', gateway: '10.1.0.1' }, ['invalid gateway 10.1.0.1: parent subnet 10.0.0.0/24 doesn\'t contain this address']],
      [{ subnet: '10.0.0.0/24', gateway: 'nope' }, ['invalid gateway nope: invalid address']],
      [{ subnet: '10.0.0.0/24', ipRange: '10.1.0.0/25' }, ['invalid ip-range 10.1.0.0/25: parent subnet 10.0.0.0/24 doesn\'t contain ip-range']],
      [{ subnet: '10.0.0.0/24', ipRange: '10.0.0.0/16' }, ['invalid ip-range 10.0.0.0/16: CIDR block is bigger than its parent subnet 10.0.0.0/24']],
      [{ subnet: '10.0.0.0/24', ipRange: '10.0.0.1/25' }, ['invalid ip-range 10.0.0.1/25: it should be 10.0.0.0/25']],
      [{ subnet: '10.0.0.0/24', ipRange: '10.0.0/25' }, ['invalid ip-range 10.0.0/25: invalid CIDR block notation']],
      [{ subnet: '10.0.0.0/24', auxAddresses: { host1: '10.9.9.9' } }, ['invalid auxiliary address host1: parent subnet 10.0.0.0/24 doesn\'t contain this address']],
      [{ gateway: '10.0.0.1' }, ['invalid subnet : invalid CIDR block notation']],
    ];
    for (const [req, want] of cases) assert.deepEqual(poolRequestProblems(req), want, JSON.stringify(req));
  });

  it('joins every problem of every entry into one 400, as moby\'s multierror does', () => {
    try {
      validatePoolRequests([{ subnet: '10.0.0/24' }, { subnet: '10.1.0.0/24', gateway: '10.2.0.1' }]);
      assert.fail('should throw');
    } catch (err) {
      assert.ok(isWeftError(err, 'invalid'));
      assert.equal(err.message, 'invalid network config:\n'
        + '* invalid subnet 10.0.0/24: invalid CIDR block notation\n'
        + '* invalid gateway 10.2.0.1: parent subnet 10.1.0.0/24 doesn\'t contain this address');
    }
    assert.doesNotThrow(() => validatePoolRequests([{}, { subnet: '10.3.0.0/16' }]));
  });
});
