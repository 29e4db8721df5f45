import { findSecret, SecretScanner, secretForms } from './secret-forms.js';

describe('SecretScanner finds what findSecret finds, in one pass', () => {
  const secrets = ['whsec_Q"uo\\te_1234', 'whsec_abcdefghijkl', 'whsec_\ud800lone_surrogate'];

  test.each(secrets.flatMap((secret) => secretForms(secret).map((form) => [secret, form] as const)))(
    '%j echoed as %j is found',
    (secret, form) => {
      const text = `{"level":30,"msg":"delivery failed","error":"HTTP 401: got ${form} back"}`;
      const scanner = new SecretScanner(secrets);
      expect(scanner.find(text)).not.toBeNull();
      expect(scanner.find(text)).toContain(JSON.stringify(secret));
      expect(findSecret(text, secrets)).not.toBeNull();
    },
  );

  test('a text without any form, a part of one, or no secrets at all: nothing found', () => {
    const scanner = new SecretScanner(secrets);
    expect(scanner.find('whsec_abcdefghij and 77687365635f')).toBeNull();
    expect(scanner.find('')).toBeNull();
    expect(new SecretScanner([]).find('whsec_abcdefghijkl')).toBeNull();
  });
});
