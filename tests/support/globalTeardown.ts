export default async function globalTeardown(): Promise<void> {
  const stops = (globalThis as { __tributaryStops?: Array<() => Promise<void>> }).__tributaryStops ?? [];
  for (const stop of stops.reverse()) await stop();
}
