import { main as cli } from '../../docs/examples/cli.js';
import { main as management } from '../../docs/examples/management.js';

describe('docs examples: management and cli', () => {
  it('management.md: a feature switched on and off at run time', async () => {
    await expect(management()).resolves.toEqual({
      seen: [
        'Storage offline',
        'Reports offline',
        'Storage online',
        'Reports online',
        'Reports offline',
        'Storage offline',
      ],
      whileOn: true,
    });
  });

  it('cli.md: --help, flags and runCommand', async () => {
    const result = await cli();
    expect(result.helpExit).toBe(0);
    expect(result.help).toContain('-p, --port <value>');
    expect(result.port).toBe(9000);
    expect(result.migrateExit).toBe(0);
    expect(result.applied).toEqual(['001-create-items']);
  });
});
