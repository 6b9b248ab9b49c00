// The formatting helpers the pages share.
import { describe, expect, it } from 'vitest';
import { formatOs } from './format';

describe('formatOs', () => {
  it('names the operating system once', () => {
    expect(formatOs('linux', 'Debian GNU/Linux 12 (bookworm)')).toBe('Debian GNU/Linux 12 (bookworm)');
    expect(formatOs('windows', 'Windows 11 Pro (build 22631)')).toBe('Windows 11 Pro (build 22631)');
  });

  it('falls back to the family, then a dash', () => {
    expect(formatOs('linux', '')).toBe('linux');
    expect(formatOs('', ' ')).toBe('—');
  });
});
