import { parseDollars } from './refund-dialog';

describe('parseDollars', () => {
  it('turns typed amounts into cents', () => {
    expect(parseDollars('25')).toBe(2500);
    expect(parseDollars('$25.5')).toBe(2550);
    expect(parseDollars('1,025.99')).toBe(102599);
  });

  it('refuses what is not an amount', () => {
    expect(parseDollars('25.999')).toBeNull();
    expect(parseDollars('-5')).toBeNull();
    expect(parseDollars('ten')).toBeNull();
  });
});
