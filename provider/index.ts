/**
 * Component provider host: serves the package's components to Pulumi programs in any language
 * (`pulumi package add ./provider` generates their SDK from the schema the analyzer infers from
 * the components' TypeScript `Args` interfaces in infra/). Not exercised here: it needs the Pulumi
 * CLI (README says what remains unproven).
 */
import { resolve } from 'node:path';
import { componentProviderHost } from '@pulumi/pulumi/provider/experimental';
import { AlertingChannel, DataLake, IngestionPipeline, PrivateNetwork } from '../infra';

componentProviderHost({
  name: 'tributary',
  components: [DataLake, AlertingChannel, PrivateNetwork, IngestionPipeline],
  dirname: resolve(__dirname, '..', 'infra'),
}).catch((error: unknown) => {
  process.stderr.write(`tributary provider: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
