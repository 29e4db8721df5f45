import { parseRegions } from './regions.js';

describe('parseRegions', () => {
  it('reads regions and their source addresses', () => {
    expect(parseRegions('eu=10.0.0.5,10.0.0.6;uae=10.1.0.7')).toEqual(
      new Map([
        ['eu', ['10.0.0.5', '10.0.0.6']],
        ['uae', ['10.1.0.7']],
      ]),
    );
  });

  it('tolerates spaces, a trailing ";" and IPv6 addresses', () => {
    expect(parseRegions(' eu = 10.0.0.5 , 2001:db8::1 ; ')).toEqual(
      new Map([['eu', ['10.0.0.5', '2001:db8::1']]]),
    );
  });

  it('is empty when unset or blank', () => {
    expect(parseRegions(undefined).size).toBe(0);
    expect(parseRegions('  ').size).toBe(0);
  });

  it.each([
    ['eu', /expected "name=ip/],
    ['=10.0.0.5', /expected "name=ip/],
    ['e u=10.0.0.5', /expected "name=ip/],
    ['eu=10.0.0.5,nope', /region "eu" has "nope", which is not an IP address/],
    ['eu=10.0.0.300', /not an IP address/],
    ['eu=', /region "eu" has an empty address/],
    ['eu=10.0.0.5,', /region "eu" has an empty address/],
    ['eu=10.0.0.5;eu=10.0.0.6', /region "eu" is defined twice/],
  ])('refuses %j with a clear message', (spec, message) => {
    expect(() => parseRegions(spec)).toThrow(message);
  });
});
