/**
 * `npx consult-kit <command>`: the Node side's command line.
 *   dev-server     the embedded OpenVidu-2-compatible development media server
 *   token-server   the reference token server
 *   demo           both, plus the example patient portal (what `npm start` runs)
 */
const USAGE = `Usage: consult-kit <command> [options]

Commands:
  demo           Start the dev media server, the token server (demo mode) and the example portal
  dev-server     Start the embedded OpenVidu-2-compatible development media server
  token-server   Start the reference token server
  help           Show this help

Run "consult-kit <command> --help" for a command's options.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'dev-server': {
      const { runDevServerCli } = await import('./dev-media-server/cli.js');
      return runDevServerCli(rest);
    }
    case 'token-server': {
      const { runTokenServerCli } = await import('./token-server/cli.js');
      return runTokenServerCli(rest);
    }
    case 'demo': {
      const { runDemoCli } = await import('./demo.js');
      return runDemoCli(rest);
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE + '\n');
      return command === undefined ? 1 : 0;
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${USAGE}\n`);
      return 2;
  }
}
