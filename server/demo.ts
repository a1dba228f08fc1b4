/**
 * `npm start`: the demo. The full demo (dev media server + token server in demo mode + the example
 * patient portal on the script-tag build) is issue 6's work; until the servers land it says so.
 */
export async function runDemoCli(_argv: string[]): Promise<number> {
  process.stdout.write(
    [
      'ConsultKit demo',
      '',
      'Coming next: this command will start, in one process,',
      '  • the embedded OpenVidu-2-compatible dev media server (http://localhost:4443)',
      '  • the reference token server in demo mode (http://localhost:3000)',
      '  • an example patient portal using <consult-room> from the script-tag build,',
      'and print one link for the doctor and one for the patient.',
      '',
      'Available today:  npx consult-kit dev-server   |   npx consult-kit token-server',
      '',
    ].join('\n'),
  );
  return 0;
}
