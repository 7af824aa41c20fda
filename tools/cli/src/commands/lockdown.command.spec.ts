import { parseLockdownArguments } from './lockdown.command';

describe('parseLockdownArguments', () => {
  it('reads engage and release with a reason and exactly one scope', () => {
    expect(parseLockdownArguments(['engage', '--reason', 'incident 42', '--global'])).toEqual({ verb: 'engage', tenantId: undefined, global: true, reason: 'incident 42', json: false });
    expect(parseLockdownArguments(['release', '--tenant=ten_a', '--reason=resolved', '--json'])).toEqual({ verb: 'release', tenantId: 'ten_a', global: false, reason: 'resolved', json: true });
  });

  it('reads status with or without a tenant', () => {
    expect(parseLockdownArguments(['status'])).toMatchObject({ verb: 'status', tenantId: undefined });
    expect(parseLockdownArguments(['status', '--tenant', 'ten_a', '--json'])).toMatchObject({ verb: 'status', tenantId: 'ten_a', json: true });
  });

  it.each([
    [['engage', '--global'], /needs --reason/],
    [['engage', '--reason', ' ', '--global'], /needs --reason/],
    [['release', '--reason', 'x'], /exactly one of --tenant <id> and --global/],
    [['engage', '--reason', 'x', '--global', '--tenant', 'ten_a'], /exactly one of/],
    [['engage', '--reason', 'x', '--tenant', 'a.b'], /--tenant must be a tenant id/],
    [['status', '--global'], /status takes --tenant or nothing/],
    [['status', '--force'], /unknown argument --force/],
    [['unlock'], /^usage/],
    [[], /^usage/],
  ])('refuses %j', (args, message) => {
    expect(parseLockdownArguments(args)).toEqual(expect.stringMatching(message));
  });
});
